"""The training mechanism's own rows: the marker of a training database,
exercises (with their clock), their agencies, accounts, personas and
injects. No personal data of real people: personas are synthetic and
their cases hold them through the vault like any other case."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class TrainingMarker(models.Model):
    """One row in a training database, written when it is created for
    training; never in a production one (training/guard.py)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    marked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="training_marker_one")
        ]

    def __str__(self) -> str:
        return "training database"


class ExerciseState(models.TextChoices):
    RUNNING = "running", "Running"
    ENDED = "ended", "Ended (reset)"


class Exercise(models.Model):
    """One run of a scenario pack, and its clock.

    The clock: at the real instant `anchor_real` the exercise time was
    `anchor_exercise`; since then it runs at `speed` exercise seconds per
    real second, unless paused.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pack_id = models.CharField(max_length=64)
    pack_title = models.CharField(max_length=200)
    state = models.CharField(
        max_length=16, choices=ExerciseState.choices, default=ExerciseState.RUNNING
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    day_zero = models.DateTimeField()
    anchor_real = models.DateTimeField()
    anchor_exercise = models.DateTimeField()
    speed = models.FloatField(default=1.0)
    paused = models.BooleanField(default=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="running"),
                name="training_one_running_exercise",
            )
        ]

    def __str__(self) -> str:
        return f"{self.pack_id} ({self.state})"

    def exercise_time(self, real: datetime) -> datetime:
        if self.paused:
            return self.anchor_exercise
        elapsed = (real - self.anchor_real).total_seconds() * self.speed
        return self.anchor_exercise + timedelta(seconds=elapsed)


class ExerciseAgency(models.Model):
    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="agencies"
    )
    key = models.CharField(max_length=64)
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "key"], name="training_agency_key"
            )
        ]

    def __str__(self) -> str:
        return self.key


class ExerciseAccount(models.Model):
    """A trainee (or trainer) account made for an exercise; disabled at
    reset."""

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="accounts"
    )
    agency = models.ForeignKey(
        ExerciseAgency, null=True, on_delete=models.CASCADE, related_name="accounts"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.user_id} / {self.role}"


class ExercisePersona(models.Model):
    """A persona of the pack, and the case opened for them when they
    arrived (an inject)."""

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="personas"
    )
    key = models.CharField(max_length=64)
    case = models.OneToOneField(
        "referral.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The inbound case a `handover_received` inject opened for the persona
    # at the contact point (also `case` when the hand-over was the arrival).
    handover_case = models.OneToOneField(
        "referral.Case",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "key"], name="training_persona_key"
            )
        ]

    def __str__(self) -> str:
        return self.key


class InjectState(models.TextChoices):
    PENDING = "pending", "Pending"
    FIRED = "fired", "Fired"
    REFUSED = "refused", "Refused"


class Inject(models.Model):
    """A timed event of the scenario, fired by hand or when its time has come."""

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="injects"
    )
    key = models.CharField(max_length=64)
    kind = models.CharField(max_length=64)
    # The inject's fields from the pack (agency and persona keys only).
    spec = models.JSONField(default=dict)
    due_at = models.DateTimeField()
    state = models.CharField(
        max_length=16, choices=InjectState.choices, default=InjectState.PENDING
    )
    fired_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "key"], name="training_inject_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.kind})"


class ExercisePartner(models.Model):
    """The foreign mechanism an exercise plays for its `handover_received`
    injects: a partner of the directory (`referral.PartnerMechanism`,
    standing for a directory organisation, with its public keys listed as a
    real partner's), and the private halves of its signing and encryption
    keys, kept here and only for this exercise (never in the referral
    tables, never in our exchange key file). Synthetic keys of a synthetic
    partner: the partner is deactivated when the exercise is reset."""

    exercise = models.ForeignKey(
        Exercise, on_delete=models.CASCADE, related_name="partners"
    )
    partner = models.OneToOneField(
        "referral.PartnerMechanism", on_delete=models.PROTECT, related_name="+"
    )
    signing_key = models.JSONField()
    encryption_key = models.JSONField()

    def __str__(self) -> str:
        return str(self.partner_id)
