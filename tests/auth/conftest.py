"""Staff with and without a role that reads personal data; synthetic."""

from __future__ import annotations

import pytest

from nrm import services
from nrm.choices import OrganisationKind
from nrm.models import Organisation, User
from nrm.roles import Role
from tests.support.auth import make_device
from tests.support.sign_in import PASSWORD


def add_user(
    username: str, role: str | None, organisation: Organisation, *, device=False
) -> User:
    user = services.user_create(username=username, password=PASSWORD)
    if role is not None:
        services.membership_create(user=user, organisation=organisation, role=role)
    if device:
        make_device(user)
    return user


@pytest.fixture
def organisation(db) -> Organisation:
    return services.organisation_create(
        name="Test Reception Centre",
        kind=OrganisationKind.RECEPTION_CENTRE,
        region="north",
        country="XA",
    )


@pytest.fixture
def caseworker(organisation) -> User:
    """Reads personal data: needs a one-time password; has a device."""
    return add_user("caseworker1", Role.CASE_WORKER, organisation, device=True)


@pytest.fixture
def newcomer(organisation) -> User:
    """Reads personal data and has no device yet."""
    return add_user("newcomer1", Role.RECEPTION_OFFICER, organisation)


@pytest.fixture
def rapporteur(organisation) -> User:
    """Statistics only: a password suffices."""
    return add_user("rapporteur1", Role.RAPPORTEUR, organisation)
