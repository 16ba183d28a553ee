"""The access policy: the one module that answers "may this user do X to this
object?".

It reads the role table (`nrm.roles`), the user's active memberships and the
object. Deny by default. Case access belongs to organisations, through
django-guardian grants to each organisation's group (direct foreign-key
tables, `CaseGroupObjectPermission`); model-wide permissions and superuser
status are never consulted. A guardian sees the children appointed to them.

Edges fetch objects through `get_visible_*` (404 for "absent" and "not yours"
alike); services call `require()` under the case lock (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from django.contrib.auth.models import Permission
from django.db import models
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from guardian.shortcuts import assign_perm, remove_perm

from core.compiled import CompiledQuery
from core.errors import Forbidden, InvalidInput, NotVisible
from nrm.choices import OrganisationKind, ServiceKind
from nrm.models import Membership, Organisation, User
from nrm.roles import Capability, Role, role_may
from nrm.selectors import active_memberships, active_profile
from referral.models import (
    Case,
    CaseGroupObjectPermission,
    GuardianAppointment,
    Referral,
    ReferralState,
)
from referral.models.duplicates import DuplicateReview

VIEW_CASE = "view_case"
C = Capability


def _view_grants() -> QuerySet[CaseGroupObjectPermission]:
    # The table holds grants on cases only (a direct foreign key), so the
    # codename alone names the permission: one join fewer to plan.
    return CaseGroupObjectPermission.objects.filter(permission__codename=VIEW_CASE)


def memberships_with(user: User, capability: str) -> list[Membership]:
    return [m for m in active_memberships(user) if role_may(m.role, capability)]


def may_globally(user: User, capability: str) -> bool:
    """Whether any of the user's roles has this capability at all."""
    return bool(memberships_with(user, capability))


# Cases


def visible_cases(user: User) -> QuerySet[Case]:
    """Cases this user may see: granted to the group of an organisation where
    they hold a case-viewing role, or a child appointed to them as guardian."""
    groups, guardian = _case_viewing_groups(user)
    condition = Q(pk__in=[])
    if groups:
        condition |= Q(
            pk__in=_view_grants()
            .filter(group_id__in=groups)
            .values("content_object_id")
        )
    if guardian:
        condition |= Q(
            pk__in=GuardianAppointment.objects.filter(
                guardian=user, ended_at__isnull=True
            ).values("case_id")
        )
    return Case.objects.filter(condition)


def _case_viewing_groups(user: User) -> tuple[list[int], bool]:
    members = memberships_with(user, C.CASE_VIEW)
    groups = [m.organisation.group_id for m in members if m.role != Role.GUARDIAN]
    return groups, any(m.role == Role.GUARDIAN for m in members)


def is_visible(user: User, case: Case) -> bool:
    members = memberships_with(user, C.CASE_VIEW)
    if any(
        m.role != Role.GUARDIAN and _has_grant(case, m.organisation_id) for m in members
    ):
        return True
    guardian = any(m.role == Role.GUARDIAN for m in members)
    return guardian and _is_appointed_guardian(user, case)


def get_visible_case(user: User, case_id: UUID, *, for_update: bool = False) -> Case:
    """The case, if this user may see it; NotVisible (404) otherwise.

    One query, whatever the number of cases: the row by primary key (locked
    when asked) with, beside it, whether each of the user's organisations
    holds a grant on it and whether the user is its appointed guardian. The
    answers stay on the instance, so the access checks that follow in the
    same request (`acting_membership`, `require_rule`) ask nothing more.
    """
    if not memberships_with(user, C.CASE_VIEW):
        raise NotVisible()
    if not isinstance(case_id, UUID):
        try:
            case_id = UUID(str(case_id))
        except ValueError:
            raise NotVisible() from None
    groups = {
        m.organisation_id: m.organisation.group_id
        for m in active_memberships(user)
        if m.role != Role.GUARDIAN
    }
    organisations = sorted(groups)
    guardian = any(m.role == Role.GUARDIAN for m in active_memberships(user))
    values = [groups[org] for org in organisations]
    if guardian:
        values.append(user.pk)
    found = _VISIBLE_CASE.run(
        (len(organisations), guardian, for_update), *values, case_id
    )
    if not found:
        raise NotVisible()
    case = found[0]
    case._policy_grants = {
        org: getattr(case, f"policy_grant_{i}") for i, org in enumerate(organisations)
    }
    case._policy_guardians = {user.pk: bool(getattr(case, "policy_appointed", False))}
    if not is_visible(user, case):
        raise NotVisible()
    return case


