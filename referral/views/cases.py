"""The case pages: the list, registration, the case page, the screening
interview and the steps a user may take on a case.

Each view parses its form, finds the case through `referral.policy`, calls one
service and redirects with a message; a refusal is shown on the page with the
form kept. Personal data is opened only on the case page, through the audited
`services.person_read`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from rest_framework import serializers as drf

from core import clock
from indicators import catalogue as catalogues
from indicators.presenters import catalogue_detail
from indicators.views import STRENGTH_LABELS
from nrm.choices import ServiceKind
from nrm.roles import Capability
from nrm.selectors import pathway_services
from referral import forms, policy, selectors, services, steps, workflow
from referral.models import CaseState, Consent, Decision, Handover, Screening
from referral.views.common import (
    APPLICATION_ERRORS,
    PAGE_SIZE,
    add_validation_errors,
    error_status,
    message_of,
    not_found,
    page,
    paginate,
    refused,
)
from referral.views.presenters import (
    DEADLINE_STATUS_LABELS,
    OUTCOME_LABELS,
    event_rows,
    screening_view,
)

C = Capability


def step_url(case, step: steps.Step) -> str:
    """A step's page: its own (a richer form) where it declares one."""
    if step.page:
        return reverse(step.page, args=[case.pk])
    return reverse("case-step", args=[case.pk, step.name])


def case_url(case) -> str:
    """The case page with its next-steps panel in view: where every step
    returns, so the next recommended step is the first thing seen."""
    return reverse("case", args=[case.pk]) + "#next-steps"


def _unavailable(request, case, step: steps.Step):
    """The refusal page when the step is not open to this user on this case
    now (the step's own declaration says why), else None. On GET only: a POST
    goes to the step, which says why in its own words."""
    if request.method != "GET":
        return None
    if not step.allowed(request.user, case):
        return refused(
            request, _("Your role does not take this step on this case."), case=case
        )
    blocker = step.blocker(case)
    if blocker is None:
        return None
    lifting = steps.lifter_of(request.user, case, blocker)
    fix = {"label": lifting.label, "url": step_url(case, lifting)} if lifting else None
    return refused(request, message_of(blocker), case=case, fix=fix)


def _step_row(case, step: steps.Step, primary: bool) -> dict:
    return {
        "name": step.name,
        "label": step.label,
        "url": step_url(case, step),
        "grave": step.grave,
        "primary": primary,
    }


# The list


@page
def case_list(request):
    user = request.user
    if not policy.may_globally(user, C.CASE_VIEW):
        return refused(request, _("Your role does not show cases."))
    state = request.GET.get("state") or ""
    if state not in CaseState.values:
        state = ""
    overdue = request.GET.get("overdue") == "1"
    cases = selectors.case_list(
        user, state=state or None, overdue=True if overdue else None
    )
    page_obj = paginate(request, cases)
    for case in page_obj:
        case.latest_outcome_label = OUTCOME_LABELS.get(case.latest_outcome, "")
    query = urlencode(
        {k: v for k, v in (("state", state), ("overdue", "1" if overdue else "")) if v}
    )
    context = {
        "page_obj": page_obj,
        "query": f"{query}&" if query else "",
        "states": CaseState.choices,
        "state": state,
        "overdue": overdue,
        "may_register": policy.may_globally(user, C.PERSON_REGISTER),
    }
    return render(request, "referral/case_list.html", context)


# Finding a case


@page
@require_http_methods(["GET", "POST"])
def case_search(request):
    """Posted so that a name never reaches the URL or the access log; the
    results are shown on the answer to the post itself."""
    user = request.user
    if not policy.may_globally(user, C.CASE_VIEW):
        return refused(request, _("Your role does not show cases."))
    form = forms.CaseSearchForm(
        request.POST if request.method == "POST" else None, states=CaseState.choices
    )
    results, status = None, 200
    if request.method == "POST":
        if form.is_valid():
            found = services.case_search(actor=user, **form.cleaned_data)
            results = list(found[:PAGE_SIZE])
            for case in results:
                case.latest_outcome_label = OUTCOME_LABELS.get(case.latest_outcome, "")
        else:
            status = 400
    context = {"form": form, "results": results, "limit": PAGE_SIZE}
    return render(request, "referral/case_search.html", context, status=status)


# Registration


