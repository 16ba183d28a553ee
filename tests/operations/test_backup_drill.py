"""The backup drill, end to end on PostgreSQL, as an operator runs it:
`backup` (archive, manifest, key export), `restore` into an empty database,
`verify_restore` against the manifest, and the refusals on the way."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from nrm import audit_keys
from referral import services, vault
from referral.vault import exchangekeys
from tests.deploy.support import database_url, manage, production_env
from tests.support.journeys import decide, to_assessment
from tests.support.mechanism import Mechanism, person_payload
from tests.vault.test_dump import needles

pytestmark = pytest.mark.django_db(transaction=True)

ARCHIVE_SECRET = "archive-passphrase-for-the-drill-0001"
KEYS_SECRET = "key-export-passphrase-for-the-drill-0002"


@pytest.fixture
def target_database():
    """An empty database on the same server, dropped afterwards."""
    name = f"test_nrm_{os.getpid()}_restored"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def caseload() -> list[dict]:
    """A few cases with sealed values, one person erased; their payloads."""
    mechanism = Mechanism()
    payloads = []
    for _ in range(2):
        reception, case_id = to_assessment(mechanism)
        decide(mechanism.client("decider"), case_id, "reasonable_grounds", True)
    payload = person_payload()
    erased = reception.post("/api/v1/cases/", payload, format="json").json()
    services.person_erase(actor=mechanism.user["supervisor"], case_id=erased["id"])
    payloads.append(payload)
    return payloads


def test_backup_restore_verify_drill(tmp_path, target_database):
    caseload()
    exchangekeys.exchange_keys()  # the test settings create the file on first use
    secrets = {
        "NRM_BACKUP_PASSPHRASE": ARCHIVE_SECRET,
        "NRM_KEY_EXPORT_PASSPHRASE": KEYS_SECRET,
    }
    source = production_env(**secrets)
    archive_dir, keys_dir = tmp_path / "archive", tmp_path / "keys"

    made = manage(
        "backup",
        "--output",
        str(archive_dir),
        "--keys-output",
        str(keys_dir),
        env=source,
    )
    assert made.returncode == 0, made.stderr
    [archive] = archive_dir.glob("*.dump.sealed")
    [manifest_path] = archive_dir.glob("*.manifest.json")
    [keys] = keys_dir.glob("*.keys.sealed")
    assert {p.stat().st_mode & 0o777 for p in (archive, manifest_path, keys)} == {0o600}
    manifest = json.loads(manifest_path.read_text())
    assert manifest["tables"]["referral_person"]["rows"] == 3
    assert manifest["audit"]["events"] > 0 and manifest["sealed_sample"]
    # The archive is sealed: not even the table names are readable.
    assert b"referral_person" not in archive.read_bytes()
    assert b"blind_index_key" not in keys.read_bytes()

    target = production_env(**secrets, DATABASE_URL=database_url(target_database))
    key_file = tmp_path / "restored" / "vault-keys.json"

    # Without the key export nothing is restored, and the message says why.
    refused = manage(
        "restore", "--archive", str(archive), "--key-file", str(key_file), env=target
    )
    assert refused.returncode != 0
    assert "key export is missing" in refused.stderr
    assert "--keys" in refused.stderr
    # A wrong passphrase for the key export: named, nothing restored.
    wrong = manage(
        "restore",
        "--archive",
        str(archive),
        "--keys",
        str(keys),
        "--key-file",
        str(key_file),
        "--manifest",
        str(manifest_path),
        env={**target, "NRM_KEY_EXPORT_PASSPHRASE": "not-the-right-passphrase-000"},
    )
    assert wrong.returncode != 0 and "key export" in wrong.stderr
    assert "wrong passphrase" in wrong.stderr
    assert not key_file.exists()

    restored = manage(
        "restore",
        "--archive",
        str(archive),
        "--keys",
        str(keys),
        "--key-file",
        str(key_file),
        "--manifest",
        str(manifest_path),
        env=target,
    )
    assert restored.returncode == 0, restored.stderr
    assert key_file.stat().st_mode & 0o777 == 0o600
    # The audit trail's MAC keys came back too, beside the vault's, so the
    # restored trail can be verified on a server that never had them.
    audit_key_file = key_file.parent / "audit-keys.json"
    assert audit_key_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(audit_key_file.read_text()) == json.loads(
        Path(settings.AUDIT_KEY_FILE).read_text()
    )
    assert f"audit key file: {audit_key_file}" in restored.stdout
    # And the transnational exchange keys, so packages in flight still open.
    exchange_key_file = key_file.parent / "exchange-keys.json"
    assert exchange_key_file.stat().st_mode & 0o777 == 0o600
    assert json.loads(exchange_key_file.read_text()) == json.loads(
        Path(settings.TRANSNATIONAL_KEY_FILE).read_text()
    )
    restored_keys = {
        "VAULT_KEY_FILE": str(key_file),
        "AUDIT_KEY_FILE": str(audit_key_file),
    }

    # Restoring again over the restored copy is refused: it is not empty.
    again = manage(
        "restore",
        "--archive",
        str(archive),
        "--keys",
        str(keys),
        "--key-file",
        str(tmp_path / "other.json"),
        env=target,
    )
    assert again.returncode != 0 and "not empty" in again.stderr

    verified = manage(
        "verify_restore",
        "--manifest",
        str(manifest_path),
        "--archive",
        str(archive),
        env={**target, **restored_keys},
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    out = verified.stdout
    assert "counts and checksums match" in out
    assert "audit chain intact" in out
    assert "values open" in out and "all" in out and "none of" in out

    # The same copy against a manifest that does not describe it fails, naming
    # the table.
    altered = json.loads(manifest_path.read_text())
    altered["tables"]["referral_case"]["rows"] += 1
    other = tmp_path / "altered.manifest.json"
    other.write_text(json.dumps(altered))
    mismatch = manage(
        "verify_restore",
        "--manifest",
        str(other),
        env={**target, **restored_keys},
    )
    assert mismatch.returncode != 0
    assert "FAIL  table referral_case" in mismatch.stdout

    # Under another audit key, the restored chain does not verify.
    other_audit = tmp_path / "other-audit-keys.json"
    audit_keys.create_key_file(other_audit)
    unkeyed = manage(
        "verify_restore",
        "--manifest",
        str(manifest_path),
        env={**target, **restored_keys, "AUDIT_KEY_FILE": str(other_audit)},
    )
    assert unkeyed.returncode != 0 and "audit chain broken" in unkeyed.stdout

    # Under other keys, the sample does not open.
    fresh = tmp_path / "fresh-keys.json"
    assert vault.create_key_file(fresh)
    foreign = manage(
        "verify_restore",
        "--manifest",
        str(manifest_path),
        env={**target, "VAULT_KEY_FILE": str(fresh)},
    )
    assert foreign.returncode != 0 and "did not open" in foreign.stdout


def test_the_manifest_and_the_output_carry_no_personal_value(tmp_path):
    payloads = caseload()
    source = production_env(
        NRM_BACKUP_PASSPHRASE=ARCHIVE_SECRET, NRM_KEY_EXPORT_PASSPHRASE=KEYS_SECRET
    )
    made = manage("backup", "--output", str(tmp_path), env=source)
    assert made.returncode == 0, made.stderr
    [manifest] = tmp_path.glob("*.manifest.json")
    text = manifest.read_bytes() + made.stdout.encode() + made.stderr.encode()
    values = [p[k] for p in payloads for k in ("given_names", "family_name", "notes")]
    assert [n for n in needles(values) if n in text] == []


def test_one_passphrase_for_both_files_is_refused(tmp_path):
    same = production_env(
        NRM_BACKUP_PASSPHRASE=ARCHIVE_SECRET, NRM_KEY_EXPORT_PASSPHRASE=ARCHIVE_SECRET
    )
    refused = manage("backup", "--output", str(tmp_path), env=same)
    assert refused.returncode != 0 and "must differ" in refused.stderr
    missing = manage("backup", "--output", str(tmp_path), env=production_env())
    assert missing.returncode != 0 and "NRM_BACKUP_PASSPHRASE" in missing.stderr
    assert list(tmp_path.iterdir()) == []
