"""The transnational exchange's writes: send a hand-over (transfer or
return), receive one at the inbox, record an acknowledgement, answer a
received one (the `answer-handover` step), and the relay that posts queued
packages to the partner's inbox.

Sending runs inside the transfer's (or return's) transaction: the package
is made, stored as ciphertext and queued in the outbox with the state
change, or not at all. Receiving refuses what does not open or verify with
a 4xx and writes nothing but an audit event without content
(`inbox_refusal_record`). The format is `referral/transnational.py`'s.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import ApplicationError, Conflict, InvalidInput
from nrm import audit, outbox
from nrm.audit import Event
from nrm.models import Membership, OutboxMessage, User
from nrm.roles import Capability as C
from nrm.selectors import active_profile
from referral import persons, policy, workflow
from referral import serializers as s
from referral import transnational as exchange
from referral.deadlines import add_working_days
from referral.models import (
    Case,
    Deadline,
    DeadlineKind,
    Handover,
    HandoverDeclineReason,
    HandoverDirection,
    HandoverKind,
    HandoverStatus,
    PartnerMechanism,
    ReceptionStage,
    Referral,
)
from referral.services.common import close_deadlines, event, refer_child_to_protection
from referral.statistics import milestones
from referral.steps import Context, step

# The account inbound cases are registered by: no membership, no password,
# never signs in; the audit trail names it.
EXCHANGE_USERNAME = "transnational-exchange"


# Sending


def handover_send(
    *,
    case: Case,
    partner: PartnerMechanism,
    kind: str,
    actor: User,
    membership: Membership | None,
    now: datetime,
    referral: Referral | None = None,
    details: dict | None = None,
) -> Handover:
    """Make the package for this case, store it (ciphertext) and queue it for
    the partner's inbox, in the caller's transaction (the transfer's, or a
    return's: `kind="return"`, with `details` such as the risk assessment
    and the receiving partner organisation). Raises the deadline for the
    partner's acknowledgement."""
    workflow.require_choice(kind, HandoverKind, "kind")
    package_id = uuid.uuid4()
    document = exchange.case_document(case, kind=kind, details=details)
    claims = exchange.package_claims(
        partner=partner,
        package_id=package_id,
        kind=kind,
        made_at=now,
        document=document,
    )
    sealed = exchange.seal_for(partner, claims, now)
    handover = Handover.objects.create(
        direction=HandoverDirection.OUTBOUND,
        kind=kind,
        partner=partner,
        case=case,
        referral=referral,
        package_id=package_id,
        made_at=now,
        expires_at=now + exchange.PACKAGE_LIFETIME,
        package=sealed,
        status=HandoverStatus.QUEUED,
        status_at=now,
    )
    profile = active_profile()
    Deadline.objects.create(
        case=case,
        referral=referral,
        kind=DeadlineKind.HANDOVER_ACKNOWLEDGEMENT,
        organisation=case.organisation,
        due_at=add_working_days(now, profile.referral_answer_working_days, profile),
    )
    outbox.enqueue(
        outbox.Notification.TRANSNATIONAL_HANDOVER,
        organisation=case.organisation,
        handover_id=handover.pk,
        package=sealed,
    )
    event(
        Event.HANDOVER_SENT,
        actor=actor,
        membership=membership,
        case=case,
        obj=handover,
        reason_code=kind,
        extra={"partner": partner.mechanism_id},
    )
    return handover


# Receiving


@dataclass(frozen=True)
class InboxAnswer:
    """What the inbox answers: the signed acknowledgement (a JWE for the
    sender), or for an acknowledgement received, nothing."""

    acknowledgement: str
    recorded: str


class Replayed(Conflict):
    """A package received before: 409, with the acknowledgement again (the
    sender whose first answer was lost still closes its loop)."""


def inbox_receive(*, sealed: str) -> InboxAnswer:
    """Open, verify and act on a message posted to our inbox, in one
    transaction. A hand-over opens an inbound case at the designated
    contact point; an acknowledgement is recorded on the hand-over it
    names."""
    now = timezone.now()
    with transaction.atomic():
        message = exchange.open_message(sealed, now=now)
        if message.type == exchange.ACKNOWLEDGEMENT_TYPE:
            status = acknowledgement_record(message=message, now=now)
            return InboxAnswer(acknowledgement="", recorded=status)
        return _receive_package(message, now=now)


