"""The staff pages' forms: they parse and type-check input, nothing more.

Every rule (who may, in which state, with whose consent) is the services'
and the policy's; a form only turns posted text into the values a service
takes. The steps of `referral.steps` get one generic form, built from the fields,
labels and help texts each step's input serializer declares.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from uuid import UUID

from babel import Locale, UnknownLocaleError
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers as drf

from nrm.choices import AgeGroup, ExploitationForm, ServiceKind, Sex
from referral import steps
from referral.models import (
    AsylumStatus,
    DeclineReason,
    ReceptionStage,
    Urgency,
)
from referral.serializers import LanguageCodeField


def _blank_first(choices: Iterable, label=None) -> list:
    return [("", label or _("Choose…")), *list(choices)]


# Countries and languages are chosen from lists named in the officer's
# language (CLDR names, through Babel); the stored values stay ISO codes.
STATELESS = "XX"
# User-assigned codes (ISO 3166-1 leaves XA-XZ to users): the demo's
# fictional countries, kept choosable.
USER_ASSIGNED = tuple(f"X{letter}" for letter in "ABCDEFGHIJ")


@functools.lru_cache(maxsize=8)
def _cldr(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


@functools.lru_cache(maxsize=8)
def _country_names(language: str) -> tuple[tuple[str, str], ...]:
    names = _cldr(language).territories
    countries = {
        code: name
        for code, name in names.items()
        if len(code) == 2 and code.isalpha() and code.isupper() and code != "ZZ"
    }
    for code in USER_ASSIGNED:  # CLDR names XA and XB pseudo-locales
        countries[code] = code
    return tuple(sorted(countries.items(), key=lambda item: item[1].casefold()))


@functools.lru_cache(maxsize=8)
def _language_names(language: str) -> tuple[tuple[str, str], ...]:
    names = _cldr(language).languages
    languages = {
        code: name
        for code, name in names.items()
        if 2 <= len(code) <= 3 and code.isalpha() and code.islower()
    }
    return tuple(sorted(languages.items(), key=lambda item: item[1].casefold()))


def country_choices() -> list[tuple[str, str]]:
    countries = _country_names(get_language() or "en")
    return [("", _("Unknown")), (STATELESS, _("Stateless")), *countries]


def language_choices() -> list[tuple[str, str]]:
    return _blank_first(_language_names(get_language() or "en"))


def language_name(code: str) -> str:
    """A language code's name in the active language (the code if unknown)."""
    return dict(_language_names(get_language() or "en")).get(code, code)


def country_name(code: str) -> str:
    if code == STATELESS:
        return str(_("Stateless"))
    return dict(_country_names(get_language() or "en")).get(code, code)


class CountryField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", country_choices)
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class LanguageField(forms.ChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", language_choices)
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).strip()


def _textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


# Registration


