"""A possible duplicate registration, for a supervisor to review."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class DuplicateOutcome(models.TextChoices):
    SAME_PERSON = "same_person", _("The same person")
    DIFFERENT_PEOPLE = "different_people", _("Different people")


class DuplicateReview(models.Model):
    """Opened when a registration's blind index matches people registered
    before (anywhere in the mechanism). The registering officer is told only
    that a supervisor will review it; a supervisor of the registering
    organisation sees the matching cases (ids, references, organisations,
    never personal data) and resolves it. Every read and answer is audited."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "referral.Case", on_delete=models.CASCADE, related_name="duplicate_reviews"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    matched_person_ids = models.JSONField(default=list)
    opened_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "nrm.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(
        max_length=32, choices=DuplicateOutcome.choices, blank=True
    )

    class Meta:
        ordering = ["opened_at"]
        indexes = [
            models.Index(
                fields=["organisation", "opened_at"],
                condition=models.Q(resolved_at__isnull=True),
                name="duplicate_review_open",
            )
        ]

    def __str__(self) -> str:
        return f"duplicate review {self.pk}"
