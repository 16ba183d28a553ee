"""Running the project's own commands and servers against the test database,
the way an operator does: subprocesses with the production settings."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 20 + "-production-like-secret-for-subprocess-tests-0123456789"


def database_url(name: str | None = None, *, user: str | None = None) -> str:
    """A URL for the test database (or another database on the same server)."""
    db = connection.settings_dict
    user = user or db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{name or db['NAME']}"


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production server, on this test database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            (
                "DJANGO_",
                "SECRET",
                "ALLOWED",
                "DATABASE",
                "VAULT_",
                "AUDIT_",
                "TRANSNATIONAL_",
            )
        )
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url(),
        VAULT_KEY_FILE=str(settings.VAULT_KEY_FILE),
        AUDIT_KEY_FILE=str(settings.AUDIT_KEY_FILE),
        TRANSNATIONAL_KEY_FILE=str(settings.TRANSNATIONAL_KEY_FILE),
        CONN_MAX_AGE="0",
        LOG_LEVEL="WARNING",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str], timeout: int = 300, **kwargs):
    """`manage.py <args>` as its own process; the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs,
    )


def start_manage(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