@page
def case_register(request):
    user = request.user
    memberships = policy.memberships_with(user, C.PERSON_REGISTER)
    if not memberships:
        return refused(request, _("Your role does not register people."))
    organisations = list(
        {m.organisation_id: m.organisation for m in memberships}.values()
    )
    form = forms.RegisterForm(
        request.POST if request.method == "POST" else None,
        organisations=organisations,
    )
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.case_register(
                actor=user, **form.service_arguments()
            )
        except APPLICATION_ERRORS as exc:
            error, status = message_of(exc), error_status(exc)
        except ValidationError as exc:
            add_validation_errors(form, exc)
            status = 400
        else:
            case = registration.case
            messages.success(
                request,
                _("Case %(reference)s opened.") % {"reference": case.reference},
            )
            if registration.duplicate_review:
                messages.info(
                    request,
                    _(
                        "A supervisor will review a possible duplicate "
                        "registration. Go on with the case meanwhile."
                    ),
                )
            return redirect(case_url(case))
    elif request.method == "POST":
        status = 400
    context = {"form": form, "error": error}
    return render(request, "referral/case_register.html", context, status=status)


# The case page


@page
def case_page(request, case_id):
    user = request.user
    case = policy.get_visible_case(user, case_id)
    person = None
    if policy.may(user, C.PERSON_READ, case):
        person = services.person_read(actor=user, case=case)
    now = clock.now()
    guidance = steps.guidance(user, case)
    next_steps = [
        _step_row(case, step, step == guidance.recommended)
        for step in guidance.available
    ]
    blocked = [
        {
            **_step_row(case, item.step, False),
            "reason": item.reason,
            "fix": _step_row(case, item.unblocked_by, False)
            if item.unblocked_by
            else None,
        }
        for item in guidance.blocked
    ]
    deadlines = [
        {
            "deadline": deadline,
            "status": deadline.status(now),
            "status_label": DEADLINE_STATUS_LABELS.get(deadline.status(now), ""),
        }
        for deadline in selectors.case_deadlines(case)
    ]
    screenings = Screening.objects.filter(case=case).select_related(
        "organisation", "screened_by"
    )
    screening_views = [
        screening_view(screening, request.LANGUAGE_CODE)
        for screening in reversed(list(screenings))
    ]
    timeline, reads = event_rows(selectors.case_history(case))
    appointment = workflow.active_guardian(case) if case.person.is_child else None
    context = {
        "case": case,
        "person": person,
        "steps": [s for s in next_steps if not s["grave"]],
        "grave_steps": [s for s in next_steps if s["grave"]],
        "blocked_steps": blocked,
        "recommended": guidance.recommended,
        "recommended_reason": guidance.reason,
        "deadlines": deadlines,
        "screenings": screening_views,
        "consents": Consent.objects.filter(case=case).select_related(
            "to_organisation", "guardian"
        ),
        "may_withdraw_consent": policy.may(user, C.CONSENT_RECORD, case),
        "language_name": forms.language_name(case.language) if case.language else "",
        "citizenship_name": forms.country_name(case.person.citizenship)
        if case.person.citizenship
        else "",
        "referrals": selectors.case_referrals(user, case),
        "decisions": Decision.objects.filter(case=case).select_related(
            "organisation", "decided_by"
        ),
        # Sent to or received from a partner mechanism, with its answer
        # ("hand-over confirmed", "declined"): docs/transnational.md.
        "handovers": Handover.objects.filter(case=case).select_related("partner"),
        "forms": [row.get_form_display() for row in case.forms.all()],
        "guardian": appointment.guardian if appointment else None,
        "timeline": timeline,
        "reads": reads,
    }
    return render(request, "referral/case_page.html", context)


# The screening interview


def _screening_catalogue(request, case):
    wanted = request.POST.get("catalogue_id") or request.GET.get("catalogue")
    if wanted:
        try:
            return catalogues.get(wanted)
        except catalogues.UnknownCatalogue:
            pass
    forms_ = list(case.forms.values_list("form", flat=True)) or ["labour"]
    try:
        return catalogues.get(catalogues.suggest(case.person.is_child, forms_[0]))
    except catalogues.UnknownCatalogue:
        return catalogues.all_catalogues()[0]


