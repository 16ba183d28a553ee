"""Organisation scoping: grants to organisations' groups, never model-wide
permissions or superuser status."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from referral import policy
from tests.support.journeys import to_referral_pending

pytestmark = pytest.mark.django_db


def test_model_wide_permission_and_superuser_see_only_their_own_cases(mechanism):
    _, case_id = to_referral_pending(mechanism)
    outsider = mechanism.user["south_reception"]
    outsider.user_permissions.add(
        Permission.objects.get(codename="view_case", content_type__app_label="referral")
    )
    outsider.is_superuser = True
    outsider.save(update_fields=["is_superuser"])
    assert not policy.visible_cases(outsider).filter(pk=case_id).exists()
    client = mechanism.client("south_reception")
    assert client.get(f"/api/v1/cases/{case_id}/").status_code == 404


def test_access_is_granted_to_the_group_not_the_user(mechanism):
    from referral.models import CaseGroupObjectPermission, CaseUserObjectPermission

    _, case_id = to_referral_pending(mechanism)
    assert CaseUserObjectPermission.objects.count() == 0
    grant = CaseGroupObjectPermission.objects.get(content_object_id=case_id)
    assert grant.group == mechanism.reception_centre.group


def test_a_new_member_of_the_organisation_sees_its_cases(mechanism):
    from nrm.roles import Role

    _, case_id = to_referral_pending(mechanism)
    newcomer = mechanism.add_user(
        "newcomer", Role.RECEPTION_OFFICER, mechanism.reception_centre
    )
    assert policy.visible_cases(newcomer).filter(pk=case_id).exists()


def test_a_deactivated_membership_sees_nothing(mechanism):
    from nrm.models import Membership
    from nrm.services import membership_deactivate

    _, case_id = to_referral_pending(mechanism)
    membership = Membership.objects.get(user=mechanism.user["reception"])
    membership_deactivate(membership_id=membership.pk)
    client = mechanism.client("reception")
    assert client.get(f"/api/v1/cases/{case_id}/").status_code == 404
