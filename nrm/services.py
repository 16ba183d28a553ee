"""Writes to the mechanism's directory."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from core.errors import Forbidden
from nrm import audit
from nrm.audit import Event
from nrm.models import Membership, Organisation, User
from nrm.roles import PERSONAL_DATA_ROLES


@transaction.atomic
def organisation_create(
    *, name: str, kind: str, region: str, country: str, email: str = ""
) -> Organisation:
    group = Group.objects.create(name=f"org:{name}"[:150])
    organisation = Organisation(
        name=name, kind=kind, region=region, country=country, email=email, group=group
    )
    organisation.full_clean()
    organisation.save(force_insert=True)
    return organisation


@transaction.atomic
def user_create(
    *, username: str, password: str | None, email: str = "", language: str = "en"
) -> User:
    user = User(username=username, email=email, preferred_language=language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save(force_insert=True)
    return user


@transaction.atomic
def membership_create(
    *, user: User, organisation: Organisation, role: str, actor: User | None = None
) -> Membership:
    """Give a user a role at an organisation; they join its access group.
    Audited: a role is access to people's data."""
    if actor is not None and actor.pk == user.pk and role in PERSONAL_DATA_ROLES:
        raise Forbidden(
            _("Nobody may give themselves a role that reads personal data."),
            code="self_grant_refused",
        )
    membership = Membership(user=user, organisation=organisation, role=role)
    membership.full_clean()
    membership.save(force_insert=True)
    user.groups.add(organisation.group)
    audit.record(
        Event.MEMBERSHIP_GRANTED,
        actor=actor,
        organisation=organisation,
        role=role,
        object_type="membership",
        object_id=membership.pk,
        extra={"user": str(user.pk), "role": role},
    )
    return membership


@transaction.atomic
def membership_deactivate(
    *, membership_id: int, actor: User | None = None
) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership_id)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    still_member = Membership.objects.filter(
        user_id=membership.user_id,
        organisation_id=membership.organisation_id,
        is_active=True,
    ).exists()
    if not still_member:
        membership.user.groups.remove(membership.organisation.group)
    audit.record(
        Event.MEMBERSHIP_REVOKED,
        actor=actor,
        organisation=membership.organisation,
        role=membership.role,
        object_type="membership",
        object_id=membership.pk,
        extra={"user": str(membership.user_id), "role": membership.role},
    )
    return membership
