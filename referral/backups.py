"""Backups that restore: the database archive, its manifest, the key export.

`manage.py backup` takes one consistent snapshot of the database: inside it,
it computes the manifest (per table: rows and a checksum; the audit chain's
head; a sample of rows with sealed values) and streams `pg_dump` (custom
format) through the vault's passphrase sealing into the archive. The key set
goes, sealed under another passphrase, into a separate file. `restore` puts
an archive into an empty database and writes the key file back;
`verify_restore` checks a restored copy against the manifest. Cryptography is
the vault's (`referral.vault`, its "Backups" section); this module handles
files, processes and SQL. Nothing here prints or stores a personal value: the
manifest holds counts, hashes and ids.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import environ
import psycopg2
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.functions import Length, Substr
from psycopg2 import sql

from nrm import audit, audit_keys
from referral import vault
from referral.vault import exchangekeys

MANIFEST_FORMAT = "nrm-backup-manifest/1"
ARCHIVE_PASSPHRASE = "NRM_BACKUP_PASSPHRASE"  # noqa: S105 - a variable's name
KEYS_PASSPHRASE = "NRM_KEY_EXPORT_PASSPHRASE"  # noqa: S105 - a variable's name
SAMPLE_ROWS = 20
# The audit trail's MAC key file travels in the key export beside the vault's
# keys: without it a restored trail cannot be verified.
AUDIT_ATTACHMENT = "audit_keys"
# So does the exchange key file of the transnational hand-over, where this
# mechanism has one: without it, packages in flight to us cannot be opened.
EXCHANGE_ATTACHMENT = "exchange_keys"


class BackupError(Exception):
    """A backup, restore or verification step failed; the message names the
    step, files, tables or ids, never a personal value."""


# Connections ----------------------------------------------------------------


def database_settings(url: str | None = None) -> dict:
    """Connection settings (Django's keys) of a URL, or of the default database."""
    if url:
        try:
            db = environ.Env.db_url_config(url)
        except Exception:  # noqa: BLE001 - any parse failure is the same error
            raise BackupError("The database URL is not valid.") from None
    else:
        db = dict(settings.DATABASES["default"])
    if not db.get("ENGINE", "").endswith("postgresql") or not db.get("NAME"):
        raise BackupError("Backups need a PostgreSQL database (a postgres:// URL).")
    return db


def libpq_env(db: dict) -> dict[str, str]:
    """The environment for pg_dump, pg_restore and psql (no password on a
    command line, where `ps` shows it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for variable, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[variable] = str(db[key])
    return env


def connect(db: dict):
    connection = psycopg2.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        connect_timeout=10,
    )
    with connection.cursor() as cursor:
        # The checksums hash each row's text: fix everything that shapes it.
        cursor.execute(
            "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, MDY'; "
            "SET extra_float_digits = 3; SET bytea_output = 'hex'; "
            "SET IntervalStyle = 'postgres'"
        )
    connection.commit()
    return connection


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed (apt-get install postgresql-client, the "
            "version of the server or newer)."
        )
    return path


# The manifest ---------------------------------------------------------------


def project_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
    )
    return [row[0] for row in cursor.fetchall()]


def table_figures(cursor, tables: list[str]) -> dict[str, dict]:
    """Rows and an order-independent checksum (the sum of each row's MD5,
    truncated to 60 bits) per table."""
    figures = {}
    for table in tables:
        cursor.execute(
            sql.SQL(
                "SELECT count(*), coalesce(sum(('x' || substr(md5(t::text), 1, 15))"
                "::bit(60)::bigint), 0)::text FROM {} AS t"
            ).format(sql.Identifier(table))
        )
        rows, checksum = cursor.fetchone()
        figures[table] = {"rows": rows, "checksum": checksum}
    return figures


@dataclass(frozen=True)
class SealedColumn:
    model: type[models.Model]
    field: str
    table: str
    column: str


def sealed_columns() -> list[SealedColumn]:
    """Every column that holds vault ciphertext (sealed fields; sealed audit
    reasons)."""
    columns = []
    for model in apps.get_models():
        for each in model._meta.concrete_fields:
            if isinstance(each, vault.SealedField) or (
                model._meta.label == "nrm.AuditEvent" and each.name == "reason_sealed"
            ):
                columns.append(
                    SealedColumn(model, each.name, model._meta.db_table, each.column)
                )
    return columns


def _stored(column: SealedColumn):
    """The rows of the column's model that hold a value in it."""
    return (
        column.model._default_manager.annotate(_stored=Length(column.field))
        .filter(_stored__gt=0)
        .order_by()
    )


def sealed_sample(cursor) -> list[dict]:
    """Up to SAMPLE_ROWS rows per sealed field, of people not erased: their
    values must open after a restore. Runs on `cursor` (the snapshot)."""
    sample = []
    for column in sealed_columns():
        each = column.model._meta.get_field(column.field)
        if not isinstance(each, vault.SealedField):
            continue
        path = "" if each.subject == "self" else each.subject.replace(".", "__") + "__"
        rows = (
            _stored(column)
            .filter(**{f"{path}erased_at__isnull": True})
            .order_by("?")
            .values_list("pk", flat=True)[:SAMPLE_ROWS]
        )
        query, params = rows.query.sql_with_params()
        cursor.execute(query, params)
        for (row_id,) in cursor.fetchall():
            sample.append(
                {
                    "model": column.model._meta.label,
                    "id": str(row_id),
                    "field": column.field,
                }
            )
    return sample


def migrations_applied(cursor) -> dict[str, str]:
    cursor.execute("SELECT app, max(name) FROM django_migrations GROUP BY app")
    return dict(sorted(cursor.fetchall()))


def audit_head(cursor) -> dict:
    cursor.execute("SELECT count(*) FROM nrm_auditevent")
    (events,) = cursor.fetchone()
    cursor.execute("SELECT last_id, last_hash FROM nrm_auditchainhead WHERE id = 1")
    row = cursor.fetchone() or (0, "")
    return {"events": events, "head_id": row[0], "head_hash": row[1]}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


# Backup ---------------------------------------------------------------------


@dataclass
class BackupResult:
    archive: Path
    manifest: Path
    keys: Path | None
    tables: int
    rows: int
    archive_bytes: int


def backup(
    *,
    directory: Path,
    keys_directory: Path | None,
    archive_passphrase: str,
    keys_passphrase: str | None,
    db: dict | None = None,
) -> BackupResult:
    """Snapshot, manifest, archive, key export; files are mode 0600 and new."""
    db = db or database_settings()
    if keys_passphrase is not None and keys_passphrase == archive_passphrase:
        raise BackupError(
            f"{ARCHIVE_PASSPHRASE} and {KEYS_PASSPHRASE} must differ: whoever holds "
            "both the archive and the key export must not open both with one secret."
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory.mkdir(parents=True, exist_ok=True)
    archive = directory / f"nrm-{stamp}.dump.sealed"
    manifest_path = directory / f"nrm-{stamp}.manifest.json"
    keys_path = None
    pg_dump = tool("pg_dump")

    connection = connect(db)
    try:
        connection.set_session(isolation_level="REPEATABLE READ", readonly=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_export_snapshot(), current_setting('server_version')"
            )
            snapshot, server_version = cursor.fetchone()
            tables = project_tables(cursor)
            manifest = {
                "format": MANIFEST_FORMAT,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "server_version": server_version,
                "migrations": migrations_applied(cursor),
                "tables": table_figures(cursor, tables),
                "audit": audit_head(cursor),
                "sealed_sample": sealed_sample(cursor),
            }
            # pg_dump reads the very snapshot the manifest was computed in.
            command = [
                pg_dump,
                "--format=custom",
                "--compress=6",
                "--no-password",
                f"--snapshot={snapshot}",
                "--dbname",
                db["NAME"],
            ]
            with _new_file(archive) as target:
                process = subprocess.Popen(  # noqa: S603 - fixed arguments
                    command,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    env=libpq_env(db),
                )
                try:
                    vault.seal_stream(
                        process.stdout,
                        target,
                        passphrase=archive_passphrase,
                        purpose=vault.PURPOSE_ARCHIVE,
                    )
                finally:
                    _, err = process.communicate()
                if process.returncode != 0:
                    raise BackupError(f"pg_dump failed: {_first_line(err)}")
        connection.commit()
    finally:
        connection.close()

    check_archive(archive, passphrase=archive_passphrase)
    manifest["archive"] = {
        "file": archive.name,
        "bytes": archive.stat().st_size,
        "sha256": sha256_of(archive),
    }
    if keys_passphrase is not None:
        keys_directory = keys_directory or directory
        keys_directory.mkdir(parents=True, exist_ok=True)
        keys_path = keys_directory / f"nrm-{stamp}.keys.sealed"
        with _new_file(keys_path) as target:
            summary = vault.export_key_set(
                target,
                passphrase=keys_passphrase,
                attachments=_attachments(),
            )
        manifest["keys"] = {
            "file": keys_path.name,
            "sha256": sha256_of(keys_path),
            **summary,
        }
    with _new_file(manifest_path) as target:
        target.write(json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n")
    return BackupResult(
        archive=archive,
        manifest=manifest_path,
        keys=keys_path,
        tables=len(manifest["tables"]),
        rows=sum(t["rows"] for t in manifest["tables"].values()),
        archive_bytes=manifest["archive"]["bytes"],
    )


@contextmanager
def _new_file(path: Path) -> Iterator[BinaryIO]:
    """A new file, mode 0600, removed again when writing it fails."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _first_line(err: bytes | str) -> str:
    text = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else "no message"


@contextmanager
def opened_archive(archive: Path, *, passphrase: str) -> Iterator[Path]:
    """The archive opened into a private temporary file, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="nrm-restore-") as private:
        plain = Path(private) / "archive.dump"
        try:
            with open(archive, "rb") as source, _new_file(plain) as target:
                vault.open_stream(
                    source,
                    target,
                    passphrase=passphrase,
                    purpose=vault.PURPOSE_ARCHIVE,
                )
        except vault.VaultError as exc:
            raise BackupError(f"The archive {archive.name}: {exc}") from None
        yield plain


def check_archive(archive: Path, *, passphrase: str) -> int:
    """The archive opens and pg_restore reads its table of contents; the
    number of entries."""
    with opened_archive(archive, passphrase=passphrase) as plain:
        listing = subprocess.run(  # noqa: S603 - fixed arguments
            [tool("pg_restore"), "--list", str(plain)],
            capture_output=True,
            timeout=600,
            check=False,
        )
    if listing.returncode != 0:
        raise BackupError(
            f"pg_restore cannot read the archive: {_first_line(listing.stderr)}"
        )
    return sum(
        1 for line in listing.stdout.decode().splitlines() if line and line[0] != ";"
    )


# Restore --------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"The manifest {Path(path).name} cannot be read.") from None
    if manifest.get("format") != MANIFEST_FORMAT:
        raise BackupError(f"The manifest is not a {MANIFEST_FORMAT} document.")
    return manifest


def database_is_empty(db: dict) -> bool:
    connection = connect(db)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                "AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'"
            )
            return cursor.fetchone()[0] == 0
    finally:
        connection.close()


def restore(
    *,
    archive: Path,
    keys: Path,
    key_file: Path,
    archive_passphrase: str,
    keys_passphrase: str,
    manifest: dict | None,
    db: dict,
    audit_key_file: Path | None = None,
    exchange_key_file: Path | None = None,
) -> dict:
    """Open the key export first (nothing is restored when it does not open),
    then the archive into the empty database, in one transaction; then write
    the vault's key file and, when the export carries it, the audit trail's
    key file (by default `audit-keys.json` beside the vault's)."""
    audit_key_file = audit_key_file or key_file.parent / "audit-keys.json"
    exchange_key_file = exchange_key_file or key_file.parent / "exchange-keys.json"
    if manifest is not None:
        expected = manifest.get("archive", {}).get("sha256")
        if expected and sha256_of(archive) != expected:
            raise BackupError(
                f"The archive {archive.name} is not the one the manifest describes "
                "(its SHA-256 differs)."
            )
    if key_file.exists():
        raise BackupError(
            "The key file to restore into already exists; name a new path."
        )
    if audit_key_file.exists():
        raise BackupError(
            "The audit key file to restore into already exists; name a new path "
            "(--audit-key-file)."
        )
    if exchange_key_file.exists():
        raise BackupError(
            "The exchange key file to restore into already exists; name a new path "
            "(--exchange-key-file)."
        )
    if not database_is_empty(db):
        raise BackupError(
            f"The database {db['NAME']} is not empty; restore into a new, empty "
            "database (createdb -O <owner role> <name>)."
        )
    with tempfile.TemporaryDirectory(prefix="nrm-keys-") as private:
        staged = Path(private) / "keys.json"
        try:
            with open(keys, "rb") as source:
                summary, attachments = vault.import_key_set(
                    source, staged, passphrase=keys_passphrase
                )
            staged_audit = staged_exchange = None
            if AUDIT_ATTACHMENT in attachments:
                staged_audit = Path(private) / "audit-keys.json"
                audit_keys.write_restored_key_file(
                    staged_audit, attachments[AUDIT_ATTACHMENT]
                )
            if EXCHANGE_ATTACHMENT in attachments:
                staged_exchange = Path(private) / "exchange-keys.json"
                exchangekeys.write_restored_key_file(
                    staged_exchange, attachments[EXCHANGE_ATTACHMENT]
                )
        except (vault.VaultError, ImproperlyConfigured) as exc:
            raise BackupError(f"The key export {keys.name}: {exc}") from None
        with opened_archive(archive, passphrase=archive_passphrase) as plain:
            result = subprocess.run(  # noqa: S603 - fixed arguments
                [
                    tool("pg_restore"),
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    "--no-password",
                    "--dbname",
                    db["NAME"],
                    str(plain),
                ],
                capture_output=True,
                env=libpq_env(db),
                timeout=24 * 3600,
                check=False,
            )
        if result.returncode != 0:
            raise BackupError(
                f"pg_restore failed (nothing was restored): {_first_line(result.stderr)}"
            )
        for staged_file, target in (
            (staged, key_file),
            (staged_audit, audit_key_file),
            (staged_exchange, exchange_key_file),
        ):
            if staged_file is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged_file, target)
            os.chmod(target, 0o600)
    summary["audit_key_file"] = str(audit_key_file) if staged_audit else None
    summary["exchange_key_file"] = str(exchange_key_file) if staged_exchange else None
    return summary


