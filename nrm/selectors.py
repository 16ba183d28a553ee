"""Reads of the mechanism's directory."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from core.compiled import CompiledQuery
from nrm.choices import PersonGroup
from nrm.models import CountryProfile, Membership, Pathway, Service, User


def _active_memberships_query(_shape, user_id) -> QuerySet[Membership]:
    return Membership.objects.filter(
        user_id=user_id, is_active=True, organisation__is_active=True
    ).select_related("organisation")


# Read on every request: built once (core.compiled), run with the user's id.
_ACTIVE_MEMBERSHIPS = CompiledQuery(_active_memberships_query)


def active_memberships(user: User) -> list[Membership]:
    """A user's active memberships, cached on the user object for a request."""
    cached = getattr(user, "_active_memberships", None)
    if cached is None:
        if not (user and user.is_authenticated and user.is_active):
            cached = []
        else:
            cached = _ACTIVE_MEMBERSHIPS.run(None, user.pk)
        user._active_memberships = cached
    return cached


def active_profile() -> CountryProfile:
    profile = CountryProfile.objects.filter(is_active=True).first()
    if profile is None:
        # The rules' defaults apply until a profile is configured.
        profile = CountryProfile(country="XX", name="Default rules")
    return profile


def pathway_services(
    *,
    purpose: str,
    region: str,
    is_child: bool,
    sex: str = "",
    exploitation_forms: list[str] | tuple[str, ...] = (),
) -> list[Service]:
    """Services the pathways suggest for this referral, best first."""
    group = PersonGroup.CHILD if is_child else PersonGroup.ADULT
    pathways = (
        Pathway.objects.filter(purpose=purpose, is_active=True, service__is_active=True)
        .filter(Q(region="") | Q(region=region))
        .filter(person_group__in=[PersonGroup.ANY, group])
        .filter(Q(sex="") | Q(sex=sex))
        .filter(Q(exploitation_form="") | Q(exploitation_form__in=exploitation_forms))
        .filter(service__organisation__is_active=True)
    )
    ordered_ids: list = []
    for service_id in pathways.order_by("priority").values_list(
        "service_id", flat=True
    ):
        if service_id not in ordered_ids:
            ordered_ids.append(service_id)
    services = Service.objects.filter(pk__in=ordered_ids).select_related("organisation")
    by_id = {s.pk: s for s in services}
    return [by_id[i] for i in ordered_ids if i in by_id]
