"""Settings from the environment: production checks, clear start-up errors."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nrm import audit_keys
from referral import vault

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "p" * 30 + "-production-like-secret-key-for-the-check-0123456789",
    "ALLOWED_HOSTS": "nrm.example.org",
    "DATABASE_URL": "postgres://nrm@127.0.0.1:5432/nrm",
    "CSRF_TRUSTED_ORIGINS": "https://nrm.example.org",
}


@pytest.fixture(autouse=True, scope="module")
def _production_key_file(tmp_path_factory):
    """Production refuses to start without vault and audit keys: give it key
    files."""
    path = tmp_path_factory.mktemp("vault") / "vault-keys.json"
    vault.create_key_file(path)
    PRODUCTION["VAULT_KEY_FILE"] = str(path)
    audit_path = path.parent / "audit-keys.json"
    audit_keys.create_key_file(audit_path)
    PRODUCTION["AUDIT_KEY_FILE"] = str(audit_path)
    yield
    PRODUCTION.pop("VAULT_KEY_FILE")
    PRODUCTION.pop("AUDIT_KEY_FILE")


def run_manage(*args: str, env: dict[str, str], drop: tuple[str, ...] = ()):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in drop
        and not k.startswith(
            ("DJANGO_", "SECRET", "ALLOWED", "DATABASE", "VAULT_", "AUDIT_")
        )
    }
    clean.update(env)
    for name in drop:
        clean.pop(name, None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "variable",
    ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "VAULT_KEY_FILE", "AUDIT_KEY_FILE"],
)
def test_missing_variable_stops_start_up_naming_it(variable):
    result = run_manage("check", env=PRODUCTION, drop=(variable,))
    assert result.returncode != 0
    assert variable in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://nrm@localhost/nrm"),
        ("DATABASE_URL", "not a url"),
        ("DEBUG", "perhaps"),
        ("CONN_MAX_AGE", "forever"),
        ("SECRET_KEY", "short"),
        ("VAULT_KEY_FILE", "/nonexistent/vault-keys.json"),
        ("AUDIT_KEY_FILE", "/nonexistent/audit-keys.json"),
    ],
)
def test_malformed_variable_stops_start_up_naming_it(variable, value):
    result = run_manage("check", env={**PRODUCTION, variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert value not in result.stderr or variable == "DEBUG"