def _attachments() -> dict[str, dict]:
    """The secret files a restored service needs beside the vault's keys."""
    attached = {AUDIT_ATTACHMENT: audit_keys.current_key_data()}
    exchange = exchangekeys.current_key_data()
    if exchange is not None:
        attached[EXCHANGE_ATTACHMENT] = exchange
    return attached


# Verification ---------------------------------------------------------------


@dataclass
class Verification:
    checks: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def ok(self, message: str) -> None:
        self.checks.append(message)

    def fail(self, message: str) -> None:
        self.failures.append(message)


def verify_restore(
    *, manifest: dict, db: dict, archive: Path | None = None
) -> Verification:
    """Check the database `db` (with the keys in use) against a manifest."""
    report = Verification()
    if archive is not None:
        if sha256_of(archive) == manifest["archive"]["sha256"]:
            report.ok(f"archive {archive.name}: SHA-256 matches the manifest")
        else:
            report.fail(f"archive {archive.name}: SHA-256 differs from the manifest")

    connection = connect(db)
    try:
        with connection.cursor() as cursor:
            found = table_figures(cursor, project_tables(cursor))
            head = audit_head(cursor)
            migrations = migrations_applied(cursor)
    finally:
        connection.close()
    expected = manifest["tables"]
    differing = sorted(
        name
        for name in expected.keys() | found.keys()
        if expected.get(name) != found.get(name)
    )
    for name in differing:
        report.fail(
            f"table {name}: expected {expected.get(name, 'absent')}, "
            f"found {found.get(name, 'absent')}"
        )
    if not differing:
        rows = sum(t["rows"] for t in found.values())
        report.ok(f"{len(found)} tables, {rows} rows: counts and checksums match")
    if migrations != manifest["migrations"]:
        report.fail("the applied migrations differ from the manifest's")

    breaks = list(audit.verify())
    if breaks:
        report.fail(f"audit chain broken at event #{breaks[0].event_id}")
    elif head != manifest["audit"]:
        report.fail("the audit chain's head differs from the manifest's")
    else:
        report.ok(f"audit chain intact: {head['events']} events, head matches")

    opened = _open_sample(manifest["sealed_sample"], report)
    _check_sealed_columns(report)
    _search_clear_values(opened, db, report)
    return report


