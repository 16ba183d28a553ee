"""What the statistics count and what they published.

`Milestone`: one row per case per milestone (and per referral answer or
reasonable-grounds decision for the compliance and declines tables), written
by the workflow's services in the same transaction as the step, with the
coarse attributes the case had at that moment. Nothing personal: no name,
no date of birth, no free text, no identifier but the row's own subject id.
A month's counts read one month of this table (index on year, month).

`StatisticsRelease`: the frozen publication of one scope (national, or one
organisation's own figures) for one calendar year, as it stood after a
month's release: every cell published or suppressed so far that year. Its
`document` is what the API, the CSV and the dashboard serve; nothing is
computed per request. `ReleaseCounts` holds the true counts behind the
release (needed to protect later releases of the year consistently); only
`referral.statistics.releases` reads it, and it is never served.
"""

from __future__ import annotations

import uuid

from django.db import models

from nrm.models import Organisation


class MilestoneKind(models.TextChoices):
    REGISTERED = "registered"
    SCREENED = "screened"
    REFERRED = "referred"
    PRESUMED_VICTIM = "presumed_victim"
    RECOGNISED = "recognised"
    NOT_IDENTIFIED = "not_identified"
    TRANSFERRED = "transferred"
    REFERRAL_DECLINED = "referral_declined"
    REFERRAL_ANSWERED = "referral_answered"
    RG_DECIDED = "rg_decided"


class Milestone(models.Model):
    id = models.BigAutoField(primary_key=True)
    subject = models.UUIDField(
        help_text="The case (or referral, or decision) the milestone belongs to."
    )
    measure = models.CharField(max_length=32, choices=MilestoneKind.choices)
    occurred_at = models.DateTimeField()
    year = models.SmallIntegerField(help_text="Calendar year, mechanism's time zone.")
    month = models.SmallIntegerField()
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    sex = models.CharField(max_length=16)
    age_group = models.CharField(max_length=16)
    is_child = models.BooleanField()
    citizenship = models.CharField(max_length=2, blank=True)
    form = models.CharField(max_length=32)
    reception_stage = models.CharField(max_length=32)
    detail = models.CharField(
        max_length=32,
        blank=True,
        help_text="A decline reason, or on_time/late for answers and decisions.",
    )
    days = models.FloatField(
        null=True, blank=True, help_text="Days since the previous step (durations)."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "measure"], name="milestone_once_per_subject"
            )
        ]
        indexes = [models.Index(fields=["year", "month"], name="milestone_month")]

    def __str__(self) -> str:
        return f"{self.measure} {self.year}-{self.month:02d}"


class StatisticsRelease(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for the national release.",
    )
    scope = models.CharField(
        max_length=40, help_text="'national', or the organisation's id."
    )
    year = models.SmallIntegerField()
    month = models.SmallIntegerField(help_text="The last month the release covers.")
    version = models.PositiveSmallIntegerField(default=1)
    published_at = models.DateTimeField()
    threshold = models.PositiveSmallIntegerField()
    content_hash = models.CharField(max_length=64)
    document = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "year", "month", "version"], name="release_once"
            )
        ]

    def __str__(self) -> str:
        return f"release {self.year}-{self.month:02d} v{self.version}"


class ReleaseCounts(models.Model):
    """The true counts of a year's cells as of a month's release (private)."""

    year = models.SmallIntegerField()
    month = models.SmallIntegerField()
    version = models.PositiveSmallIntegerField(default=1)
    counts = models.JSONField()
    status = models.JSONField(help_text="Cell -> published (true) or suppressed.")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "month", "version"], name="release_counts_once"
            )
        ]

    def __str__(self) -> str:
        return f"counts {self.year}-{self.month:02d} v{self.version}"