@page
def case_screen(request, case_id):
    user = request.user
    case = policy.get_visible_case(user, case_id)
    step = steps.STEPS["screen"]
    if refusal := _unavailable(request, case, step):
        return refusal
    catalogue = _screening_catalogue(request, case)
    language = catalogue.language(
        request.GET.get("lang") or request.POST.get("lang") or request.LANGUAGE_CODE
    )
    form = forms.ScreeningForm(
        request.POST if request.method == "POST" else None,
        catalogue=catalogue,
        initial={"catalogue_id": catalogue.id},
    )
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            result = step.service(
                actor=user, case_id=case.pk, **form.service_arguments()
            )
        except APPLICATION_ERRORS as exc:
            error, status = message_of(exc), error_status(exc)
        else:
            messages.success(
                request,
                _("Screening recorded. The assessment is below, with its explanation."),
            )
            if result.child_protection_referral is not None:
                messages.info(
                    request,
                    _(
                        "The child was referred to %(organisation)s for child protection."
                    )
                    % {
                        "organisation": result.child_protection_referral.to_organisation
                    },
                )
            if "no_child_protection_pathway" in result.warnings:
                messages.warning(
                    request,
                    _(
                        "No child-protection pathway is configured for this region: "
                        "send the child-protection referral yourself."
                    ),
                )
            return redirect(case_url(case))
    elif request.method == "POST":
        status = 400
    ticked = set(form["codes"].value() or [])
    detail = catalogue_detail(catalogue, language)
    groups = [
        {
            "id": dimension["id"],
            "label": dimension["label"],
            "indicators": [
                {
                    **indicator,
                    "strength_label": STRENGTH_LABELS[indicator["strength"]],
                    "checked": indicator["code"] in ticked,
                }
                for indicator in dimension["indicators"]
            ],
        }
        for dimension in detail["dimensions"]
    ]
    person_kind = "child" if case.person.is_child else "adult"
    context = {
        "case": case,
        "form": form,
        "error": error,
        "catalogue": catalogue,
        "title": detail["title"],
        "groups": groups,
        "page_language": language,
        "machine_translation": detail["machine_translation"],
        "catalogue_languages": catalogue.languages,
        "other_catalogues": [
            (c.id, c.title[catalogue.language(request.LANGUAGE_CODE)])
            for c in catalogues.all_catalogues()
            if c.person == person_kind and c.id != catalogue.id
        ],
    }
    return render(request, "referral/case_screen.html", context, status=status)


# The generic step page


def _choices_for(step: steps.Step, case):
    def choices_for(field_name: str) -> list[tuple[str, str]]:
        if field_name == "to_organisation_id":
            recipients = selectors.recipients(purpose=step.recipients or None)
            return [(str(o.pk), o.name) for o in recipients]
        if field_name in ("partner_organisation_id", "notified_organisation_id"):
            return [(str(o.pk), o.name) for o in selectors.recipients()]
        if field_name == "guardian_id":
            return [
                (str(user.pk), f"{user.get_full_name() or user.get_username()}, {org}")
                for user, org in selectors.guardian_choices(case)
            ]
        if field_name == "person_request_id":
            return [
                (str(r.pk), f"{r.get_kind_display()}, {r.recorded_at:%Y-%m-%d}")
                for r in selectors.person_requests(case)
            ]
        return []

    return choices_for


@page
def case_step(request, case_id, name):
    user = request.user
    step = steps.STEPS.get(name)
    case = policy.get_visible_case(user, case_id)
    if step is None:
        return not_found(request)
    if step.page:
        return redirect(step.page, case.pk)
    if refusal := _unavailable(request, case, step):
        return refusal
    form_class = forms.step_form_class(step, choices_for=_choices_for(step, case))
    form = form_class(request.POST if request.method == "POST" else None)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        serializer = step.input(data=form.payload())
        if not serializer.is_valid():
            _serializer_errors(form, serializer)
            status = 400
        else:
            try:
                step.execute(
                    actor=user, subject_id=case.pk, **serializer.validated_data
                )
            except APPLICATION_ERRORS as exc:
                error, status = message_of(exc), error_status(exc)
            except ValidationError as exc:
                add_validation_errors(form, exc)
                status = 400
            else:
                messages.success(request, _("Done: %(step)s.") % {"step": step.label})
                return redirect(case_url(case))
    elif request.method == "POST":
        status = 400
    context = {"case": case, "step": step, "form": form, "error": error}
    return render(request, "referral/case_step.html", context, status=status)


def _serializer_errors(form, serializer: drf.Serializer) -> None:
    for field, errors in serializer.errors.items():
        target = field if field in form.fields else None
        for message in errors:
            form.add_error(target, str(message))


# Consent and referrals


def _purpose(request) -> str:
    purpose = request.POST.get("purpose") or request.GET.get("purpose")
    return purpose if purpose in ServiceKind.values else ServiceKind.IDENTIFICATION