def _open_sample(sample: list[dict], report: Verification) -> list[str]:
    """Open every sampled sealed value with the restored keys; the texts."""
    texts: list[str] = []
    failed = 0
    for entry in sample:
        model = apps.get_model(entry["model"])
        try:
            row = model.objects.get(pk=entry["id"])
            value = getattr(row, entry["field"])
        except (model.DoesNotExist, vault.VaultError, vault.PersonErased) as exc:
            failed += 1
            report.fail(
                f"sealed {entry['model']}.{entry['field']} of {entry['id']} did not "
                f"open ({type(exc).__name__})"
            )
            continue
        if isinstance(value, str):
            texts.append(value)
    if sample and not failed:
        report.ok(f"sealed sample: {len(sample)} of {len(sample)} values open")
    elif not sample:
        report.ok("sealed sample: the source held no sealed values")
    return texts


def _check_sealed_columns(report: Verification) -> None:
    """Every stored value of every sealed column is vault ciphertext."""
    values = 0
    bad: list[str] = []
    for column in sealed_columns():
        heads = _stored(column).annotate(
            _head=Substr(column.field, 1, 64, output_field=models.BinaryField())
        )
        for row_id, head in heads.values_list("pk", "_head").iterator():
            values += 1
            try:
                vault.blob_key_id(bytes(head))
            except vault.VaultError:
                bad.append(f"{column.table}.{column.column} of {row_id}")
    if bad:
        report.fail(
            f"{len(bad)} value(s) in sealed columns are not ciphertext: "
            + ", ".join(bad[:10])
        )
    else:
        report.ok(f"sealed columns: all {values} stored values are ciphertext")