def _visible_case_query(shape: tuple[int, bool, bool], *values) -> QuerySet[Case]:
    """The case by primary key with, beside it, one grant answer per group
    and the guardian answer: built once per shape (`core.compiled`), because
    this runs on every step and the ORM costs more to build it than
    PostgreSQL costs to run it."""
    organisations, guardian, for_update = shape
    groups, rest = values[:organisations], values[organisations:]
    annotations = {
        f"policy_grant_{i}": Exists(
            _view_grants().filter(content_object_id=OuterRef("pk"), group_id=group)
        )
        for i, group in enumerate(groups)
    }
    if guardian:
        user_id, *rest = rest
        annotations["policy_appointed"] = Exists(
            GuardianAppointment.objects.filter(
                case_id=OuterRef("pk"), guardian_id=user_id, ended_at__isnull=True
            )
        )
    (case_id,) = rest
    queryset = Case.objects.select_related("person", "organisation")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    return queryset.annotate(**annotations).filter(pk=case_id).order_by()[:1]


_VISIBLE_CASE = CompiledQuery(_visible_case_query)


def granted_organisation_ids(case: Case) -> set[UUID]:
    return set(
        _view_grants()
        .filter(content_object=case)
        .values_list("group__organisation__id", flat=True)
    )


def _has_grant(case: Case, organisation_id: UUID) -> bool:
    """Whether the organisation holds a grant on the case; remembered on the
    instance for the request (the grant writers below keep it current)."""
    known = case.__dict__.setdefault("_policy_grants", {})
    if organisation_id not in known:
        known[organisation_id] = (
            _view_grants()
            .filter(content_object=case, group__organisation__id=organisation_id)
            .exists()
        )
    return known[organisation_id]


def _is_appointed_guardian(user: User, case: Case) -> bool:
    known = case.__dict__.setdefault("_policy_guardians", {})
    if user.pk not in known:
        known[user.pk] = GuardianAppointment.objects.filter(
            case=case, guardian=user, ended_at__isnull=True
        ).exists()
    return known[user.pk]


def acting_membership(user: User, capability: str, case: Case) -> Membership | None:
    """The membership through which this user may do `capability` to `case`:
    a capable role at an organisation holding a grant on the case (the
    registering organisation first), or the child's appointed guardian."""
    candidates = memberships_with(user, capability)
    candidates.sort(key=lambda m: m.organisation_id != case.organisation_id)
    for membership in candidates:
        if membership.role == Role.GUARDIAN:
            if _is_appointed_guardian(user, case):
                return membership
        elif _has_grant(case, membership.organisation_id):
            return membership
    return None


def may(user: User, capability: str, case: Case) -> bool:
    return acting_membership(user, capability, case) is not None


def require(user: User, capability: str, case: Case) -> Membership:
    """The acting membership, or Forbidden (403) for a case the user can see."""
    membership = acting_membership(user, capability, case)
    if membership is None:
        raise Forbidden(
            _("Your role does not allow this."),
            code="forbidden",
            detail={"capability": str(capability)},
        )
    return membership


def require_at_registering_organisation(
    user: User, capability: str, case: Case
) -> Membership:
    """For oversight of a case as a whole (erasure, subject access): a capable
    role at the organisation that registered it."""
    for membership in memberships_with(user, capability):
        if membership.organisation_id == case.organisation_id:
            return membership
    raise Forbidden(
        _("Only the registering organisation may do this."),
        code="registering_organisation_only",
        detail={"capability": str(capability)},
    )


CHILD_PROTECTION_KINDS = frozenset(
    {OrganisationKind.CHILD_PROTECTION, OrganisationKind.GUARDIANSHIP}
)


def require_child_protection(user: User, capability: str, case: Case) -> Membership:
    """Guardianship and best-interests assessments are for the child-protection
    or guardianship authority holding the case (CETS 197 art. 10(4); Directive
    2011/36/EU arts. 13-16; OSCE Uniform Guidelines 2019, children): neither
    the registering reception centre nor every organisation that accepted
    some referral for the child. The membership that acts is one at such an
    authority which itself holds the case, never a membership elsewhere
    vouching for it."""
    require(user, capability, case)
    for membership in memberships_with(user, capability):
        if (
            membership.role != Role.GUARDIAN
            and membership.organisation.kind in CHILD_PROTECTION_KINDS
            and _has_grant(case, membership.organisation_id)
        ):
            return membership
    raise Forbidden(
        _("Only the child-protection or guardianship authority may do this."),
        code="child_protection_only",
        detail={"capability": str(capability)},
    )