def _recipients(case, purpose: str) -> list[tuple[str, str]]:
    suggested = [
        service.organisation
        for service in pathway_services(
            purpose=purpose,
            region=case.region,
            is_child=case.person.is_child,
            sex=case.person.sex,
            exploitation_forms=[row.form for row in case.forms.all()],
        )
    ]
    return forms.recipient_choices(suggested, selectors.recipients(purpose=purpose))


@page
def consent_new(request, case_id):
    user = request.user
    case = policy.get_visible_case(user, case_id)
    step = steps.STEPS["record-consent"]
    if refusal := _unavailable(request, case, step):
        return refusal
    purpose = _purpose(request)
    recipients = _recipients(case, purpose)
    form = forms.ConsentForm(
        request.POST if request.method == "POST" else None,
        recipients=recipients,
        initial={
            "purpose": purpose,
            "language": case.language,
            "to_organisation_id": recipients[0][0] if recipients else None,
        },
    )
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            consent = step.service(actor=user, case_id=case.pk, **form.cleaned_data)
        except APPLICATION_ERRORS as exc:
            error, status = message_of(exc), error_status(exc)
        except ValidationError as exc:
            add_validation_errors(form, exc)
            status = 400
        else:
            values = {
                "organisation": consent.to_organisation.name,
                "purpose": consent.get_purpose_display(),
            }
            if consent.given:
                text = _("Consent recorded: %(organisation)s, for %(purpose)s.")
            else:
                text = _("Refusal recorded: %(organisation)s, for %(purpose)s.")
            messages.success(request, text % values)
            return redirect(case_url(case))
    elif request.method == "POST":
        status = 400
    context = {
        "case": case,
        "form": form,
        "error": error,
        "purpose_form": forms.PurposeForm(
            initial={"purpose": purpose}, auto_id="choose-%s"
        ),
        "purpose": purpose,
        "purpose_label": ServiceKind(purpose).label,
        "consents": Consent.objects.filter(case=case).select_related("to_organisation"),
    }
    return render(request, "referral/consent_new.html", context, status=status)


@page
def referral_new(request, case_id):
    user = request.user
    case = policy.get_visible_case(user, case_id)
    step = steps.STEPS["send-referral"]
    if refusal := _unavailable(request, case, step):
        return refusal
    purpose = _purpose(request)
    recipients = _recipients(case, purpose)
    form = forms.ReferralForm(
        request.POST if request.method == "POST" else None,
        recipients=recipients,
        initial={
            "purpose": purpose,
            "to_organisation_id": recipients[0][0] if recipients else None,
        },
    )
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            referral = step.service(actor=user, case_id=case.pk, **form.cleaned_data)
        except APPLICATION_ERRORS as exc:
            error, status = message_of(exc), error_status(exc)
        else:
            messages.success(
                request,
                _("Referral sent to %(organisation)s, for %(purpose)s.")
                % {
                    "organisation": referral.to_organisation.name,
                    "purpose": referral.get_purpose_display(),
                },
            )
            return redirect(case_url(case))
    elif request.method == "POST":
        status = 400
    context = {
        "case": case,
        "form": form,
        "error": error,
        "purpose_form": forms.PurposeForm(
            initial={"purpose": purpose}, auto_id="choose-%s"
        ),
        "purpose": purpose,
        "purpose_label": ServiceKind(purpose).label,
        "consents": Consent.objects.filter(case=case).select_related("to_organisation"),
    }
    return render(request, "referral/referral_new.html", context, status=status)


@page
@require_http_methods(["GET", "POST"])
def consent_withdraw(request, case_id, consent_id):
    """Withdrawal, confirmed on its own page: sharing stops, open referrals
    under the consent are withdrawn, the organisation may lose access."""
    user = request.user
    case = policy.get_visible_case(user, case_id)
    consent = Consent.objects.filter(case=case, pk=consent_id).first()
    if consent is None:
        return not_found(request)
    form = forms.ConfirmForm(request.POST if request.method == "POST" else None)
    error, status = "", 200
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_withdraw(actor=user, consent_id=consent.pk)
        except APPLICATION_ERRORS as exc:
            error, status = message_of(exc), error_status(exc)
        else:
            messages.success(
                request,
                _("Consent withdrawn: %(organisation)s, for %(purpose)s.")
                % {
                    "organisation": consent.to_organisation.name,
                    "purpose": consent.get_purpose_display(),
                },
            )
            return redirect(case_url(case))
    elif request.method == "POST":
        status = 400
    context = {"case": case, "consent": consent, "form": form, "error": error}
    return render(request, "referral/consent_withdraw.html", context, status=status)
