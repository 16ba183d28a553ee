"""A small synthetic mechanism and API clients for its staff."""

from __future__ import annotations

import itertools
from datetime import timedelta

from rest_framework.test import APIClient

from core import clock
from indicators import catalogue
from nrm import services as nrm_services
from nrm.choices import OrganisationKind, ServiceKind
from nrm.demo import load_directory
from nrm.models import Organisation, Service, User
from nrm.roles import Role
from tests.support.auth import signed_in

_names = itertools.count(1)


def client_for(user: User) -> APIClient:
    """An API client signed in as `user` through the one-time-password step."""
    return signed_in(APIClient(), user)


class Mechanism:
    """The demo directory plus a few extra organisations and users."""

    def __init__(self):
        load_directory()
        self.org = {o.name: o for o in Organisation.objects.all()}
        self.user = {u.username: u for u in User.objects.all()}
        self.reception_centre = self.org["North Reception Centre"]
        self.authority = self.org["National Identification Authority"]
        self.child_protection = self.org["North Child Protection Authority"]
        self.foreign_nrm = self.org["Foreign NRM Contact Point"]
        self.shelter = self.org["Safe Harbour NGO"]
        self.second_authority = nrm_services.organisation_create(
            name="Regional Identification Authority",
            kind=OrganisationKind.COMPETENT_AUTHORITY,
            region="south",
            country="XA",
        )
        Service.objects.create(
            organisation=self.second_authority, kind=ServiceKind.IDENTIFICATION
        )
        self.user["regional_decider"] = self.add_user(
            "regional_decider", Role.DECISION_MAKER, self.second_authority
        )
        self.user["regional_worker"] = self.add_user(
            "regional_worker", Role.CASE_WORKER, self.second_authority
        )
        # A second decision maker of the national authority: nobody
        # reconsiders their own decision.
        self.user["second_decider"] = self.add_user(
            "second_decider", Role.DECISION_MAKER, self.authority
        )
        self.user["south_reception"] = self.add_user(
            "south_reception",
            Role.RECEPTION_OFFICER,
            self.org["South Reception Centre"],
        )

    def add_user(self, username: str, role: str, organisation: Organisation) -> User:
        user = nrm_services.user_create(
            username=username, password="a-long-test-password-1234"
        )
        nrm_services.membership_create(user=user, organisation=organisation, role=role)
        return user

    def client(self, username: str) -> APIClient:
        return client_for(User.objects.get(username=username))


def person_payload(**overrides) -> dict:
    """A synthetic adult; the names are invented and numbered."""
    n = next(_names)
    payload = {
        "given_names": f"Testgiven{n}",
        "family_name": f"Testfamily{n}",
        "date_of_birth": "1990-01-15",
        "sex": "female",
        "age_group": "25-34",
        "citizenship": "XB",
        "reception_stage": "registration_screening",
        "language": "ru",
        "asylum_status": "applied",
        "exploitation_forms": ["labour"],
        "notes": f"Synthetic narrative number {n}.",
    }
    payload.update(overrides)
    return payload


def child_payload(**overrides) -> dict:
    """A child of about sixteen on whatever day the test runs (a fixed date of
    birth would make the child an adult, and the majority sweep fire, from
    some year on)."""
    born = clock.today() - timedelta(days=16 * 365 + 60)
    return person_payload(
        date_of_birth=born.isoformat(), age_group="15-17", sex="male", **overrides
    )


def codes_for(catalogue_id: str, spec: dict[str, dict[str, int]]) -> list[str]:
    """Indicator codes: {dimension: {strength: count}} picked from the catalogue."""
    chosen = []
    indicators = catalogue.get(catalogue_id).indicators
    for dimension, strengths in spec.items():
        for strength, count in strengths.items():
            pool = [
                i.code
                for i in indicators
                if i.dimension == dimension and i.strength == strength
            ]
            assert len(pool) >= count, (dimension, strength)
            chosen.extend(pool[:count])
    return chosen


def presumed_adult_codes() -> list[str]:
    return codes_for(
        "ilo-2009-adult-labour",
        {
            "deceptive_recruitment": {"strong": 1, "medium": 1},
            "exploitative_conditions": {"strong": 1, "medium": 1},
            "coercion_at_destination": {"strong": 2},
        },
    )
