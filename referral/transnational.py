"""The transnational exchange's format: who we are, the package and the
acknowledgement as documents, and how a message from a partner is opened
and checked. The writes (send, receive, acknowledge, answer) are the
services in `referral/services/transnational.py`; the cryptography is the
vault's (`referral/vault/jose.py`, `referral/vault/exchangekeys.py`).

A package is a JSON object of claims (`typ` "nrm-handover/1", `iss`, `aud`,
`jti`, `iat`, `exp`, `kind`, `case`), signed then encrypted to the partner;
its `case` member uses the Human Trafficking Case Data Standard's field
names where they exist and this service's `nrm_` codes elsewhere
(docs/transnational.md lists them, with an example). An acknowledgement
(`typ` "nrm-acknowledgement/1") names the package (`handover`) and says
`received`, `accepted` or `declined` (with a reason code).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, Forbidden, InvalidInput
from nrm.models import Organisation
from nrm.selectors import active_profile
from referral.models import (
    Case,
    Decision,
    KeyUse,
    PartnerKey,
    PartnerMechanism,
    Referral,
    Screening,
)
from referral.vault import exchangekeys, jose

PACKAGE_TYPE = "nrm-handover/1"
ACKNOWLEDGEMENT_TYPE = "nrm-acknowledgement/1"
# A package not opened within this time is refused as expired; keys are
# retired only after it, so no package in flight is lost to a rotation.
PACKAGE_LIFETIME = timedelta(days=14)
ACKNOWLEDGEMENT_LIFETIME = timedelta(days=14)
# Clocks of two mechanisms differ a little.
CLOCK_SKEW = timedelta(minutes=5)

# HTCDS prs_Gender values for this service's sex codes.
_GENDER = {"female": "Female", "male": "Male", "other": "Transgender/NonConforming"}


def mechanism_id() -> str:
    """This mechanism's identifier in the exchange (the packages' `iss` and
    `aud`): TRANSNATIONAL_MECHANISM_ID, else the active profile's country."""
    return getattr(settings, "TRANSNATIONAL_MECHANISM_ID", "") or (
        active_profile().country
    )


def partner_for(organisation: Organisation) -> PartnerMechanism | None:
    """The partner mechanism a directory organisation stands for, if any."""
    return PartnerMechanism.objects.filter(
        organisation=organisation, is_active=True
    ).first()


def _valid_keys(use: str, at: datetime):
    return PartnerKey.objects.filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=at),
        use=use,
        valid_from__lte=at,
        partner__is_active=True,
    ).select_related("partner")


def encryption_key_for(partner: PartnerMechanism, at: datetime) -> dict:
    """The partner's newest valid encryption key (a rotation starts using the
    new key at once; the partner keeps the old one for packages in flight)."""
    key = _valid_keys(KeyUse.ENCRYPTION, at).filter(partner=partner).first()
    if key is None:
        raise Conflict(
            _("The partner mechanism has no valid encryption key."),
            code="partner_key_missing",
        )
    return {**key.jwk, "kid": key.kid}


def timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


# A time a partner signs is between these, or the package is malformed (a
# huge, infinite or NaN number must be a 400, never an overflow).
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def from_timestamp(value: object) -> datetime:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise malformed()
    try:
        moment = datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise malformed() from None
    if not _EARLIEST <= moment <= _LATEST:
        raise malformed()
    return moment


# The package


def identity_document(
    *,
    given_names: str,
    family_name: str,
    date_of_birth: date | None,
    sex: str,
    citizenship: str,
    is_child: bool,
    age_group: str,
    language: str,
    contact_details: str,
    exploitation_forms,
    sender_case_number: str,
    referring_organisation: str,
    kind: str,
) -> dict:
    """The person's identity and the sender's reference in a package's `case`
    member (HTCDS names where they exist): what `case_document` sends of a
    case, and what a training exercise's partner sends of a persona."""
    return {
        "prs_FirstName": given_names,
        "prs_SecondName": family_name,
        "prs_Birthdate": date_of_birth.isoformat() if date_of_birth else None,
        "prs_Gender": _GENDER.get(sex, "Unknown"),
        "prs_Nationality": citizenship,
        "cas_Status": "ClosedReferred",
        "cas_ReferringOrganisation": referring_organisation,
        "cas_ReasonForIncomingReferral": "MigrationOrChangeOfLocation",
        "nrm_sender_case_number": sender_case_number,
        "nrm_handover_kind": kind,
        "nrm_is_child": is_child,
        "nrm_age_group": age_group,
        "nrm_language": language,
        "nrm_contact_details": contact_details,
        "nrm_exploitation_forms": sorted(exploitation_forms),
    }


