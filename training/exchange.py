"""The exercise's foreign mechanism: what plays a `handover_received`
inject through the real transnational inbox.

On first use in an exercise, a partner of the directory is made for the
persona's country (a `PartnerMechanism` standing for a directory
organisation of kind `foreign_nrm`, its public keys listed as a real
partner's), with a freshly generated signing and encryption key pair whose
private halves are kept only in the training app's own table
(`ExercisePartner`), never in the referral tables or our exchange key file.
The package of the persona is made with the real sender's functions
(`identity_document`, `package_claims`, the vault's `jose.seal`), signed by
that partner and encrypted to our own active encryption key, and handed to
the real `inbox_receive`: the inbound case opens at the contact point as
from a real partner, and a refusal is the inbox's own (audited as
`handover.refused`). Persona data are the pack's synthetic ones.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.utils import timezone

from nrm import services as nrm_services
from nrm.choices import OrganisationKind
from referral import transnational as exchange
from referral.models import (
    Handover,
    HandoverDirection,
    KeyUse,
    PartnerKey,
    PartnerMechanism,
)
from referral.vault import jose
from training.models import Exercise, ExercisePartner
from training.services import require_training

# A partner's packages are sent for the persona's arrival; this kind.
HANDOVER_KIND = "transfer"


def exercise_partner(exercise: Exercise, country: str) -> ExercisePartner:
    """The exercise's partner mechanism for this country, made on first use
    (only in a training mechanism)."""
    require_training()
    country = (country or "XX")[:2].upper()
    found = (
        exercise.partners.select_related("partner")
        .filter(partner__country=country)
        .first()
    )
    if found is not None:
        return found
    tag = exercise.pk.hex[:8]
    mechanism_id = f"EX-{tag}-{country}"
    organisation = nrm_services.organisation_create(
        name=f"Partner mechanism {country} (exercise {tag})",
        kind=OrganisationKind.FOREIGN_NRM,
        region="abroad",
        country=country,
        email=f"partner-{tag}-{country.lower()}@training.invalid",
    )
    partner = PartnerMechanism.objects.create(
        mechanism_id=mechanism_id,
        country=country,
        name=f"Exercise partner mechanism {country}",
        contact_point="Exercise control (synthetic)",
        inbox_url="https://partner.training.invalid/api/v1/transnational/inbox/",
        organisation=organisation,
    )
    signing = jose.new_key_pair(use="sig", kid=f"{mechanism_id}-sig-1")
    encryption = jose.new_key_pair(use="enc", kid=f"{mechanism_id}-enc-1")
    valid_from = timezone.now() - timedelta(minutes=10)
    for key, use in ((signing, KeyUse.SIGNING), (encryption, KeyUse.ENCRYPTION)):
        public = jose.public_jwk(key)
        PartnerKey.objects.create(
            partner=partner,
            use=use,
            kid=key["kid"],
            jwk={**public, "kid": key["kid"], "use": use},
            fingerprint=jose.fingerprint(public),
            valid_from=valid_from,
        )
    return ExercisePartner.objects.create(
        exercise=exercise,
        partner=partner,
        signing_key=signing,
        encryption_key=encryption,
    )


def _our_encryption_key() -> dict:
    """Our active public encryption key, as the well-known URL publishes it
    (409 `exchange_keys_missing` without a key file, as for a real
    partner's package)."""
    keys = exchange.own_keys().public_keys()
    return next(k for k in keys if k.get("use") == KeyUse.ENCRYPTION)


def persona_package(row: ExercisePartner, persona: dict, key: str) -> tuple[str, str]:
    """The sealed package of a pack persona from the exercise's partner, and
    its package id."""
    partner = row.partner
    now = timezone.now()  # the inbox checks packages on the real clock
    package_id = uuid.uuid4()
    born = persona.get("date_of_birth")
    document = exchange.identity_document(
        given_names=persona["given_names"],
        family_name=persona["family_name"],
        date_of_birth=date.fromisoformat(born) if born else None,
        sex=persona["sex"],
        citizenship=persona["citizenship"],
        is_child=persona["is_child"],
        age_group=persona["age_group"],
        language=persona["language"],
        contact_details="",
        exploitation_forms=persona.get("exploitation_forms", []),
        sender_case_number=f"{partner.mechanism_id}-{key}"[:64],
        referring_organisation=partner.name,
        kind=HANDOVER_KIND,
    )
    document.update(nrm_screening=None, nrm_decisions=[], nrm_referrals=[])
    claims = exchange.package_claims(
        partner=partner,
        package_id=package_id,
        kind=HANDOVER_KIND,
        made_at=now,
        document=document,
    )
    # package_claims addresses our packages to a partner; this one comes
    # from the partner to us.
    claims["iss"], claims["aud"] = partner.mechanism_id, exchange.mechanism_id()
    sealed = jose.seal(
        claims, signing_key=row.signing_key, encryption_key=_our_encryption_key()
    )
    return sealed, str(package_id)


def received_case(row: ExercisePartner, package_id: str):
    handover = (
        Handover.objects.filter(
            direction=HandoverDirection.INBOUND,
            partner=row.partner,
            package_id=package_id,
        )
        .select_related("case")
        .get()
    )
    return handover.case


def partners_retire(exercise: Exercise) -> None:
    """At reset: the exercise's partners leave the directory (their packages
    no longer verify)."""
    PartnerMechanism.objects.filter(
        pk__in=exercise.partners.values("partner_id")
    ).update(is_active=False)
