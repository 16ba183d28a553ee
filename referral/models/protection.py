"""The protections a presumed or identified victim has beside the decisions:
the person's own recorded requests, the non-punishment notice, the risk
assessment before return, the return itself and the residence permit.

The rules that use these rows are guards in `referral/workflow.py`; the
steps that write them are in `referral/services/protection.py`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from referral.vault import SealedField


class PersonRequestKind(models.TextChoices):
    """What the person asks for that the recovery and reflection period would
    otherwise hold back (CETS 197 art. 13)."""

    EARLY_DECISION = (
        "early_decision",
        _("A conclusive decision before the recovery period ends"),
    )
    RETURN = "return", _("Return to the country of origin during the period")
    TRANSFER = "transfer", _("Transfer abroad during the period")


class PersonRequest(models.Model):
    """A request of the person, in their own words (sealed), recorded by a
    member of staff with the language and whether an interpreter was present.
    A step the period would refuse goes ahead only by naming such a record."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "referral.Case", on_delete=models.PROTECT, related_name="person_requests"
    )
    kind = models.CharField(max_length=32, choices=PersonRequestKind.choices)
    language = models.CharField(max_length=16)
    interpreter_present = models.BooleanField(default=False)
    text = SealedField(subject="case.person")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"person request {self.id}"


class NonPunishmentNotice(models.Model):
    """The prosecutor or the police were told that the person is a presumed
    victim, so that they are not punished for what they were compelled to do
    (CETS 197 art. 26; Directive 2011/36/EU art. 8)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "referral.Case",
        on_delete=models.PROTECT,
        related_name="non_punishment_notices",
    )
    notified_organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    notified_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"non-punishment notice {self.id}"


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RiskAssessment(models.Model):
    """The risk of re-trafficking and the risk on return, assessed before any
    return (CETS 197 art. 16(2) and (7); Directive 2011/36/EU art. 11)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "referral.Case", on_delete=models.PROTECT, related_name="risk_assessments"
    )
    retrafficking_risk = models.CharField(max_length=16, choices=RiskLevel.choices)
    return_risk = models.CharField(max_length=16, choices=RiskLevel.choices)
    reasons = SealedField(subject="case.person")
    assessed_at = models.DateTimeField()
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["assessed_at"]

    def __str__(self) -> str:
        return f"risk assessment {self.id}"


class ReturnKind(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary return")
    FORCED = "forced", _("Forced return")


class CaseReturn(models.Model):
    """How a case closed for return ended: voluntary or forced, and who
    receives the person (an organisation of the directory, or a partner named
    in free text, sealed). CETS 197 art. 16; OSCE Uniform Guidelines 2019."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.OneToOneField(
        "referral.Case", on_delete=models.PROTECT, related_name="case_return"
    )
    kind = models.CharField(max_length=16, choices=ReturnKind.choices)
    partner_organisation = models.ForeignKey(
        "nrm.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    partner_name = SealedField(subject="case.person")
    person_request = models.ForeignKey(
        PersonRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"return {self.id}"


class ResidencePermitStatus(models.TextChoices):
    APPLIED = "applied", _("Applied for")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class ResidencePermit(models.Model):
    """A step of the residence permit a recognised victim may obtain (CETS 197
    art. 14; Directive 2004/81/EC beside Directive 2011/36/EU art. 11)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "referral.Case", on_delete=models.PROTECT, related_name="residence_permits"
    )
    status = models.CharField(max_length=16, choices=ResidencePermitStatus.choices)
    status_on = models.DateField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "nrm.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at"]

    def __str__(self) -> str:
        return f"residence permit {self.status} {self.id}"