def needles(texts: list[str]) -> set[bytes]:
    """Byte strings that would betray a value in clear in a plain dump: each
    whole value of 6 characters or more (single words would also match column
    names and codes), in several cases, as UTF-8 and as bytea prints (hex)."""
    found: set[bytes] = set()
    for text in texts:
        if len(text) < 6:
            continue
        for form in {text, text.lower(), text.upper()}:
            encoded = form.encode("utf-8")
            found |= {encoded, encoded.hex().encode()}
    return found


def _search_clear_values(texts: list[str], db: dict, report: Verification) -> None:
    """Dump the restored data in plain SQL and search it for the opened values."""
    wanted = needles(texts)
    if not wanted:
        report.ok("personal values in clear: nothing to search for (empty sample)")
        return
    longest = max(len(n) for n in wanted)
    hits: set[bytes] = set()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            tool("pg_dump"),
            "--data-only",
            "--format=plain",
            "--no-password",
            "--dbname",
            db["NAME"],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=libpq_env(db),
    )
    tail = b""
    while chunk := process.stdout.read(8 << 20):
        window = tail + chunk
        hits |= {n for n in wanted - hits if n in window}
        tail = window[-longest:]
    _, err = process.communicate()
    if process.returncode != 0:
        report.fail(f"pg_dump of the restored database failed: {_first_line(err)}")
    elif hits:
        report.fail(
            f"personal values in clear: {len(hits)} of {len(wanted)} sampled value "
            "forms appear in a plain dump"
        )
    else:
        report.ok(
            f"personal values in clear: none of {len(wanted)} sampled value forms "
            "appear in a plain dump"
        )
