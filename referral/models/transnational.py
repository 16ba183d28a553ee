"""The transnational exchange: the directory of partner mechanisms (their
inboxes and public keys) and the hand-overs sent to and received from them.

No personal value is stored here in clear: an outbound hand-over keeps the
package as the JWE the partner can open (ciphertext to us), an inbound one
keeps ids and codes only (the person is registered and sealed under our own
vault keys). The exchange itself is in `referral/transnational.py`.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PartnerMechanism(models.Model):
    """A foreign national referral mechanism we exchange hand-overs with."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mechanism_id = models.CharField(
        max_length=64,
        unique=True,
        help_text=_("The partner's mechanism identifier (the packages' iss/aud)."),
    )
    country = models.CharField(max_length=2, help_text=_("ISO 3166-1 alpha-2."))
    name = models.CharField(max_length=200)
    contact_point = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The partner's contact point (office, telephone, e-mail)."),
    )
    inbox_url = models.URLField(
        max_length=300, help_text=_("Where hand-overs and acknowledgements are posted.")
    )
    organisation = models.OneToOneField(
        "nrm.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="partner_mechanism",
        help_text=_(
            "The directory's organisation standing for this partner: a transfer "
            "to it is sent to this partner."
        ),
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["country", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class KeyUse(models.TextChoices):
    SIGNING = "sig", _("Signature")
    ENCRYPTION = "enc", _("Encryption")


class PartnerKey(models.Model):
    """One public key of a partner, valid for a period. Several may be valid
    at once while the partner rotates: packages in flight still verify."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    partner = models.ForeignKey(
        PartnerMechanism, on_delete=models.CASCADE, related_name="keys"
    )
    use = models.CharField(max_length=3, choices=KeyUse.choices)
    kid = models.CharField(max_length=100)
    jwk = models.JSONField(help_text=_("The public key (JWK, EC P-256)."))
    fingerprint = models.CharField(
        max_length=64,
        editable=False,
        help_text=_("RFC 7638 thumbprint, to compare out of band."),
    )
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["partner", "use", "-valid_from"]
        constraints = [
            # A kid names one key across the directory: a package's signature
            # names its key by kid alone, before we know who sent it.
            models.UniqueConstraint(fields=["kid"], name="partner_key_kid_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.use})"


class HandoverDirection(models.TextChoices):
    OUTBOUND = "outbound", _("Sent")
    INBOUND = "inbound", _("Received")


class HandoverKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer (transit)")
    RETURN = "return", _("Return to the country of origin")


class HandoverStatus(models.TextChoices):
    QUEUED = "queued", _("Queued for sending")
    RECEIVED = "received", _("Received by the partner")
    ACCEPTED = "accepted", _("Hand-over confirmed")
    DECLINED = "declined", _("Hand-over declined")


class HandoverDeclineReason(models.TextChoices):
    NOT_FOUND = "person_not_found", _("The person did not arrive")
    NOT_COMPETENT = "not_competent", _("Not competent for this person")
    DUPLICATE = "duplicate", _("Already known under another case")
    OTHER = "other", _("Other reason")


class Handover(models.Model):
    """One package between mechanisms, sent or received, and what the other
    side acknowledged."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    direction = models.CharField(max_length=8, choices=HandoverDirection.choices)
    kind = models.CharField(max_length=8, choices=HandoverKind.choices)
    partner = models.ForeignKey(
        PartnerMechanism, on_delete=models.PROTECT, related_name="handovers"
    )
    case = models.ForeignKey(
        "referral.Case", on_delete=models.PROTECT, related_name="handovers"
    )
    referral = models.ForeignKey(
        "referral.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The package's id (its `jti`): ours for a sent package, the sender's for
    # a received one. A package received twice is one hand-over.
    package_id = models.UUIDField()
    made_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Sent: the JWE as queued (ciphertext only the partner opens); received:
    # empty (what it carried is registered and sealed under our own keys).
    package = models.TextField(blank=True)
    # The other side's case number: the sender's for a received package, the
    # receiver's (from its acknowledgement) for a sent one.
    partner_reference = models.CharField(max_length=64, blank=True)
    status = models.CharField(
        max_length=8, choices=HandoverStatus.choices, default=HandoverStatus.QUEUED
    )
    status_at = models.DateTimeField()
    reason_code = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-made_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "partner", "package_id"],
                name="handover_package_once",
            )
        ]
        indexes = [
            models.Index(
                fields=["status"],
                condition=Q(direction="outbound"),
                name="handover_outbound_status",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind} {self.package_id}"
