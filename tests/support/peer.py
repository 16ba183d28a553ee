"""A second instance of the service beside the test's own: its own PostgreSQL
database (created beside the test database, dropped afterwards), its own
vault, audit and exchange key files, its own directory, and its own gunicorn
server on loopback. Everything it does runs in its own processes
(`manage.py` and `python -c` in a subprocess with its environment), so the
two instances share nothing but HTTP.

    with peer_instance(tmp_path, mechanism_id="XC") as peer:
        peer.manage("deliver_outbox")
        token = peer.call("tests.support.peer:seed_contact_point")["token"]
        status, body = peer.server.request("GET", "/api/v1/cases/", token=token)
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
from django.db import connection

from tests.support.gunicorn import ROOT, Server, gunicorn, test_database_url


@dataclass
class Peer:
    name: str
    database_url: str
    environment: dict[str, str]
    server: Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": self.database_url,
            **self.environment,
        }

    def manage(self, *arguments: str) -> str:
        """Run a management command on this instance; its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(
                f"manage.py {arguments[0]} failed:\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def call(self, target: str, **arguments) -> dict:
        """Run `module:function(**arguments)` inside this instance (Django set
        up on its database); the function returns a JSON-able dict."""
        module, function = target.split(":")
        code = (
            "import json, sys, django; django.setup(); "
            f"from {module} import {function} as f; "
            "print(json.dumps(f(**json.loads(sys.argv[1]))))"
        )
        done = subprocess.run(
            [sys.executable, "-c", code, json.dumps(arguments)],
            cwd=ROOT,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"{target} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])


def _admin_connection():
    params = connection.get_connection_params()
    params["dbname"] = "postgres"
    raw = psycopg2.connect(**params)
    raw.autocommit = True
    return raw


@contextlib.contextmanager
def peer_instance(
    directory: Path, *, mechanism_id: str, workers: int = 2
) -> Iterator[Peer]:
    """A migrated second instance with its own keys, served by gunicorn."""
    name = f"{connection.settings_dict['NAME']}_{mechanism_id.lower()}"
    url = test_database_url().rsplit("/", 1)[0] + "/" + name
    admin = _admin_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    peer = Peer(
        name=name,
        database_url=url,
        environment={
            "VAULT_KEY_FILE": str(directory / f"{name}-vault.json"),
            "AUDIT_KEY_FILE": str(directory / f"{name}-audit.json"),
            "TRANSNATIONAL_KEY_FILE": str(directory / f"{name}-exchange.json"),
            "TRANSNATIONAL_MECHANISM_ID": mechanism_id,
        },
    )
    try:
        peer.manage("migrate", "--no-input", "-v", "0")
        peer.manage("transnational_keygen")
        with gunicorn(
            workers=workers, database_url=url, environment=peer.environment
        ) as server:
            peer.server = server
            yield peer
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pg_dump(database_url: str) -> str:
    """The plain-SQL dump of a database, as an operator would take it."""
    done = subprocess.run(
        ["pg_dump", "--no-owner", database_url],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return done.stdout


# Functions run inside a peer (`Peer.call`): synthetic directory and staff.


def seed_contact_point(*, country: str, partner_organisation: str) -> dict:
    """A country profile with a designated contact point and a case worker
    there, and the organisation standing for the partner; the worker's API
    token."""
    from nrm import auth
    from nrm import services as nrm_services
    from nrm.choices import OrganisationKind
    from nrm.models import CountryProfile
    from nrm.roles import Role

    contact = nrm_services.organisation_create(
        name=f"Contact Point {country}",
        kind=OrganisationKind.NRM_COORDINATOR,
        region="national",
        country=country,
    )
    nrm_services.organisation_create(
        name=partner_organisation,
        kind=OrganisationKind.FOREIGN_NRM,
        region="abroad",
        country=country,
    )
    CountryProfile.objects.create(
        country=country,
        name=f"Synthetic Republic {country}",
        is_active=True,
        transnational_contact_point=contact,
    )
    worker = nrm_services.user_create(
        username=f"contact_{country.lower()}", password="a-long-test-password-1234"
    )
    nrm_services.membership_create(
        user=worker, organisation=contact, role=Role.CASE_WORKER
    )
    return {"token": auth.token_issue(user=worker, otp_verified=True)[1]}


def handover_rows() -> dict:
    """What the peer holds of the exchange (ids and codes only)."""
    from referral.models import Case, Handover, Person

    return {
        "cases": Case.objects.count(),
        "persons": Person.objects.count(),
        "handovers": list(
            Handover.objects.values_list("direction", "status", "partner_reference")
        ),
    }
