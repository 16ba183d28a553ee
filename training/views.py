"""The trainer's pages: start an exercise, run its clock, fire injects,
reset, and the debrief (per exercise and per agency, printable). Every page
answers 404 outside a training mechanism; every write is one service of
`training.services`, whose refusals are shown with their message."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import clock as workflow_clock
from core.errors import ApplicationError, Forbidden, NotVisible
from core.training import BAND, is_training
from nrm.roles import Capability
from referral import policy
from referral.views.common import error_status, message_of, not_found, page, refused
from training import clock, debrief, injects, packs, services
from training.models import Exercise, Inject


def band_context(request) -> dict:
    """Context processor: the training band for every page."""
    return {"training_band": BAND if is_training() else ""}


def trainer_page(view):
    """Only in a training mechanism (else 404), only for a trainer (403)."""

    def wrapped(request, *args, **kwargs):
        if not is_training():
            return not_found(request)
        try:
            policy.require_capability(request.user, Capability.EXERCISE_RUN)
            return view(request, *args, **kwargs)
        except (Forbidden, NotVisible):
            raise
        except ApplicationError as error:
            return refused(request, message_of(error), status=error_status(error))
        except packs.PackError as error:
            # The exercise's pack file was changed or removed since it started.
            return refused(request, str(error), status=409)

    wrapped.__name__ = view.__name__
    return page(wrapped)


def _run(request, write, success: str):
    try:
        result = write()
    except ApplicationError as error:
        messages.error(request, message_of(error))
        return None
    except packs.PackError as error:
        messages.error(request, str(error))
        return None
    messages.success(request, success)
    return result


def _unplayable(kind: str) -> str:
    found = injects.KINDS.get(kind)
    return str(found.unavailable) if found and found.fire is None else ""


@trainer_page
def trainer_home(request):
    exercise = clock.running()
    context = {
        "exercise": exercise,
        "packs": sorted(packs.available()),
        "past": Exercise.objects.exclude(state="running")[:10],
    }
    if exercise is not None:
        now = workflow_clock.now()
        context.update(
            {
                "now": now,
                "day": debrief.day_label(exercise, now),
                "injects": [
                    {
                        "inject": i,
                        "day": debrief.day_label(exercise, i.due_at),
                        "fired": debrief.day_label(exercise, i.fired_at),
                        "unplayable": _unplayable(i.kind),
                    }
                    for i in exercise.injects.all()
                ],
                "agencies": exercise.agencies.select_related("organisation"),
            }
        )
    return render(request, "training/trainer.html", context)


@require_POST
@trainer_page
def exercise_start(request):
    try:
        speed = float(request.POST.get("speed") or 60)
    except ValueError:
        speed = 0.0  # refused by the service, with its message
    started = _run(
        request,
        lambda: services.exercise_start(
            actor=request.user, pack_name=request.POST.get("pack", ""), speed=speed
        ),
        _("Exercise started. Print the credentials now: they are shown once."),
    )
    if started is None:
        return redirect("training-home")
    return render(
        request,
        "training/credentials.html",
        {"exercise": started.exercise, "credentials": started.credentials},
    )


@require_POST
@trainer_page
def clock_control(request, exercise_id):
    action = request.POST.get("action", "")
    if action == "next":
        _run(
            request,
            lambda: services.clock_jump_to_next_inject(
                actor=request.user, exercise_id=exercise_id
            ),
            _("The clock jumped to the next inject."),
        )
    elif action in ("run", "pause"):
        _run(
            request,
            lambda: services.clock_set(
                actor=request.user, exercise_id=exercise_id, paused=action == "pause"
            ),
            _("The clock is running.")
            if action == "run"
            else _("The clock is paused."),
        )
    elif action == "speed":
        try:
            speed = float(request.POST.get("speed", ""))
        except ValueError:
            speed = 0.0
        _run(
            request,
            lambda: services.clock_set(
                actor=request.user, exercise_id=exercise_id, speed=speed
            ),
            _("The clock's speed is set."),
        )
    elif action == "fire_due":
        _run(
            request,
            lambda: services.injects_fire_due(actor=request.user),
            _("The injects due were fired."),
        )
    return redirect("training-home")


@require_POST
@trainer_page
def inject_fire(request, inject_id):
    inject = get_object_or_404(Inject, pk=inject_id)
    _run(
        request,
        lambda: services.inject_fire(actor=request.user, inject_id=inject.pk),
        _("The inject fired."),
    )
    return redirect("training-home")


@require_POST
@trainer_page
def exercise_reset(request, exercise_id):
    _run(
        request,
        lambda: services.exercise_reset(actor=request.user, exercise_id=exercise_id),
        _("The exercise is reset: its accounts are disabled; its debrief remains."),
    )
    return redirect("training-home")


@trainer_page
def exercise_debrief(request, exercise_id):
    exercise = get_object_or_404(Exercise, pk=exercise_id)
    agency = request.GET.get("agency") or None
    if agency is not None and not exercise.agencies.filter(key=agency).exists():
        return not_found(request)
    report = debrief.build(exercise, agency)
    indicator_rows, agency_rows = report.chart_rows()
    context = {
        "exercise": exercise,
        "report": report,
        "totals": report.totals(),
        "agency": agency,
        "all_agencies": exercise.agencies.select_related("organisation"),
        "indicator_rows": indicator_rows,
        "agency_rows": agency_rows,
        "indicator_height": 24 * len(indicator_rows) + 8,
        "agency_height": 24 * len(agency_rows) + 8,
        "now_label": debrief.day_label(exercise, report.now),
    }
    return render(request, "training/debrief.html", context)
