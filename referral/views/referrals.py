"""The referral inbox and a referral's page, and the work queues: the
decision maker's deadlines and the overdue list.

Until a receiving organisation accepts, it sees only what it needs to decide
(purpose, age group, sex, language, urgency, due date): never a name, and no
link to the case; `policy.referral_discloses_case` says when the case opens.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core import clock
from nrm.choices import ExploitationForm, Sex
from nrm.roles import Capability
from referral import forms, policy, selectors, services
from referral.models import ReferralState
from referral.steps import REFERRAL_STEPS
from referral.views.common import (
    APPLICATION_ERRORS,
    error_status,
    message_of,
    page,
    paginate,
    refused,
)
from referral.views.presenters import DEADLINE_STATUS_LABELS

C = Capability


@page
def referral_inbox(request):
    user = request.user
    if not policy.may_globally(user, C.REFERRAL_INBOX):
        return refused(request, _("Your role has no referral inbox."))
    state = request.GET.get("state") or ""
    if state not in ReferralState.values:
        state = ""
    referrals = selectors.referral_inbox(user, state=state or None)
    context = {
        "page_obj": paginate(request, referrals),
        "states": ReferralState.choices,
        "state": state,
        "now": clock.now(),
    }
    return render(request, "referral/referral_inbox.html", context)


@page
def anonymous_inbox(request):
    """Anonymous notifications to the user's organisations: coarse attributes
    only (who was met, not who they are); never a link to the case."""
    user = request.user
    if not policy.may_globally(user, C.REFERRAL_INBOX):
        return refused(request, _("Your role has no referral inbox."))
    page_obj = paginate(request, selectors.anonymous_inbox(user))
    sexes, forms_ = dict(Sex.choices), dict(ExploitationForm.choices)
    for item in page_obj:
        item.sex_label = sexes.get(item.sex, item.sex)
        item.forms_label = ", ".join(
            str(forms_.get(code, code)) for code in item.exploitation_forms
        )
    return render(request, "referral/anonymous_inbox.html", {"page_obj": page_obj})


@page
@require_http_methods(["GET", "POST"])
def referral_page(request, referral_id):
    user = request.user
    referral = policy.get_visible_referral(user, referral_id)
    decline_form = forms.DeclineForm(
        request.POST if request.POST.get("answer") == "decline" else None
    )
    error, status = "", 200
    other_steps = _other_steps(user, referral)
    posted = request.POST.get("answer") if request.method == "POST" else None
    if posted in REFERRAL_STEPS and posted not in ANSWERS:
        step = REFERRAL_STEPS[request.POST["answer"]]
        other_steps[step.name] = form = _step_form(step, request.POST)
        done, error, status = _run_step(request, step, form, referral)
        if done:
            return redirect("referral", referral.pk)
        referral = policy.get_visible_referral(user, referral_id)
    elif posted is not None:
        answer = posted
        try:
            if answer == "accept":
                services.referral_accept(actor=user, referral_id=referral.pk)
                messages.success(request, _("Referral accepted."))
                return redirect("referral", referral.pk)
            if answer == "decline" and decline_form.is_valid():
                services.referral_decline(
                    actor=user,
                    referral_id=referral.pk,
                    reason=decline_form.cleaned_data["reason"],
                )
                messages.success(request, _("Referral declined."))
                return redirect("referral", referral.pk)
            status = 400
        except APPLICATION_ERRORS as exc:
            error, status = message_of(exc), error_status(exc)
        referral = policy.get_visible_referral(user, referral_id)
    discloses = policy.referral_discloses_case(user, referral)
    context = {
        "referral": referral,
        "discloses": discloses,
        "may_answer": all(
            step.possible(referral) and step.allowed(user, referral)
            for step in (REFERRAL_STEPS["accept"], REFERRAL_STEPS["decline"])
        ),
        "decline_form": decline_form,
        "other_steps": [
            {"step": REFERRAL_STEPS[name], "form": form}
            for name, form in other_steps.items()
        ],
        "error": error,
        "overdue": referral.state == ReferralState.SENT
        and referral.answer_due_at < clock.now(),
    }
    return render(request, "referral/referral_page.html", context, status=status)


# The answers with a form of their own above; every other step on a referral
# (withdraw, give up, complete, and any step declared later) gets the generic
# step form from its declaration.
ANSWERS = ("accept", "decline")


def _other_steps(user, referral) -> dict:
    return {
        step.name: _step_form(step)
        for step in REFERRAL_STEPS.values()
        if step.name not in ANSWERS
        and step.possible(referral)
        and step.allowed(user, referral)
    }


def _step_form(step, data=None):
    form_class = forms.step_form_class(step, choices_for=lambda name: [])
    return form_class(data, prefix=step.name)


def _run_step(request, step, form, referral) -> tuple[bool, str, int]:
    """Validate the generic form with the step's serializer and execute it;
    (done, error, status)."""
    if not form.is_valid():
        return False, "", 400
    serializer = step.input(data=form.payload())
    if not serializer.is_valid():
        for field, errors in serializer.errors.items():
            for message in errors:
                form.add_error(field if field in form.fields else None, str(message))
        return False, "", 400
    try:
        step.execute(
            actor=request.user, subject_id=referral.pk, **serializer.validated_data
        )
    except APPLICATION_ERRORS as exc:
        return False, message_of(exc), error_status(exc)
    messages.success(request, _("Done: %(step)s.") % {"step": step.label})
    return True, "", 200


def _deadline_rows(user, deadlines) -> list[dict]:
    """Deadlines with the way to their work: the case when the user sees it,
    else the referral (an organisation answers a referral before it sees the
    case)."""
    deadlines = list(deadlines)
    visible = set(
        policy.visible_cases(user)
        .filter(pk__in={d.case_id for d in deadlines})
        .values_list("pk", flat=True)
    )
    now = clock.now()
    rows = []
    for deadline in deadlines:
        status = deadline.status(now)
        rows.append(
            {
                "deadline": deadline,
                "status": status,
                "status_label": DEADLINE_STATUS_LABELS.get(status, ""),
                "case_visible": deadline.case_id in visible,
            }
        )
    return rows


@page
def decision_queue(request):
    user = request.user
    if not policy.may_globally(user, C.DECISION_TAKE):
        return refused(request, _("Your role takes no identification decisions."))
    page_obj = paginate(request, selectors.decision_queue(user))
    context = {"page_obj": page_obj, "rows": _deadline_rows(user, page_obj)}
    return render(request, "referral/decision_queue.html", context)


@page
def overdue_deadlines(request):
    user = request.user
    if not policy.may_globally(user, C.DEADLINES_VIEW):
        return refused(request, _("Your role has no deadline list."))
    page_obj = paginate(request, selectors.deadlines_for(user, overdue_only=True))
    context = {"page_obj": page_obj, "rows": _deadline_rows(user, page_obj)}
    return render(request, "referral/deadlines_overdue.html", context)
