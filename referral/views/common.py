"""What every case-work page shares: the gate, refusals as pages, and the
translation of the services' messages."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django_fsm import ConcurrentTransition

from core.errors import ApplicationError, Forbidden, NotVisible
from nrm.auth import staff_login_required

PAGE_SIZE = 50
LOST_RACE = _(
    "Someone else changed this at the same moment. Reload the page and try again."
)


def page(view):
    """Every case-work page: signed in (with the second factor where the
    roles need it), never cached, and refusals rendered as pages: a 404 for
    what the user may not see, a 403 with the reason for what they may not do.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotVisible:
            return not_found(request)
        except Forbidden as error:
            return refused(request, message_of(error), back=_back(kwargs))

    return staff_login_required(never_cache(wrapped))


def _back(kwargs) -> str:
    """The page a refusal leads back to: the case or referral in the URL."""
    if "case_id" in kwargs:
        return reverse("case", args=[kwargs["case_id"]])
    if "referral_id" in kwargs:
        return reverse("referral", args=[kwargs["referral_id"]])
    return ""


def message_of(error: Exception) -> str:
    """An application error's message in the page's language: every refusal
    is raised with its text marked for translation (`gettext_lazy`) beside its
    stable code, so rendering it here translates it."""
    if isinstance(error, ConcurrentTransition):
        return str(LOST_RACE)
    message = getattr(error, "message", "")
    return str(message) if message else gettext("That did not work.")


def refused(
    request, message: str, *, status: int = 403, case=None, fix=None, back: str = ""
):
    """The "Not allowed" page: the reason, the step that would lift it (`fix`:
    label and url) where there is one, and the way back to the case (or to
    `back`, else the start page)."""
    if case is not None:
        back = reverse("case", args=[case.pk])
    context = {"message": message, "case": case, "fix": fix, "back": back}
    return render(request, "referral/refused.html", context, status=status)


def not_found(request):
    return render(request, "referral/not_found.html", status=404)


def add_validation_errors(form, error: ValidationError) -> None:
    """A Django ValidationError from a service onto the form's fields."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


APPLICATION_ERRORS = (ApplicationError, ConcurrentTransition)


def error_status(error: Exception) -> int:
    return getattr(error, "status", 409)


def paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
