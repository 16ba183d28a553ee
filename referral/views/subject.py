"""The data subject's rights on pages (GDPR arts. 15 and 17): a supervisor of
the registering organisation produces the subject-access package and erases
the person's personal data, each after a confirmation (erasure after two),
and sees the trail of what was done. The writes are the services' own
(`subject_access_export`, `person_erase`); URLs carry the case id only."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.errors import Forbidden
from nrm.audit import Event
from nrm.roles import Capability
from referral import policy, selectors, services
from referral.views.common import APPLICATION_ERRORS, error_status, message_of, page
from referral.views.presenters import EVENT_LABELS

C = Capability
# What the trail on these pages shows: everything done with the personal data.
PERSONAL_DATA_EVENTS = (
    Event.PERSON_REGISTERED,
    Event.PERSON_READ,
    Event.PERSON_UPDATED,
    Event.PERSON_ERASED,
    Event.SUBJECT_ACCESS_EXPORTED,
)


class SubjectAccessForm(forms.Form):
    identity_checked = forms.BooleanField(
        label=_(
            "I have checked the identity of the person asking (or of their "
            "legal representative) and the request is theirs."
        ),
    )


class ErasureStepOneForm(forms.Form):
    understood = forms.BooleanField(
        label=_(
            "I understand that erasure destroys this person's personal data "
            "for good, in every case and in backups, and cannot be undone."
        ),
    )


class ErasureStepTwoForm(ErasureStepOneForm):
    reference = forms.CharField(
        label=_("Type the case reference to confirm"), max_length=16, strip=True
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_reference(self) -> str:
        typed = self.cleaned_data["reference"].upper()
        if typed != self.case.reference:
            raise forms.ValidationError(_("That is not this case's reference."))
        return typed


def _oversight(user, case) -> dict[str, bool]:
    """Which of the two rights this user may exercise on the case; Forbidden
    when neither (the page is then a refusal)."""
    allowed = {}
    for name, capability in (("access", C.SUBJECT_ACCESS), ("erase", C.PERSON_ERASE)):
        try:
            policy.require_at_registering_organisation(user, capability, case)
            allowed[name] = True
        except Forbidden:
            allowed[name] = False
    if not any(allowed.values()):
        raise Forbidden(
            _("Only the registering organisation may do this."),
            code="registering_organisation_only",
        )
    return allowed


def _trail(case) -> list[dict]:
    """Everything done with the person's personal data, reads included."""
    events = selectors.case_history(case).filter(action__in=PERSONAL_DATA_EVENTS)
    return [
        {
            "at": event.occurred_at,
            "label": EVENT_LABELS.get(event.action, event.action),
            "actor": event.actor.get_username() if event.actor else "",
            "organisation": event.organisation.name if event.organisation else "",
            "reason": event.reason_code,
        }
        for event in events
    ]


def _render(request, template, case, status=200, **context):
    context = {
        "case": case,
        "trail": _trail(case),
        "erased": case.person.is_erased,
        **context,
    }
    return render(request, template, context, status=status)


@page
@require_http_methods(["GET"])
def subject_rights(request, case_id):
    case = policy.get_visible_case(request.user, case_id)
    allowed = _oversight(request.user, case)
    return _render(request, "referral/subject_rights.html", case, allowed=allowed)


@page
@require_http_methods(["GET", "POST"])
def subject_access(request, case_id):
    case = policy.get_visible_case(request.user, case_id)
    policy.require_at_registering_organisation(request.user, C.SUBJECT_ACCESS, case)
    form = SubjectAccessForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                document = services.subject_access_export(
                    actor=request.user, case_id=case.pk
                )
            except APPLICATION_ERRORS as exc:
                error, status = message_of(exc), error_status(exc)
            else:
                response = HttpResponse(
                    json.dumps(document, ensure_ascii=False, indent=2),
                    content_type="application/json; charset=utf-8",
                )
                response["Content-Disposition"] = (
                    f'attachment; filename="subject-access-{case.reference}.json"'
                )
                return response
        else:
            status = 400
    return _render(
        request,
        "referral/subject_access.html",
        case,
        status=status,
        form=form,
        error=error,
    )


@page
@require_http_methods(["GET", "POST"])
def person_erase(request, case_id):
    case = policy.get_visible_case(request.user, case_id)
    policy.require_at_registering_organisation(request.user, C.PERSON_ERASE, case)
    step = request.POST.get("step") if request.method == "POST" else None
    error, status = "", 200
    if step == "2":
        form = ErasureStepTwoForm(request.POST, case=case)
        if form.is_valid():
            try:
                services.person_erase(actor=request.user, case_id=case.pk)
            except APPLICATION_ERRORS as exc:
                error, status = message_of(exc), error_status(exc)
            else:
                messages.success(request, _("The person's personal data was erased."))
                return redirect("case-subject-rights", case.pk)
        else:
            status = 400
        return _render(
            request,
            "referral/person_erase.html",
            case,
            status=status,
            form=form,
            step=2,
            error=error,
        )
    form = ErasureStepOneForm(request.POST if step == "1" else None)
    if step == "1":
        if form.is_valid():
            second = ErasureStepTwoForm(initial={"understood": True}, case=case)
            return _render(
                request, "referral/person_erase.html", case, form=second, step=2
            )
        status = 400
    return _render(
        request, "referral/person_erase.html", case, status=status, form=form, step=1
    )