AGE_ASSESSOR_KINDS = frozenset(
    {*CHILD_PROTECTION_KINDS, OrganisationKind.COMPETENT_AUTHORITY}
)


def require_age_assessor(user: User, capability: str, case: Case) -> Membership:
    """An age assessment is recorded by the competent authority or by child
    protection, holding the case (OSCE Uniform Guidelines 2019; Directive
    2011/36/EU art. 13(2): the presumption of minority stands until then)."""
    require(user, capability, case)
    for membership in memberships_with(user, capability):
        if (
            membership.role != Role.GUARDIAN
            and membership.organisation.kind in AGE_ASSESSOR_KINDS
            and _has_grant(case, membership.organisation_id)
        ):
            return membership
    raise Forbidden(
        _(
            "Only the competent authority or the child-protection authority "
            "may record an age assessment."
        ),
        code="age_assessor_only",
        detail={"capability": str(capability)},
    )


def assisting_organisation_ids(case: Case) -> set[UUID]:
    """The organisations assisting the person: the registering one, and each
    that accepted a referral for them (accepted or completed) other than the
    identification referral, whose recipient decides rather than assists."""
    accepted = (
        Referral.objects.filter(
            case=case, state__in=[ReferralState.ACCEPTED, ReferralState.COMPLETED]
        )
        .exclude(purpose=ServiceKind.IDENTIFICATION)
        .values_list("to_organisation_id", flat=True)
    )
    return {case.organisation_id, *accepted}


def require_assisting(user: User, capability: str, case: Case) -> Membership:
    """A capable role at the registering organisation or at an organisation
    assisting the person under an accepted referral: the person's request
    reaches the mechanism through any of them (CETS 197 art. 12; OSCE
    Uniform Guidelines 2019, independent review)."""
    assisting = assisting_organisation_ids(case)
    for membership in memberships_with(user, capability):
        if membership.role != Role.GUARDIAN and membership.organisation_id in assisting:
            return membership
    raise Forbidden(
        _("Only an organisation assisting the person may do this."),
        code="not_assisting",
        detail={"capability": str(capability)},
    )


def require_capability(
    user: User, capability: str, organisation_id: object = None
) -> Membership:
    """For actions on no existing object (register a person, read statistics):
    the membership with this capability, at the named organisation if any."""
    members = memberships_with(user, capability)
    if organisation_id not in (None, ""):
        wanted = _as_uuid_or_invalid(organisation_id)
        members = [m for m in members if m.organisation_id == wanted]
    if not members:
        raise Forbidden(
            _("Your role does not allow this."),
            code="forbidden",
            detail={"capability": str(capability)},
        )
    organisations = {m.organisation_id for m in members}
    if len(organisations) > 1:
        raise InvalidInput(
            _("You act for several organisations: name one."),
            code="organisation_required",
            detail={"organisation": ["This field is required."]},
        )
    return members[0]


def require_statistics(
    user: User, *, national: bool, case_level: bool = False, organisation_id=None
) -> Membership:
    """Statistics: the whole mechanism's (STATISTICS_NATIONAL, and
    STATISTICS_CASE_LEVEL for the case-level export) or one organisation's
    own (STATISTICS_ORGANISATION, at that organisation). Forbidden (403)
    otherwise; statistics never open a case."""
    if case_level:
        if not national:
            raise Forbidden(
                _("The case-level export is national only."), code="national_only"
            )
        require_capability(user, C.STATISTICS_CASE_LEVEL, organisation_id)
    capability = C.STATISTICS_NATIONAL if national else C.STATISTICS_ORGANISATION
    return require_capability(user, capability, organisation_id)


def _as_uuid_or_invalid(value: object) -> UUID:
    """The organisation named in a query string (statistics, audit trail)."""
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        raise InvalidInput(
            _("Not a valid organisation id."),
            code="invalid_organisation",
            detail={"organisation": ["Invalid id."]},
        ) from None


# Referrals


def _organisations_with(user: User, capability: str) -> list[UUID]:
    return [m.organisation_id for m in memberships_with(user, capability)]


def inbox(user: User) -> QuerySet[Referral]:
    """Referrals sent to an organisation where the user may read the inbox."""
    organisations = _organisations_with(user, C.REFERRAL_INBOX)
    return Referral.objects.filter(to_organisation_id__in=organisations)