def case_document(case: Case, *, kind: str, details: dict | None = None) -> dict:
    """The case's facts the partner needs, under HTCDS names where they exist.
    The person's data are those the consent to this transfer covers (for a
    child, as the best-interests assessment the transfer requires allows):
    identity, language and contact details; never notes, documents or
    aliases."""
    person = case.person
    screening = Screening.objects.filter(case=case).order_by("-screened_at").first()
    decisions = Decision.objects.filter(case=case).order_by("decided_at")
    referrals = Referral.objects.filter(case=case).order_by("sent_at")
    document = {
        **identity_document(
            given_names=person.given_names,
            family_name=person.family_name,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            citizenship=person.citizenship,
            is_child=person.is_child,
            age_group=person.age_group,
            language=case.language,
            contact_details=person.contact_details,
            exploitation_forms=case.forms.values_list("form", flat=True),
            sender_case_number=str(case.pk),
            referring_organisation=case.organisation.name,
            kind=kind,
        ),
        "nrm_screening": {
            "outcome": screening.outcome,
            "positive_dimensions": sorted(
                screening.assessment.get("positive_dimensions", [])
            ),
            "screened_on": screening.screened_at.date().isoformat(),
        }
        if screening
        else None,
        "nrm_decisions": [
            {
                "kind": d.kind,
                "positive": d.positive,
                "decided_on": d.decided_at.date().isoformat(),
            }
            for d in decisions
        ],
        "nrm_referrals": [
            {
                "purpose": r.purpose,
                "state": r.state,
                "sent_on": r.sent_at.date().isoformat(),
            }
            for r in referrals
        ],
    }
    if details:
        document["nrm_return"] = details
    return document


def package_claims(
    *,
    partner: PartnerMechanism,
    package_id,
    kind: str,
    made_at: datetime,
    document: dict,
) -> dict:
    return {
        "typ": PACKAGE_TYPE,
        "iss": mechanism_id(),
        "aud": partner.mechanism_id,
        "jti": str(package_id),
        "iat": timestamp(made_at),
        "exp": timestamp(made_at + PACKAGE_LIFETIME),
        "kind": kind,
        "case": document,
    }


def acknowledgement_claims(
    *,
    partner: PartnerMechanism,
    ack_id,
    handover,
    status: str,
    reason_code: str,
    reference: str,
    made_at: datetime,
) -> dict:
    return {
        "typ": ACKNOWLEDGEMENT_TYPE,
        "iss": mechanism_id(),
        "aud": partner.mechanism_id,
        "jti": str(ack_id),
        "iat": timestamp(made_at),
        "exp": timestamp(made_at + ACKNOWLEDGEMENT_LIFETIME),
        "handover": str(handover),
        "status": status,
        "reason_code": reason_code,
        "case_reference": reference,
    }


def own_keys() -> exchangekeys.ExchangeKeys:
    """Our exchange keys, or 409 when the key file is missing (the operator
    runs `manage.py transnational_keygen`)."""
    try:
        return exchangekeys.exchange_keys()
    except ImproperlyConfigured:
        raise Conflict(
            _("This mechanism has no exchange keys yet."),
            code="exchange_keys_missing",
        ) from None


def seal_for(partner: PartnerMechanism, claims: dict, at: datetime) -> str:
    """Sign with our active signing key, encrypt to the partner."""
    return jose.seal(
        claims,
        signing_key=own_keys().active_signing_key,
        encryption_key=encryption_key_for(partner, at),
    )


# Opening what a partner sent: each refusal a stable code, no content.


def malformed() -> InvalidInput:
    return InvalidInput(
        _("This is not a hand-over package or acknowledgement."),
        code="package_malformed",
    )


def tampered() -> InvalidInput:
    return InvalidInput(
        _("The package does not decrypt or its signature does not verify."),
        code="package_tampered",
    )


def not_for_us() -> InvalidInput:
    return InvalidInput(
        _("The package is not addressed to this mechanism."),
        code="package_not_addressed_to_us",
    )


def unknown_key() -> Forbidden:
    return Forbidden(
        _("The package is not signed by a valid key of a partner mechanism."),
        code="unknown_partner_key",
    )


@dataclass(frozen=True)
class Message:
    """A verified message from a partner."""

    partner: PartnerMechanism
    claims: dict
    made_at: datetime
    expires_at: datetime

    @property
    def type(self) -> str:
        return self.claims.get("typ", "")


def open_message(sealed: str, *, now: datetime) -> Message:
    """Decrypt with our keys, verify against the partner directory, check the
    claims. Raises InvalidInput (400) or Forbidden (403) with a stable code."""
    keys = own_keys()
    valid = {key.kid: key for key in _valid_keys(KeyUse.SIGNING, now)}
    try:
        opened = jose.open_sealed(
            sealed,
            decryption_keys=keys.encryption,
            verification_keys={kid: key.jwk for kid, key in valid.items()},
        )
    except jose.JoseError as exc:
        raise {
            "format": malformed,
            "unknown_recipient_key": not_for_us,
            "decrypt": tampered,
            "signature": tampered,
            "unknown_signing_key": unknown_key,
            "claims": malformed,
        }[exc.stage]() from None
    claims = opened.claims
    partner = valid[opened.signing_kid].partner
    if claims.get("iss") != partner.mechanism_id:
        raise unknown_key()
    if claims.get("aud") != mechanism_id():
        raise not_for_us()
    if claims.get("typ") not in (PACKAGE_TYPE, ACKNOWLEDGEMENT_TYPE):
        raise malformed()
    made_at = from_timestamp(claims.get("iat"))
    expires_at = from_timestamp(claims.get("exp"))
    if expires_at > made_at + PACKAGE_LIFETIME + CLOCK_SKEW:
        raise malformed()  # no package lives longer than ours do
    if expires_at + CLOCK_SKEW < now:
        raise InvalidInput(
            _("The package has expired; ask the sender for a new one."),
            code="package_expired",
        )
    if made_at - CLOCK_SKEW > now:
        raise malformed()
    return Message(
        partner=partner, claims=claims, made_at=made_at, expires_at=expires_at
    )
