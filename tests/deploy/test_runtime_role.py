"""The service runs as a database role that is not the tables' owner, with
the rights `deploy/runtime-role.sql` grants: a journey of the suite passes as
that role, and what the role must never do is refused by PostgreSQL."""

from __future__ import annotations

import os
import subprocess
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from tests.deploy.support import ROOT
from tests.referral.test_journeys import (
    test_adult_labour_case_from_registration_to_recognition_and_closure as journey,
)
from tests.support.mechanism import Mechanism

ROLE = f"nrm_runtime_test_{os.getpid()}"


def psql(*args: str) -> subprocess.CompletedProcess:
    db = connection.settings_dict
    command = ["psql", "--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            command += [flag, str(db[key])]
    command += ["--dbname", db["NAME"], *args]
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=60, check=False
    )


@contextmanager
def connected_as(role: str):
    """Every query in the block runs on a new connection as `role`."""
    owner = connection.settings_dict["USER"]
    connection.close()
    connection.settings_dict["USER"] = role
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["USER"] = owner


@pytest.fixture
def runtime_role(transactional_db):
    result = psql(
        "-v",
        f"app_role={ROLE}",
        "-v",
        "app_password=runtime-test-password",
        "-f",
        str(ROOT / "deploy" / "runtime-role.sql"),
    )
    assert result.returncode == 0, result.stderr
    # Idempotent: the operator re-runs it after every migration.
    again = psql("-v", f"app_role={ROLE}", "-f", str(ROOT / "deploy/runtime-role.sql"))
    assert again.returncode == 0, again.stderr
    yield ROLE
    connection.close()
    dropped = psql("-c", f'DROP OWNED BY "{ROLE}"; DROP ROLE "{ROLE}";')
    assert dropped.returncode == 0, dropped.stderr


def test_the_runtime_role_is_not_the_owner_and_has_no_special_rights(runtime_role):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
            "FROM pg_roles WHERE rolname = %s",
            [runtime_role],
        )
        assert cursor.fetchone() == (False, False, False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tableowner = %s",
            [runtime_role],
        )
        assert cursor.fetchone() == (0,)
        cursor.execute(
            "SELECT count(*) FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND privilege_type IN ('TRUNCATE', 'TRIGGER', "
            "'REFERENCES')",
            [runtime_role],
        )
        assert cursor.fetchone() == (0,)


def test_a_journey_runs_as_the_runtime_role(runtime_role):
    with connected_as(runtime_role):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (runtime_role,)
        journey(Mechanism())


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE nrm_outboxmessage",
        "TRUNCATE nrm_auditevent CASCADE",
        "DELETE FROM nrm_auditevent",
        "UPDATE nrm_auditevent SET reason_code = 'x'",
        "ALTER TABLE nrm_auditevent DISABLE TRIGGER nrm_auditevent_append_only",
        "DROP TRIGGER nrm_auditevent_append_only ON nrm_auditevent",
        "CREATE TABLE runtime_role_probe (id int)",
        "ALTER TABLE referral_person ADD COLUMN probe int",
        "DROP TABLE nrm_outboxmessage",
        "CREATE TEMPORARY TABLE runtime_role_probe (id int)",
        "SET session_replication_role = replica",
    ],
    ids=lambda s: s.split(" (")[0].replace(" ", "-").lower()[:48],
)
def test_the_runtime_role_is_refused(runtime_role, statement):
    with connected_as(runtime_role):
        with (
            pytest.raises(DatabaseError) as refused,
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
        assert refused.value.__cause__.pgcode in {"42501", "42P01"}, statement
