"""The mechanism's directory: staff, organisations, roles, national rules,
services and pathways; and the infrastructure rows every app writes through
a service: the audit trail and the notification outbox."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nrm.choices import (
    ExploitationForm,
    OrganisationKind,
    PersonGroup,
    ServiceKind,
    Sex,
)
from nrm.roles import Role


class User(AbstractUser):
    """A member of staff. Staff accounts are deactivated, never deleted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    preferred_language = models.CharField(max_length=8, default="en")

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=OrganisationKind.choices)
    region = models.CharField(
        max_length=64, help_text=_("Region code, as used by pathways and statistics.")
    )
    country = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2."))
    is_active = models.BooleanField(default=True)
    email = models.EmailField(blank=True, help_text=_("Where notifications go."))
    # Case access is granted to the organisation through this group, never to
    # individual users (docs/architecture.md, "Access").
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="organisation", editable=False
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user's role at an organisation; a user may hold several."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            )
        ]
        indexes = [models.Index(fields=["user", "is_active"])]

    def __str__(self) -> str:
        return f"{self.user} / {self.organisation} / {self.role}"


def _default_working_days() -> list[int]:
    return [1, 2, 3, 4, 5]


class CountryProfile(models.Model):
    """The national rules as data. One profile is active at a time."""

    country = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=100)
    is_active = models.BooleanField(default=True)
    rg_decision_working_days = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_("Reasonable-grounds decision due, in working days from referral."),
    )
    recovery_period_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(30)],
        help_text=_(
            "Recovery and reflection period; at least 30 days (CETS 197 art. 13)."
        ),
    )
    referral_answer_working_days = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("A referral unanswered after this many working days is overdue."),
    )
    reconsideration_window_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_("A negative decision may be reconsidered within this many days."),
    )
    # Protections during and after the recovery period (docs/protections.md).
    migration_authority = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "Receives the protection notices of the recovery period (no removal "
            "while it runs). Empty: every active police / border authority of "
            "the directory."
        ),
    )
    reintegration_follow_up_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_(
            "After a return, the registering organisation follows up the "
            "person's reintegration within this many days."
        ),
    )
    transnational_contact_point = models.ForeignKey(
        "Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The designated contact point: hand-overs received from partner "
            "mechanisms open their case there."
        ),
    )
    age_of_majority = models.PositiveSmallIntegerField(
        default=18, validators=[MinValueValidator(14), MaxValueValidator(21)]
    )
    # Choices the Uniform Guidelines leave to the state (docs/protections.md).
    reconsideration_authority = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "A second authority that reconsiders negative decisions; empty: the "
            "deciding authority, through another decision maker."
        ),
    )
    police_contact = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_(
            "The police organisation alerted when a child goes missing; empty: "
            "the registering organisation is alerted and calls the police."
        ),
    )
    missing_child_search_hours = models.PositiveSmallIntegerField(
        default=24,
        validators=[MinValueValidator(1)],
        help_text=_("A missing child not found within this many hours is overdue."),
    )
    majority_review_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Days after a presumed child's recorded birthday of majority within "
            "which the case is reviewed (never a silent change)."
        ),
    )
    statistics_threshold = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(2)],
        help_text=_("Published counts below this are suppressed."),
    )
    k_anonymity = models.PositiveSmallIntegerField(
        default=11,
        validators=[MinValueValidator(2)],
        help_text=_("Minimum group size in the case-level anonymised export."),
    )
    l_diversity = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(2)],
        help_text=_(
            "Distinct trafficking statuses every group of the case-level export "
            "must hold."
        ),
    )
    working_weekdays = models.JSONField(
        default=_default_working_days,
        help_text=_("ISO weekdays that are working days (1 = Monday)."),
    )
    public_holidays = models.JSONField(
        default=list, blank=True, help_text=_("ISO dates that are not working days.")
    )
    # Retention (`manage.py apply_retention`; defaults in docs/operations.md).
    retention_closed_case_days = models.PositiveIntegerField(
        default=5 * 365,
        validators=[MinValueValidator(30)],
        help_text=_(
            "Personal data of a closed or transferred case is erased this many "
            "days after it ended."
        ),
    )
    retention_refused_case_days = models.PositiveIntegerField(
        default=2 * 365,
        validators=[MinValueValidator(30)],
        help_text=_(
            "Personal data of a case that ended without identification (not "
            "identified, no indicators, consent refused or withdrawn) is erased "
            "this many days after it ended."
        ),
    )
    retention_audit_days = models.PositiveIntegerField(
        default=10 * 365,
        validators=[MinValueValidator(365)],
        help_text=_("Audit events are kept at least this many days."),
    )
    retention_outbox_days = models.PositiveIntegerField(
        default=90,
        validators=[MinValueValidator(1)],
        help_text=_("Delivered notifications are deleted this many days later."),
    )
    retention_statistics_release_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Published statistics releases are kept this many days; empty: "
            "kept for good (they are anonymised)."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"],
                condition=Q(is_active=True),
                name="one_active_country_profile",
            ),
            models.CheckConstraint(
                condition=Q(recovery_period_days__gte=30),
                name="recovery_period_at_least_30_days",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"

    def clean(self) -> None:
        weekdays = self.working_weekdays
        if (
            not isinstance(weekdays, list)
            or not weekdays
            or any(not isinstance(d, int) or not 1 <= d <= 7 for d in weekdays)
        ):
            raise ValidationError(
                {"working_weekdays": _("A non-empty list of ISO weekdays 1-7.")}
            )
        holidays = self.public_holidays
        if not isinstance(holidays, list):
            raise ValidationError({"public_holidays": _("A list of ISO dates.")})
        for item in holidays:
            try:
                date.fromisoformat(item)
            except (TypeError, ValueError):
                raise ValidationError(
                    {"public_holidays": _("A list of ISO dates.")}
                ) from None


class Service(models.Model):
    """What an organisation offers, and where."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="services"
    )
    kind = models.CharField(max_length=32, choices=ServiceKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind"], name="service_unique_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} - {self.get_kind_display()}"


class Pathway(models.Model):
    """A routing rule: for this purpose, region and person group, refer here.

    Blank region or `any` matches everything; lower priority numbers are
    suggested first.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    purpose = models.CharField(max_length=32, choices=ServiceKind.choices)
    region = models.CharField(max_length=64, blank=True)
    person_group = models.CharField(
        max_length=8, choices=PersonGroup.choices, default=PersonGroup.ANY
    )
    sex = models.CharField(max_length=8, choices=Sex.choices, blank=True)
    exploitation_form = models.CharField(
        max_length=32, choices=ExploitationForm.choices, blank=True
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="pathways"
    )
    priority = models.PositiveSmallIntegerField(default=10)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["purpose", "priority"]

    def __str__(self) -> str:
        return f"{self.purpose} / {self.region or '*'} -> {self.service}"

    def clean(self) -> None:
        if self.service_id and self.service.kind != self.purpose:
            raise ValidationError(
                {"service": _("The service's kind must match the pathway's purpose.")}
            )


class AuditEvent(models.Model):
    """An append-only, MAC-chained record of who did what, when and why.

    Written only by `nrm.audit.record()`. Carries ids and codes only; a
    free-text reason arrives already sealed by the vault.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    case_id = models.UUIDField(null=True, blank=True, db_index=True)
    from_state = models.CharField(max_length=32, blank=True)
    to_state = models.CharField(max_length=32, blank=True)
    reason_code = models.CharField(max_length=64, blank=True)
    reason_sealed = models.BinaryField(null=True, blank=True)
    extra = models.JSONField(default=dict, blank=True)
    # The chain: HMAC-SHA-256 of the event and its predecessor's MAC, under
    # the audit key `key_id` (nrm.audit_keys; never in the database).
    key_id = models.CharField(max_length=16)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["organisation", "occurred_at"])]

    def __str__(self) -> str:
        return f"#{self.id} {self.action}"


class AuditChainHead(models.Model):
    """The chain's last hash. Locking this row serialises audit writes, so the
    chain has one order even under concurrent transactions."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"audit chain head at #{self.last_id}"


class OutboxMessage(models.Model):
    """A notification written in the same transaction as the change it reports,
    delivered after commit (at least once) by `deliver_outbox` or a worker."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=64)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+"
    )
    payload = models.JSONField(default=dict, help_text=_("Ids and codes only."))
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=200, blank=True)
    # Backoff: a failed delivery is not tried again before this time.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(delivered_at__isnull=True),
                name="outbox_undelivered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} -> {self.organisation_id}"


class IdempotencyKey(models.Model):
    """The first answer to a POST made with an `Idempotency-Key` header, kept
    so a retry with the same key gets it again without a second effect
    (nrm/idempotency.py). Holds digests, never the key or the request body;
    the stored answer is the write's response, which decrypts nothing."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key_digest = models.CharField(max_length=64)
    request_digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    status = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key_digest"], name="idempotency_key_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"idempotency key #{self.id}"
