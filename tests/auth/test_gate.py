"""The one gate: IsSignedIn for the API, staff_login_required for pages."""

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.views import View
from rest_framework.test import APIClient

from nrm import auth, services
from nrm.roles import Role
from tests.support.auth import signed_in
from tests.support.sign_in import sign_in_post

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/auth/me/"


def test_api_refuses_anonymous_callers():
    assert APIClient().get(ME_URL).status_code == 401


def test_api_refuses_a_personal_data_role_without_the_one_time_password(
    caseworker,
):
    client = signed_in(APIClient(), caseworker, otp=False)
    response = client.get(ME_URL)
    assert response.status_code == 403
    assert "one-time password" in response.json()["message"]


def test_api_serves_a_personal_data_role_after_the_one_time_password(caseworker):
    client = signed_in(APIClient(), caseworker)
    response = client.get(ME_URL)
    assert response.status_code == 200
    assert response.json()["otp_verified"] is True


def test_api_serves_a_password_only_role_without_it(rapporteur):
    client = signed_in(APIClient(), rapporteur)
    assert client.get(ME_URL).status_code == 200


def test_signed_in_makes_a_device_when_the_user_has_none(newcomer):
    client = signed_in(APIClient(), newcomer)
    assert auth.has_device(newcomer)
    assert client.get(ME_URL).status_code == 200


def test_force_authenticate_does_not_pass_for_personal_data_roles(caseworker):
    client = APIClient()
    client.force_authenticate(caseworker)
    assert client.get(ME_URL).status_code == 403


def test_inactive_users_are_refused(rapporteur):
    client = signed_in(APIClient(), rapporteur)
    rapporteur.is_active = False
    rapporteur.save(update_fields=["is_active"])
    assert client.get(ME_URL).status_code in {401, 403}


def test_pages_send_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in/?next=%2F"


def test_pages_send_an_unverified_personal_data_role_to_the_code_step(
    client, rapporteur, organisation
):
    sign_in_post(client, "rapporteur1")
    assert client.get("/").status_code == 200
    # A role that reads personal data arrives while they are signed in.
    services.membership_create(
        user=rapporteur, organisation=organisation, role=Role.GUARDIAN
    )
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/otp/setup/")


def test_class_based_pages_use_the_mixin(caseworker, rapporteur):
    class Page(auth.StaffLoginRequiredMixin, View):
        def get(self, request):
            return HttpResponse("ok")

    view = Page.as_view()
    request = RequestFactory().get("/somewhere/")
    request.user = caseworker
    request.session = Client().session
    caseworker.is_verified = lambda: False
    assert view(request).status_code == 302
    caseworker.is_verified = lambda: True
    assert view(request).status_code == 200


def test_home_lists_the_users_roles_and_work(caseworker):
    client = signed_in(Client(), caseworker)
    page = client.get("/").content.decode()
    assert "Test Reception Centre" in page
    assert "Case worker" in page
    for path in ("/cases/", "/referrals/inbox/", "/deadlines/overdue/"):
        assert f'href="{path}"' in page
    assert 'href="/decisions/"' not in page
    assert 'href="/statistics/"' not in page


def test_admin_needs_a_verified_second_factor(organisation):
    staff = services.user_create(username="staffer1", password="x" * 20)
    staff.is_staff = True
    staff.is_superuser = True
    staff.save(update_fields=["is_staff", "is_superuser"])
    without = signed_in(Client(), staff, otp=False)
    assert without.get("/admin/").status_code == 302
    with_otp = signed_in(Client(), staff, otp=True)
    assert with_otp.get("/admin/").status_code == 200
