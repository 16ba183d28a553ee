"""The mechanism's directory: demo data, memberships, the admin's reach."""

import pytest
from django.contrib import admin
from django.core.management import call_command

from nrm.models import CountryProfile, Membership, Organisation, Pathway, User
from nrm.roles import Role
from nrm.selectors import pathway_services

pytestmark = pytest.mark.django_db


def test_demo_loads_twice_without_duplicates():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Pathway.objects.count(),
        CountryProfile.objects.count(),
    )
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counts == (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
        Pathway.objects.count(),
        CountryProfile.objects.count(),
    )
    assert counts[0] >= 10
    roles = set(Membership.objects.values_list("role", flat=True))
    # Every role but the trainer's, which only a training mechanism's
    # exercises have (training/).
    assert roles == set(Role.values) - {Role.TRAINER}
    regions = set(Organisation.objects.values_list("region", flat=True))
    assert {"north", "south"} <= regions


def test_country_profile_defaults_follow_the_rules():
    profile = CountryProfile(country="XB", name="Test")
    assert profile.rg_decision_working_days == 5
    assert profile.recovery_period_days == 30
    assert profile.age_of_majority == 18
    assert profile.statistics_threshold == 5


def test_recovery_period_below_30_days_is_refused_by_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CountryProfile.objects.create(
            country="XC", name="Short", is_active=False, recovery_period_days=29
        )


def test_pathways_suggest_child_protection_by_region():
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    north = pathway_services(purpose="child_protection", region="north", is_child=True)
    south = pathway_services(purpose="child_protection", region="south", is_child=True)
    assert north[0].organisation.name == "North Child Protection Authority"
    assert south[0].organisation.name == "South Guardianship Authority"
    assert (
        pathway_services(purpose="child_protection", region="north", is_child=False)
        == []
    )


def test_admin_registers_configuration_only():
    registered = {model._meta.label for model in admin.site._registry}
    allowed = {
        "nrm.User",
        "nrm.Organisation",
        "nrm.Membership",
        "nrm.CountryProfile",
        "nrm.Service",
        "nrm.Pathway",
        "auth.Group",
        # The partner directory: other mechanisms, their inboxes and keys.
        "referral.PartnerMechanism",
    }
    assert registered <= allowed, registered - allowed


def test_admin_login_page_is_served(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