def _receive_package(message: exchange.Message, *, now: datetime) -> InboxAnswer:
    claims, partner = message.claims, message.partner
    try:
        package_id = uuid.UUID(str(claims.get("jti")))
    except ValueError:
        raise exchange.malformed() from None
    document = claims.get("case")
    if not isinstance(document, dict) or claims.get("kind") not in HandoverKind.values:
        raise exchange.malformed()
    earlier = Handover.objects.filter(
        direction=HandoverDirection.INBOUND, partner=partner, package_id=package_id
    ).first()
    if earlier is not None:
        raise Replayed(
            _("This package was received before; it opened one case."),
            code="package_replayed",
            detail={
                "acknowledgement": _acknowledge(
                    earlier, HandoverStatus.RECEIVED, now=now
                )
            },
        )
    # The package is checked (and acknowledged) on the real clock; the case
    # it opens follows the workflow's clock (core/clock.py: the same in
    # production, the exercise clock in a training mechanism).
    at = clock.now()
    profile = active_profile()
    contact_point = profile.transnational_contact_point
    if contact_point is None:
        raise Conflict(
            _("This mechanism has no designated contact point for hand-overs."),
            code="no_contact_point",
        )
    registrar = _exchange_user()
    try:
        person = persons.person_create(**_person_fields(document))
        case = Case(
            person=person,
            organisation=contact_point,
            region=contact_point.region,
            reception_stage=ReceptionStage.TRANSIT,
            language=_text(document.get("nrm_language"), 16),
            registered_at=at,
            registered_by=registrar,
            state_changed_at=at,
        )
        case.full_clean(exclude=["person", "state"])
    except ValidationError:
        # Codes outside our lists: the package does not fit this mechanism.
        raise exchange.malformed() from None
    case.save(force_insert=True)
    policy.grant_case_access(case, contact_point)
    try:
        with transaction.atomic():
            handover = Handover.objects.create(
                direction=HandoverDirection.INBOUND,
                kind=claims["kind"],
                partner=partner,
                case=case,
                package_id=package_id,
                made_at=message.made_at,
                expires_at=message.expires_at,
                partner_reference=_text(document.get("nrm_sender_case_number"), 64),
                status=HandoverStatus.RECEIVED,
                status_at=at,
            )
    except IntegrityError:
        # The same package, received at the same moment by another worker.
        raise Conflict(
            _("This package was received before; it opened one case."),
            code="package_replayed",
        ) from None
    Deadline.objects.create(
        case=case,
        kind=DeadlineKind.HANDOVER_ONWARD,
        organisation=contact_point,
        due_at=add_working_days(at, profile.referral_answer_working_days, profile),
    )
    if person.is_child:
        refer_child_to_protection(case, actor=registrar, now=at)
    audit.record(
        Event.PERSON_REGISTERED,
        actor=registrar,
        organisation=contact_point,
        object_type="person",
        object_id=person.pk,
        case_id=case.pk,
    )
    audit.record(
        Event.HANDOVER_RECEIVED,
        actor=registrar,
        organisation=contact_point,
        object_type="handover",
        object_id=handover.pk,
        case_id=case.pk,
        reason_code=handover.kind,
        extra={"partner": partner.mechanism_id},
    )
    milestones.sync(case.pk)
    return InboxAnswer(
        acknowledgement=_acknowledge(handover, HandoverStatus.RECEIVED, now=now),
        recorded=HandoverStatus.RECEIVED,
    )


