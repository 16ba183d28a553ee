"""A supervisor's possible duplicate registrations: the open reviews, and one
review with its matching cases (an audited read) and the two answers."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import Forbidden, NotVisible
from referral import duplicates
from referral.models import DuplicateOutcome
from referral.views.common import APPLICATION_ERRORS, message_of, page, paginate


@page
def duplicate_reviews(request):
    queryset = duplicates.duplicate_review_list(request.user, open_only=True)
    return render(
        request,
        "referral/duplicate_reviews.html",
        {"page_obj": paginate(request, queryset)},
    )


@page
@require_http_methods(["GET", "POST"])
def duplicate_review(request, review_id):
    if request.method == "POST":
        try:
            duplicates.duplicate_review_resolve(
                actor=request.user,
                review_id=review_id,
                outcome=request.POST.get("outcome", ""),
            )
        except (Forbidden, NotVisible):
            raise  # the page's 403 or 404
        except APPLICATION_ERRORS as error:
            messages.error(request, message_of(error))
            return redirect("duplicate-review", review_id)
        messages.success(request, _("The possible duplicate is resolved."))
        return redirect("duplicate-reviews")
    detail = duplicates.duplicate_review_read(actor=request.user, review_id=review_id)
    context = {"detail": detail, "outcomes": DuplicateOutcome.choices}
    return render(request, "referral/duplicate_review.html", context)
