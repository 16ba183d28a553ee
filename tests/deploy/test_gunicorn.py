"""gunicorn with deploy/gunicorn.conf.py and the production settings, on
loopback: health, a static file from whitenoise, and a short API journey
(token with a one-time password, register a case, read it back)."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from nrm.models import AuditEvent, User
from referral.models import Case
from tests.deploy.support import ROOT, free_port, manage, production_env
from tests.support.auth import current_code, device_of
from tests.support.mechanism import Mechanism, person_payload

PASSWORD = "a-long-production-test-password-0042"
HTTPS = {"X-Forwarded-Proto": "https"}  # as the reverse proxy sends it


def call(base: str, path: str, *, method="GET", body=None, token=None):
    headers = {**HTTPS, "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(  # noqa: S310 - our own loopback server
        base + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture
def server(transactional_db, tmp_path):
    port = free_port()
    env = production_env(VAR_DIR=str(tmp_path), NRM_BIND=f"127.0.0.1:{port}")
    collected = manage("collectstatic", "--noinput", "-v0", env=env)
    assert collected.returncode == 0, collected.stderr
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-c",
            "deploy/gunicorn.conf.py",
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read().decode()}")
            try:
                if call(base, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.25)
        else:
            pytest.fail("gunicorn did not answer /healthz within 30 s")
        yield base, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_gunicorn_serves_a_short_journey_with_the_production_settings(server):
    base, var_dir = server
    mechanism = Mechanism()
    reception = mechanism.user["reception"]
    # The production settings hash with PBKDF2 (the suite's MD5 is test-only).
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(pk=reception.pk).update(
        password=hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    )
    device = device_of(reception)

    status, _, body = call(base, "/healthz")
    assert (status, json.loads(body)["database"]) == (200, "up")

    # Plain HTTP is sent to HTTPS; the proxy's header says the request was TLS.
    request = urllib.request.Request(base + "/healthz")  # noqa: S310
    opener = urllib.request.build_opener(NoRedirect())
    with pytest.raises(urllib.error.HTTPError) as redirected:
        opener.open(request, timeout=30)
    assert redirected.value.code == 301
    assert redirected.value.headers["Location"].startswith("https://")

    # Static files: hashed names from the manifest, cached for ever.
    manifest = json.loads((var_dir / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/app.css"]
    status, headers, body = call(base, f"/static/{hashed}")
    assert status == 200 and b"{" in body
    assert "immutable" in headers["Cache-Control"]

    status, _, body = call(
        base,
        "/api/v1/auth/token/",
        method="POST",
        body={
            "username": "reception",
            "password": PASSWORD,
            "otp_token": current_code(device),
        },
    )
    assert status == 200, body
    token = json.loads(body)["token"]

    payload = person_payload()
    status, _, body = call(
        base, "/api/v1/cases/", method="POST", body=payload, token=token
    )
    assert status == 201, body
    case_id = json.loads(body)["id"]
    status, _, body = call(base, f"/api/v1/cases/{case_id}/", token=token)
    assert status == 200
    assert json.loads(body)["person"]["family_name"] == payload["family_name"]

    status, _, _ = call(base, "/api/v1/auth/token/revoke/", method="POST", token=token)
    assert status in (200, 204)
    assert call(base, f"/api/v1/cases/{case_id}/", token=token)[0] == 401

    assert Case.objects.filter(pk=case_id).exists()
    assert AuditEvent.objects.filter(case_id=case_id, action="person.read").exists()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