def _text(value: object, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


_SEX = {"Female": "female", "Male": "male", "Transgender/NonConforming": "other"}


def _person_fields(document: dict) -> dict:
    """The person's fields from a package's HTCDS names; a wrong type is a
    malformed package (400), never a 500."""
    names = (document.get("prs_FirstName"), document.get("prs_SecondName"))
    if not all(isinstance(n, str) and n for n in names):
        raise exchange.malformed()
    birth = document.get("prs_Birthdate")
    try:
        born = date.fromisoformat(birth) if birth else None
    except (TypeError, ValueError):
        raise exchange.malformed() from None
    return {
        "given_names": names[0],
        "family_name": names[1],
        "date_of_birth": born,
        "sex": _SEX.get(document.get("prs_Gender"), "unknown"),
        "age_group": _text(document.get("nrm_age_group"), 16) or "unknown",
        "citizenship": _text(document.get("prs_Nationality"), 2) or "XX",
        "is_child": document.get("nrm_is_child") is True,
        "contact_details": _text(document.get("nrm_contact_details"), 2000),
    }


def _exchange_user() -> User:
    user = User.objects.filter(username=EXCHANGE_USERNAME).first()
    if user is None:
        user = User(username=EXCHANGE_USERNAME, is_active=False)
        user.set_unusable_password()
        user.save()
    return user


def _acknowledge(
    handover: Handover, status: str, *, now: datetime, reason_code: str = ""
) -> str:
    claims = exchange.acknowledgement_claims(
        partner=handover.partner,
        ack_id=uuid.uuid4(),
        handover=handover.package_id,
        status=status,
        reason_code=reason_code,
        reference=str(handover.case_id),
        made_at=now,
    )
    return exchange.seal_for(handover.partner, claims, now)


def inbox_refusal_record(error: ApplicationError) -> None:
    """The audit event of a refused message: the refusal's code only (the
    package's content, even its claimed sender, is not trusted or kept)."""
    with transaction.atomic():
        audit.record(
            Event.HANDOVER_REFUSED,
            actor=None,
            object_type="handover",
            reason_code=error.code[:32],
        )


# Acknowledgements


_FINAL = (HandoverStatus.ACCEPTED, HandoverStatus.DECLINED)


def acknowledgement_record(*, message: exchange.Message, now: datetime) -> str:
    """Record a partner's verified acknowledgement on the hand-over we sent
    it; the status recorded. A late `received` after the answer changes
    nothing."""
    claims = message.claims
    status = claims.get("status")
    if status not in (HandoverStatus.RECEIVED, *_FINAL):
        raise exchange.malformed()
    try:
        package_id = uuid.UUID(str(claims.get("handover")))
    except ValueError:
        raise exchange.malformed() from None
    handover = (
        Handover.objects.select_for_update()
        .select_related("case")
        .filter(
            direction=HandoverDirection.OUTBOUND,
            partner=message.partner,
            package_id=package_id,
        )
        .first()
    )
    if handover is None:
        raise InvalidInput(
            _("The acknowledgement names no hand-over sent to that partner."),
            code="unknown_handover",
        )
    if handover.status in _FINAL or (
        status == HandoverStatus.RECEIVED and handover.status == status
    ):
        return handover.status
    handover.status = status
    handover.status_at = now
    handover.reason_code = _text(claims.get("reason_code"), 32)
    handover.partner_reference = _text(claims.get("case_reference"), 64)
    handover.save(
        update_fields=["status", "status_at", "reason_code", "partner_reference"]
    )
    if status in _FINAL:
        close_deadlines(
            case=handover.case,
            kinds=[DeadlineKind.HANDOVER_ACKNOWLEDGEMENT],
            now=now,
            met=True,
        )
    audit.record(
        Event.HANDOVER_ACKNOWLEDGED,
        actor=None,
        object_type="handover",
        object_id=handover.pk,
        case_id=handover.case_id,
        to_state=status,
        reason_code=handover.reason_code,
        extra={"partner": message.partner.mechanism_id},
    )
    return status


@step(
    "answer-handover",
    label=_("Accept or decline a received hand-over"),
    capability=C.REFERRAL_ANSWER,
    input=s.HandoverAnswerSerializer,
    output=s.HandoverSerializer,
    guards=(workflow.require_inbound_handover,),
    event=Event.HANDOVER_ANSWERED,
    notifications=(outbox.Notification.TRANSNATIONAL_ACKNOWLEDGEMENT,),
    help_text=_(
        "The sending mechanism is told, by a signed acknowledgement, that the "
        "person's case was taken on or why not."
    ),
)
def handover_answer(ctx: Context, *, accept: bool, reason_code: str = "") -> Handover:
    """The contact point takes on a received hand-over, or declines it with a
    reason; the sender gets a signed acknowledgement through the outbox."""
    handover = (
        Handover.objects.select_for_update()
        .select_related("partner")
        .filter(
            case=ctx.case,
            direction=HandoverDirection.INBOUND,
            status=HandoverStatus.RECEIVED,
        )
        .first()
    )
    if handover is None:
        raise workflow.no_handover_to_answer()
    if accept:
        status, reason_code = HandoverStatus.ACCEPTED, ""
    else:
        if not reason_code:
            raise InvalidInput(
                _("Say why the hand-over is declined."),
                code="reason_required",
                detail={"reason_code": ["Required when declining."]},
            )
        workflow.require_choice(reason_code, HandoverDeclineReason, "reason_code")
        status = HandoverStatus.DECLINED
        close_deadlines(
            case=ctx.case,
            kinds=[DeadlineKind.HANDOVER_ONWARD],
            now=ctx.now,
            met=False,
        )
    handover.status, handover.status_at = status, ctx.now
    handover.reason_code = reason_code
    handover.save(update_fields=["status", "status_at", "reason_code"])
    sealed = _acknowledge(handover, status, now=ctx.now, reason_code=reason_code)
    outbox.enqueue(
        outbox.Notification.TRANSNATIONAL_ACKNOWLEDGEMENT,
        organisation=ctx.case.organisation,
        handover_id=handover.pk,
        package=sealed,
    )
    event(
        Event.HANDOVER_ANSWERED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=handover,
        reason_code=reason_code or status,
    )
    return handover


# Downloading a package (hand-over by other means)


def handover_package_download(*, actor: User, case_id) -> Handover:
    """The latest package sent for this case, for the registering
    organisation's supervisor; audited."""
    with transaction.atomic():
        case = policy.get_visible_case(actor, case_id)
        access = policy.require_rule(
            actor, policy.Rule.REGISTERING, C.HANDOVER_EXPORT, case
        )
        handover = (
            Handover.objects.filter(case=case, direction=HandoverDirection.OUTBOUND)
            .select_related("partner")
            .first()
        )
        if handover is None:
            raise Conflict(
                _("No hand-over package was made for this case."),
                code="no_handover_package",
            )
        event(
            Event.HANDOVER_DOWNLOADED,
            actor=actor,
            membership=access.membership,
            case=case,
            obj=handover,
        )
    return handover


# The relay: the outbox's transport for packages and acknowledgements


class DeliveryRefused(Exception):
    """The partner's inbox answered with an error (its code is kept on the
    outbox row, and the message is tried again later)."""


def deliver(message: OutboxMessage) -> None:
    """POST a queued package (or acknowledgement) to the partner's inbox; a
    package's answer is the partner's signed `received`, recorded here."""
    if not message.payload.get("package"):
        return  # dropped when the person was erased: nothing left to send
    handover = Handover.objects.select_related("partner").get(
        pk=message.payload["handover_id"]
    )
    body = json.dumps({"package": message.payload["package"]}).encode()
    request = urllib.request.Request(  # noqa: S310 - a URL from the admin's directory
        handover.partner.inbox_url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        answer = _json_or_empty(exc.read())
        if not (exc.code == 409 and answer.get("code") == "package_replayed"):
            raise DeliveryRefused(
                f"{exc.code} {answer.get('code', '')}"[:200]
            ) from None
        answer = answer.get("detail") or {}
    if handover.direction == HandoverDirection.INBOUND:
        return
    sealed = answer.get("acknowledgement")
    if not isinstance(sealed, str):
        raise DeliveryRefused("no acknowledgement")
    with transaction.atomic():
        now = timezone.now()
        acknowledgement = exchange.open_message(sealed, now=now)
        if acknowledgement.type != exchange.ACKNOWLEDGEMENT_TYPE:
            raise DeliveryRefused("not an acknowledgement")
        acknowledgement_record(message=acknowledgement, now=now)


def _json_or_empty(raw: bytes) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
