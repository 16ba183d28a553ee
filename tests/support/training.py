"""Helpers for training exercises: a trainer account, and the trainee
accounts an exercise made, by agency and role."""

from __future__ import annotations

from nrm import services as nrm_services
from nrm.choices import OrganisationKind
from nrm.models import Organisation, User
from nrm.roles import Role


def trainer() -> User:
    """A trainer of the exercise-control organisation (synthetic)."""
    control = Organisation.objects.filter(name="Exercise control").first()
    if control is None:
        control = nrm_services.organisation_create(
            name="Exercise control",
            kind=OrganisationKind.NRM_COORDINATOR,
            region="national",
            country="XT",
        )
    user = nrm_services.user_create(
        username="trainer-test", password="a-long-test-password-1234"
    )
    nrm_services.membership_create(user=user, organisation=control, role=Role.TRAINER)
    return user


def trainee(exercise, agency: str, role: str, n: int = 1) -> User:
    accounts = exercise.accounts.filter(agency__key=agency, role=role).order_by("id")
    return accounts[n - 1].user
