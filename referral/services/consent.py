"""Informing the person of their rights; informed consent, per organisation
and purpose, and its withdrawal."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import Conflict, InvalidInput, NotVisible
from nrm.audit import Event
from nrm.choices import ServiceKind
from nrm.models import User
from nrm.roles import Capability as C
from nrm.roles import Role
from referral import policy, workflow
from referral import serializers as s
from referral.models import Consent, Referral, ReferralState, RightsInformation
from referral.services.common import event, lapse_referral, organisation, revoke
from referral.steps import Context, step

# The rights script, shown on the step's page in the officer's language.
RIGHTS_SCRIPT = _(
    "Say to the person, in a language they understand: You may be a victim of "
    "trafficking in human beings. You have the right to assistance, safe "
    "accommodation, medical care, an interpreter and free legal advice, "
    "whether or not you co-operate with the police. You have at least 30 days "
    "to recover and decide, during which you will not be removed. Your data "
    "are shared only with your consent, except to protect a child. You may "
    "ask for any decision to be reconsidered."
)


@step(
    "inform-of-rights",
    label=_("Inform of rights"),
    capability=C.RIGHTS_INFORM,
    guards=(workflow.require_open,),
    input=s.RightsInformationCreateSerializer,
    output=s.RightsInformationSerializer,
    event=Event.RIGHTS_INFORMED,
    help_text=RIGHTS_SCRIPT,
)
def rights_inform(
    ctx: Context,
    *,
    script: str,
    language: str,
    interpreter_present: bool = False,
    informed_on: date | None = None,
) -> RightsInformation:
    """Record that the person was informed of their rights: which script or
    leaflet, in which language, with or without an interpreter, when and by
    whom (CETS 197 arts. 12(1)(d), 15(1); Directive 2011/36/EU art. 11(6);
    OSCE Uniform Guidelines 2019). Consent needs it first."""
    today = timezone.localdate(ctx.now)
    if informed_on is not None and informed_on > today:
        raise InvalidInput(
            _("The date the person was informed cannot be in the future."),
            code="informed_on_in_future",
            detail={"informed_on": ["In the future."]},
        )
    record = RightsInformation(
        case=ctx.case,
        script=script,
        language=language,
        interpreter_present=interpreter_present,
        informed_on=informed_on or today,
        informed_by=ctx.actor,
        organisation=ctx.membership.organisation,
        recorded_at=ctx.now,
    )
    record.full_clean(exclude=["case", "informed_by", "organisation"])
    record.save(force_insert=True)
    event(
        Event.RIGHTS_INFORMED,
        actor=ctx.actor,
        membership=ctx.membership,
        case=ctx.case,
        obj=record,
        reason_code=script,
        extra={"language": language, "interpreter_present": interpreter_present},
    )
    return record


@step(
    "record-consent",
    label=_("Record consent"),
    capability=C.CONSENT_RECORD,
    guards=(workflow.require_open, workflow.require_rights_information),
    input=s.ConsentCreateSerializer,
    output=s.ConsentSerializer,
    event=Event.CONSENT_RECORDED,
    page="case-consent-new",
)
def consent_record(
    ctx: Context,
    *,
    to_organisation_id: UUID,
    purpose: str,
    given: bool,
    language: str,
    interpreter_used: bool = False,
    notes: str = "",
) -> Consent:
    """Record informed consent, or its refusal, per organisation and purpose."""
    case, actor, membership = ctx.case, ctx.actor, ctx.membership
    recipient = organisation(to_organisation_id)
    if recipient is None or not recipient.is_active:
        raise InvalidInput(
            _("Unknown or inactive organisation."),
            code="unknown_organisation",
            detail={"to_organisation_id": ["Unknown or inactive organisation."]},
        )
    workflow.require_choice(purpose, ServiceKind, "purpose")
    giver = workflow.require_consent_giver(
        case, actor_role=membership.role, actor_id=actor.pk
    )
    consent = Consent(
        case=case,
        to_organisation=recipient,
        purpose=purpose,
        given=given,
        given_by=giver,
        guardian=actor if membership.role == Role.GUARDIAN else None,
        language=language,
        interpreter_used=interpreter_used,
        recorded_at=ctx.now,
        recorded_by=actor,
    )
    consent.notes = notes
    consent.full_clean(exclude=["case", "to_organisation", "recorded_by", "guardian"])
    consent.save(force_insert=True)
    event(
        Event.CONSENT_RECORDED,
        actor=actor,
        membership=membership,
        case=case,
        obj=consent,
        reason_code="given" if given else "refused",
        extra={"organisation": str(recipient.pk), "purpose": purpose},
    )
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, consent_id: UUID) -> Consent:
    """Withdrawal stops sharing: open referrals under it are withdrawn and the
    organisation's access to the case is revoked."""
    found = Consent.objects.filter(pk=consent_id).values_list("case_id", flat=True)
    if not found:
        raise NotVisible()
    case = policy.get_visible_case(actor, found[0], for_update=True)
    membership = policy.require(actor, C.CONSENT_RECORD, case)
    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("to_organisation")
        .get(pk=consent_id)
    )
    if consent.withdrawn_at is not None or not consent.given:
        raise Conflict(_("This consent is not in force."), code="consent_not_in_force")
    workflow.require_consent_giver(case, actor_role=membership.role, actor_id=actor.pk)
    now = clock.now()
    consent.withdrawn_at = now
    consent.withdrawn_by = actor
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    event(
        Event.CONSENT_WITHDRAWN,
        actor=actor,
        membership=membership,
        case=case,
        obj=consent,
        extra={
            "organisation": str(consent.to_organisation_id),
            "purpose": consent.purpose,
        },
    )
    open_referrals = Referral.objects.select_for_update().filter(
        case=case,
        to_organisation_id=consent.to_organisation_id,
        purpose=consent.purpose,
        state__in=[ReferralState.SENT, ReferralState.ACCEPTED],
    )
    for referral in open_referrals:
        lapse_referral(
            referral,
            case,
            method="withdraw",
            event_code=Event.REFERRAL_WITHDRAWN,
            actor=actor,
            membership=membership,
            now=now,
            reason="consent_withdrawn",
        )
    still_consented = Consent.objects.filter(
        case=case,
        to_organisation_id=consent.to_organisation_id,
        given=True,
        withdrawn_at__isnull=True,
    ).exists()
    keeps_access = still_consented or workflow.holds_consent_free_referral(
        case, consent.to_organisation_id
    )
    if not keeps_access:
        revoke(case, consent.to_organisation, actor=actor, membership=membership)
    return consent