def outbox(user: User) -> QuerySet[Referral]:
    """Referrals sent by the user's organisations on cases they may see."""
    organisations = _organisations_with(user, C.CASE_VIEW)
    return Referral.objects.filter(
        from_organisation_id__in=organisations, case__in=visible_cases(user)
    )


def get_visible_referral(
    user: User, referral_id: UUID, *, for_update: bool = False
) -> Referral:
    pk = referral_id
    queryset = Referral.objects.select_related(
        "case", "case__person", "from_organisation", "to_organisation"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    referral = queryset.filter(
        Q(pk__in=inbox(user).values("pk")) | Q(pk__in=outbox(user).values("pk")),
        pk=pk,
    ).first()
    if referral is None:
        raise NotVisible()
    return referral


def referral_discloses_case(user: User, referral: Referral) -> bool:
    """Before accepting, a receiving organisation sees only what it needs to
    decide: never names or narratives. Once the case is visible, it is."""
    return visible_cases(user).filter(pk=referral.case_id).exists()


def require_answer(user: User, referral: Referral) -> Membership:
    for membership in memberships_with(user, C.REFERRAL_ANSWER):
        if membership.organisation_id == referral.to_organisation_id:
            return membership
    raise Forbidden(
        _("Your role does not allow answering this referral."), code="not_the_recipient"
    )


def require_sender(user: User, referral: Referral) -> Membership:
    for membership in memberships_with(user, C.REFERRAL_SEND):
        if membership.organisation_id == referral.from_organisation_id:
            return membership
    raise Forbidden(
        _("Only the sending organisation may do this."), code="not_the_sender"
    )


# The rules a workflow step names (referral.steps): the declaration says
# which, this module says what each means.


class Rule(models.TextChoices):
    CASE = "case", "a capable role at an organisation holding the case"
    REGISTERING = "registering", "a capable role at the registering organisation"
    CHILD_PROTECTION = "child_protection", "the child-protection authority"
    DECISION_MAKER = "decision_maker", "the authority that accepted identification"
    AGE_ASSESSOR = "age_assessor", "the competent or child-protection authority"
    ASSISTING = "assisting", "the registering or an assisting organisation"
    RECONSIDERING = "reconsidering", "the authority that reconsiders decisions"
    # On a referral:
    RECIPIENT = "recipient", "a role that answers referrals, at the recipient"
    SENDER = "sender", "a role that sends referrals, at the sender"


@dataclass(frozen=True)
class Access:
    membership: Membership
    referral: Referral | None = None


def require_rule(
    user: User, rule: str, capability: str, subject: Case | Referral
) -> Access:
    """The access a step's declared rule gives on the case (or referral) it is
    taken on, or Forbidden (403)."""
    if rule == Rule.RECIPIENT:
        return Access(require_answer(user, subject), subject)
    if rule == Rule.SENDER:
        return Access(require_sender(user, subject), subject)
    case = subject
    if rule == Rule.CASE:
        return Access(require(user, capability, case))
    if rule == Rule.REGISTERING:
        return Access(require_at_registering_organisation(user, capability, case))
    if rule == Rule.CHILD_PROTECTION:
        return Access(require_child_protection(user, capability, case))
    if rule == Rule.DECISION_MAKER:
        membership, referral = require_decision_maker(user, case)
        return Access(membership, referral)
    if rule == Rule.AGE_ASSESSOR:
        return Access(require_age_assessor(user, capability, case))
    if rule == Rule.ASSISTING:
        return Access(require_assisting(user, capability, case))
    if rule == Rule.RECONSIDERING:
        membership, referral = require_reconsidering_authority(user, case)
        return Access(membership, referral)
    raise ValueError(f"unknown access rule {rule!r}")


# Decisions


def identification_referral(case: Case) -> Referral | None:
    """The accepted identification referral: its recipient decides."""
    return (
        Referral.objects.filter(
            case=case,
            purpose=ServiceKind.IDENTIFICATION,
            state__in=[ReferralState.ACCEPTED, ReferralState.COMPLETED],
        )
        .select_related("to_organisation")
        .order_by("-answered_at")
        .first()
    )


def require_decision_maker(user: User, case: Case) -> tuple[Membership, Referral]:
    """Only a decision maker of the competent authority that accepted the
    identification referral decides."""
    referral = identification_referral(case)
    for membership in memberships_with(user, C.DECISION_TAKE):
        if (
            referral is not None
            and membership.organisation_id == referral.to_organisation_id
            and membership.organisation.kind == OrganisationKind.COMPETENT_AUTHORITY
        ):
            return membership, referral
    raise Forbidden(
        _(
            "Only a decision maker of the competent authority that accepted the "
            "identification referral may decide."
        ),
        code="not_the_deciding_authority",
    )


def require_registering_membership(membership: Membership, case: Case) -> None:
    """An organisation assisting the person asks for a reconsideration on the
    person's request; only the registering organisation also asks on its own
    account (OSCE Uniform Guidelines 2019, independent review)."""
    if membership.organisation_id != case.organisation_id:
        raise Forbidden(
            _(
                "An assisting organisation asks for a reconsideration on the "
                "person's request; only the registering organisation asks on "
                "its own."
            ),
            code="person_request_only",
        )


def reconsidering_authority_id(case: Case) -> UUID | None:
    """Who reconsiders: the second authority the country profile names, or
    (the default, none named) the authority that took the decision, through
    another of its decision makers."""
    second = active_profile().reconsideration_authority_id
    if second is not None:
        return second
    referral = identification_referral(case)
    return referral.to_organisation_id if referral is not None else None


def require_reconsidering_authority(
    user: User, case: Case
) -> tuple[Membership, Referral]:
    """A decision maker of the reconsidering authority (CETS 197 art. 10(2);
    OSCE Uniform Guidelines 2019: an independent review). That they did not
    take the decision under review is the workflow's check
    (`workflow.require_other_decision_maker`)."""
    referral = identification_referral(case)
    authority = reconsidering_authority_id(case)
    for membership in memberships_with(user, C.DECISION_TAKE):
        if referral is not None and membership.organisation_id == authority:
            return membership, referral
    raise Forbidden(
        _("Only a decision maker of the reconsidering authority may reconsider."),
        code="not_the_reconsidering_authority",
    )


# Grants: the only writer of guardian's tables.


def grant_case_access(case: Case, organisation: Organisation) -> bool:
    """Give an organisation's group access to a case; True if it is new."""
    if _has_grant(case, organisation.pk):
        return False
    assign_perm(f"referral.{VIEW_CASE}", organisation.group, case)
    case._policy_grants[organisation.pk] = True
    return True


def revoke_case_access(case: Case, organisation: Organisation) -> bool:
    if organisation.pk == case.organisation_id:
        return False  # the registering organisation keeps its case
    if not _has_grant(case, organisation.pk):
        return False
    remove_perm(f"referral.{VIEW_CASE}", organisation.group, case)
    case._policy_grants[organisation.pk] = False
    return True


@dataclass(frozen=True)
class BulkGrants:
    """For a bulk load (the synthetic caseload, `referral/caseload.py`):
    the rows `grant_case_access` would write, to insert by COPY."""

    model: type[models.Model]
    permission_id: int

    def row(self, case_id: UUID, organisation: Organisation) -> dict:
        return {
            "permission_id": self.permission_id,
            "group_id": organisation.group_id,
            "content_object_id": case_id,
        }


def bulk_grants() -> BulkGrants:
    permission = Permission.objects.get(
        codename=VIEW_CASE, content_type__app_label="referral"
    )
    return BulkGrants(CaseGroupObjectPermission, permission.pk)


# Possible duplicate registrations


def visible_duplicate_reviews(user: User) -> QuerySet[DuplicateReview]:
    """Reviews of the organisations where the user reviews duplicates; 403 for
    a user whose roles review none."""
    organisations = _organisations_with(user, C.DUPLICATE_REVIEW)
    if not organisations:
        raise Forbidden(
            _("Your role does not review possible duplicates."),
            code="no_duplicate_reviews",
        )
    return DuplicateReview.objects.filter(organisation_id__in=organisations)


def get_duplicate_review(
    user: User, review_id: UUID, *, for_update: bool = False
) -> tuple[DuplicateReview, Membership]:
    """The review and the membership that reviews it; 404 for one the user may
    not review, absent or foreign alike."""
    queryset = visible_duplicate_reviews(user)
    if for_update:
        queryset = queryset.select_for_update()
    try:
        review = queryset.get(pk=review_id)
    except DuplicateReview.DoesNotExist:
        raise NotVisible() from None
    membership = next(
        m
        for m in memberships_with(user, C.DUPLICATE_REVIEW)
        if m.organisation_id == review.organisation_id
    )
    return review, membership
