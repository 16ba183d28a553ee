"""Security headers, private responses, CSRF on every unsafe session request,
and the production settings that only apply behind HTTPS."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.auth.conftest import PASSWORD
from tests.support.auth import issue_token, signed_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/sign-in/")
    directives = csp_directives(response)
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_pages_have_no_inline_script_or_style(caseworker):
    page = signed_in(Client(), caseworker).get("/").content.decode()
    assert "<script>" not in page and "<script " not in page.replace(
        '<script src="/static/js/app.js" defer>', ""
    )
    assert "<style" not in page
    assert " style=" not in page
    assert " onclick=" not in page


def test_framing_referrer_and_sniffing_headers(client):
    response = client.get("/sign-in/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def test_signed_in_pages_are_not_stored(caseworker):
    response = signed_in(Client(), caseworker).get("/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_signed_in_api_answers_are_not_stored(caseworker, rapporteur):
    response = signed_in(APIClient(), caseworker).get("/api/v1/auth/me/")
    assert "no-store" in response["Cache-Control"]
    token = issue_token(APIClient(), rapporteur, password=PASSWORD)
    response = APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_sign_in_needs_a_csrf_token(rapporteur):
    client = Client(enforce_csrf_checks=True)
    data = {"username": "rapporteur1", "password": PASSWORD}
    refused = client.post("/sign-in/", data)
    assert refused.status_code == 403
    assert "This form has expired" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    form = client.get("/sign-in/")
    token = form.context["csrf_token"]
    accepted = client.post("/sign-in/", {**data, "csrfmiddlewaretoken": str(token)})
    assert accepted.status_code == 302


@pytest.mark.parametrize(
    "path", ["/sign-out/", "/language/", "/session/keep-alive/", "/sign-in/otp/"]
)
def test_every_unsafe_page_request_needs_a_csrf_token(rapporteur, path):
    client = signed_in(Client(enforce_csrf_checks=True), rapporteur)
    assert client.post(path, {"language": "ru"}).status_code == 403


def test_session_authenticated_api_writes_need_a_csrf_token(rapporteur):
    client = signed_in(APIClient(enforce_csrf_checks=True), rapporteur)
    assert client.post("/api/v1/auth/token/revoke-all/").status_code == 403


def test_token_requests_need_no_csrf_token(rapporteur):
    token = issue_token(APIClient(), rapporteur, password=PASSWORD)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204


def test_the_token_endpoint_sets_no_cookie(rapporteur):
    client = APIClient(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/auth/token/",
        json.dumps({"username": "rapporteur1", "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert not response.cookies


def test_production_settings_secure_transport_and_cookies():
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "import json; print(json.dumps({k: getattr(s, k) for k in ("
        "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_NAME', "
        "'X_FRAME_OPTIONS', 'DEBUG', 'DEFAULT_EXCEPTION_REPORTER_FILTER', "
        "'LANGUAGE_COOKIE_SECURE', 'LANGUAGE_COOKIE_HTTPONLY', "
        "'LANGUAGE_COOKIE_SAMESITE')}))"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DJANGO_", "SECRET", "ALLOWED", "DATABASE", "VAULT", "AUDIT_")
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="p" * 30 + "-production-like-secret-key-for-the-check-0123456789",
        ALLOWED_HOSTS="nrm.example.org",
        DATABASE_URL="postgres://nrm@127.0.0.1:5432/nrm",
        CSRF_TRUSTED_ORIGINS="https://nrm.example.org",
        # Start-up only checks that keys are given; nothing is sealed here.
        VAULT_KEYS='{"placeholder": "not read by this test"}',
        AUDIT_KEY_FILE=str(ROOT / "pyproject.toml"),  # must only be readable
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["LANGUAGE_COOKIE_SECURE"] is True
    assert values["LANGUAGE_COOKIE_HTTPONLY"] is True
    assert values["LANGUAGE_COOKIE_SAMESITE"] == "Lax"
    assert values["DEBUG"] is False
    assert values["DEFAULT_EXCEPTION_REPORTER_FILTER"].startswith("config.")