class RegisterForm(forms.Form):
    """The person met at reception: what `services.case_register` takes."""

    organisation = forms.TypedChoiceField(
        label=_("Registering organisation"), required=False, choices=()
    )
    given_names = forms.CharField(label=_("Given names"), max_length=200)
    family_name = forms.CharField(
        label=_("Family name"), max_length=200, required=False
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        help_text=_("Leave empty when unknown."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect
    )
    age_group = forms.ChoiceField(
        label=_("Age group"), choices=_blank_first(AgeGroup.choices)
    )
    age_uncertain_presumed_child = forms.BooleanField(
        label=_("Age uncertain: presume a child"),
        required=False,
        help_text=_(
            "While the age is being assessed, the person is treated as a child."
        ),
    )
    citizenship = CountryField(
        label=_("Citizenship"),
        required=False,
        help_text=_("Empty if unknown."),
    )
    language = LanguageField(
        label=_("Language for interviews"),
        required=False,
        help_text=_("The language the person is most at ease in."),
    )
    reception_stage = forms.ChoiceField(
        label=_("Reception stage"),
        choices=ReceptionStage.choices,
        initial=ReceptionStage.REGISTRATION,
    )
    asylum_status = forms.ChoiceField(
        label=_("Asylum procedure"),
        choices=AsylumStatus.choices,
        initial=AsylumStatus.UNKNOWN,
    )
    exploitation_forms = forms.MultipleChoiceField(
        label=_("Forms of exploitation suspected"),
        choices=ExploitationForm.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    aliases = forms.CharField(label=_("Aliases"), max_length=500, required=False)
    place_of_birth = forms.CharField(
        label=_("Place of birth"), max_length=200, required=False
    )
    contact_details = forms.CharField(
        label=_("Contact details"), max_length=500, required=False
    )
    identity_documents = forms.CharField(
        label=_("Identity documents"), max_length=500, required=False
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=20000, required=False, widget=_textarea(5)
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        organisations = list(organisations)
        if len(organisations) > 1:
            field = self.fields["organisation"]
            field.required = True
            field.choices = _blank_first((str(o.pk), o.name) for o in organisations)
        else:
            del self.fields["organisation"]

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        data["organisation_id"] = data.pop("organisation", None) or None
        data["is_child"] = data.pop("age_uncertain_presumed_child")
        return data


# Screening


class ScreeningForm(forms.Form):
    catalogue_id = forms.CharField(max_length=64, widget=forms.HiddenInput)
    codes = forms.MultipleChoiceField(required=False)
    interpreter_language = LanguageField(
        label=_("Interpreter's language"),
        required=False,
        help_text=_("Empty when no interpreter took part."),
    )
    notes = forms.CharField(
        label=_("Interview notes"),
        max_length=20000,
        required=False,
        widget=_textarea(4),
        help_text=_("Stored encrypted. Write only what the case needs."),
    )

    def __init__(self, *args, catalogue, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["codes"].choices = [(i.code, i.code) for i in catalogue.indicators]

    def service_arguments(self) -> dict:
        data = dict(self.cleaned_data)
        return {
            "catalogue_id": data["catalogue_id"],
            "indicator_codes": list(data["codes"]),
            "interpreter_language": data["interpreter_language"],
            "notes": data["notes"],
        }


# Consent and referrals


class PurposeForm(forms.Form):
    """Step one of the consent and referral pages (a GET form)."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=ServiceKind.choices)


def recipient_choices(suggested, others) -> list[tuple[str, str]]:
    """Suggested organisations first, marked, then the others offering the
    service."""
    choices, seen = [], set()
    for organisation in suggested:
        if organisation.pk not in seen:
            seen.add(organisation.pk)
            label = _("%(name)s (suggested by the pathway)") % {
                "name": organisation.name
            }
            choices.append((str(organisation.pk), label))
    for organisation in others:
        if organisation.pk not in seen:
            seen.add(organisation.pk)
            choices.append((str(organisation.pk), organisation.name))
    return choices


YES_NO = (("yes", _("Yes")), ("no", _("No")))


def _recipient_field(label) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, coerce=UUID, widget=forms.RadioSelect)


class ConsentForm(forms.Form):
    """The input of the `record-consent` step, with the pathway's suggestions."""

    purpose = forms.ChoiceField(choices=ServiceKind.choices, widget=forms.HiddenInput)
    to_organisation_id = _recipient_field(_("Organisation the data may go to"))
    given = forms.TypedChoiceField(
        label=_("Answer"),
        choices=(
            ("yes", _("Consents to sharing their data")),
            ("no", _("Refuses")),
        ),
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    language = LanguageField(
        label=_("Language the information was given in"),
        help_text=_("ISO 639 code, for example ru."),
    )
    interpreter_used = forms.BooleanField(
        label=_("An interpreter took part"), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=5000, required=False, widget=_textarea(3)
    )

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_organisation_id"].choices = list(recipients)


class ReferralForm(forms.Form):
    """The input of the `send-referral` step, with the pathway's suggestions."""

    purpose = forms.ChoiceField(choices=ServiceKind.choices, widget=forms.HiddenInput)
    to_organisation_id = _recipient_field(_("Receiving organisation"))
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE
    )

    def __init__(self, *args, recipients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_organisation_id"].choices = list(recipients)


class DeclineForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason for declining"),
        choices=_blank_first(DeclineReason.choices),
    )


# The generic step form


class StepForm(forms.Form):
    """Built per step from its input serializer; `payload()` gives the
    serializer's input back, which the view validates with the serializer
    itself."""

    step: steps.Step

    def payload(self) -> dict:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in ("", None) and name != CONFIRMED
        }


# A grave step (it ends or holds the case) asks for an explicit confirmation.
CONFIRMED = "confirmed"


def _step_field(
    name: str, field: drf.Field, *, choices_for: Callable[[str], list]
) -> forms.Field:
    """A form field from a serializer field: its label, help text, choices
    and style hints are the serializer's (one place for a step's inputs)."""
    common = {
        "label": field.label or name.replace("_", " ").capitalize(),
        "required": field.required,
        "help_text": field.help_text or "",
    }
    style = field.style or {}
    if isinstance(field, drf.BooleanField) and "choices" in style:
        return forms.TypedChoiceField(
            choices=[
                ("yes" if value else "no", label) for value, label in style["choices"]
            ],
            coerce=lambda value: value == "yes",
            widget=forms.RadioSelect,
            **common,
        )
    if isinstance(field, drf.BooleanField):
        return forms.BooleanField(**{**common, "required": False})
    if isinstance(field, drf.ChoiceField):
        return forms.ChoiceField(choices=_blank_first(field.choices.items()), **common)
    if isinstance(field, drf.UUIDField):
        return forms.TypedChoiceField(
            choices=_blank_first(
                choices_for(name),
                label=None if field.required else _("The pathway's suggestion"),
            ),
            coerce=UUID,
            empty_value=None,
            **common,
        )
    if name == "country":
        return CountryField(**common)
    if isinstance(field, LanguageCodeField):
        return LanguageField(**common)
    widget = _textarea() if style.get("textarea") else None
    max_length = getattr(field, "max_length", None)
    return forms.CharField(max_length=max_length, widget=widget, **common)


def step_form_class(step: steps.Step, *, choices_for) -> type[StepForm]:
    """A form for one step; `choices_for(field_name)` lists (id, label) pairs
    for the fields that name another object (an organisation, a guardian)."""
    attrs = {
        name: _step_field(name, field, choices_for=choices_for)
        for name, field in step.input().fields.items()
    }
    if step.grave:
        attrs[CONFIRMED] = forms.BooleanField(
            label=_("I have checked: this is the step the case needs."), required=True
        )
    attrs["step"] = step
    return type("StepForm", (StepForm,), attrs)


# Finding a case


class CaseSearchForm(forms.Form):
    """Posted, never in the query string: a name must not reach a URL or an
    access log. Every criterion is optional; those given must all match."""

    reference = forms.CharField(
        label=_("Case number"),
        max_length=36,
        required=False,
        validators=[
            RegexValidator(
                r"^[0-9A-Fa-f-]{4,36}$",
                _("The case number as shown, for example 1A2B3C4D."),
            )
        ],
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=())
    due_by = forms.DateField(
        label=_("Open deadline due by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    family_name = forms.CharField(
        label=_("Family name"), max_length=200, required=False
    )
    given_names = forms.CharField(
        label=_("Given names"), max_length=200, required=False
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        required=False,
        help_text=_(
            "A name is found only together with the date of birth recorded "
            "(empty when it was unknown). Accents, letter case and the order "
            "of the names do not matter; a part of a name finds nothing."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, states=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["state"].choices = _blank_first(states, _("All states"))
        for name in ("family_name", "given_names"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def clean(self):
        data = super().clean()
        if not any(data.get(name) for name in self.fields):
            raise forms.ValidationError(
                _("Give at least one thing to search by."), code="empty"
            )
        return data


class ConfirmForm(forms.Form):
    confirmed = forms.BooleanField(
        label=_("I have checked: this is what the person asked for."), required=True
    )
