"""The audit trail's MAC keys: a key file beside the vault keys, never the database.

Each audit event carries an HMAC-SHA-256 over its content and its
predecessor's MAC (`nrm.audit`), computed with a key that the database does
not hold: whoever owns the tables can edit rows and switch triggers off, but
cannot forge the chain without this file.

Settings (from the environment)
    AUDIT_KEY_FILE   path of the JSON key file, readable only by the service
                     (production refuses to start without it);
    AUDIT_CREATE_KEY_FILE  create it with a fresh key when absent (demo and
                     test settings only).

The key file::

    {
      "format": "nrm-audit-keys/1",
      "active": "a20260101-1a2b3c",
      "keys": {"a20250101-4d5e6f": "<base64, 32 bytes>",
               "a20260101-1a2b3c": "<base64, 32 bytes>"}
    }

Every event stores the id of the key that sealed it (`AuditEvent.key_id`), so
keys rotate without re-sealing: `manage.py audit_keygen` adds a key and makes
it active; older keys stay in the file for as long as `verify_audit` must
check the events they sealed (keep them: the trail is kept for years).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone

from core.keyfiles import write_secret_json

KEY_FILE_FORMAT = "nrm-audit-keys/1"
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,16}")
_SOURCE = "AUDIT_KEY_FILE"


@dataclass(frozen=True)
class AuditKeys:
    active: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise ImproperlyConfigured(
                f"The audit key file ({_SOURCE}) has no key {key_id!r}; an "
                "event sealed with it cannot be checked."
            ) from None


_cache: dict[str, object] = {}


@receiver(setting_changed)
def _audit_setting_changed(*, setting: str, **kwargs) -> None:
    if setting.startswith("AUDIT_"):
        _cache.clear()


def key_file_path() -> Path:
    path = getattr(settings, "AUDIT_KEY_FILE", "") or ""
    if not path:
        raise ImproperlyConfigured(
            f"Set the {_SOURCE} environment variable to the audit key file; "
            "create it with `manage.py audit_keygen`."
        )
    return Path(path)


def keys() -> AuditKeys:
    """The key set, read once per change of the file (a rotation done by
    `audit_keygen` is seen without a restart)."""
    path = key_file_path()
    if not path.exists() and getattr(settings, "AUDIT_CREATE_KEY_FILE", False):
        create_key_file(path)
    try:
        stamp = (str(path), path.stat().st_mtime_ns)
    except OSError:
        raise ImproperlyConfigured(
            f"The {_SOURCE} environment variable names no readable file."
        ) from None
    if _cache.get("stamp") != stamp:
        _cache["keys"] = parse(read_key_file(path))
        _cache["stamp"] = stamp
    return _cache["keys"]  # type: ignore[return-value]


def read_key_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ImproperlyConfigured(
            f"The audit key file named by {_SOURCE} cannot be read as JSON."
        ) from None
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f"The audit key file ({_SOURCE}) is not an object.")
    return data


def parse(data: dict) -> AuditKeys:
    if data.get("format") != KEY_FILE_FORMAT:
        raise ImproperlyConfigured(
            f"The audit key file ({_SOURCE}) must have format {KEY_FILE_FORMAT!r}."
        )
    raw = data.get("keys")
    if not isinstance(raw, dict) or not raw:
        raise ImproperlyConfigured(f"The audit key file ({_SOURCE}) has no keys.")
    decoded = {}
    for key_id, encoded in raw.items():
        if not _KEY_ID.fullmatch(str(key_id)):
            raise ImproperlyConfigured("An audit key id is 1-16 of A-Z a-z 0-9 . _ -.")
        try:
            key = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"The audit key {key_id!r} ({_SOURCE}) must be 32 bytes in base64."
            )
        decoded[key_id] = key
    if data.get("active") not in decoded:
        raise ImproperlyConfigured(
            f"The audit key file's active key ({_SOURCE}) is not among its keys."
        )
    return AuditKeys(active=data["active"], keys=decoded)


def current_key_data() -> dict:
    """The key file in use, validated: what a backup's key export carries."""
    keys()
    return read_key_file(key_file_path())


def write_restored_key_file(path: Path, data: dict) -> AuditKeys:
    """A key file restored from a key export: validated, written mode 0600,
    never over an existing file."""
    restored = parse(data)
    if not _write(path, data, exclusive=True):
        raise ImproperlyConfigured("The audit key file to restore into already exists.")
    return restored


def _new_key_id(existing: set[str]) -> str:
    while True:
        key_id = f"a{timezone.now():%Y%m%d}-{secrets.token_hex(3)}"
        if key_id not in existing:
            return key_id


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _write(path: Path, data: dict, *, exclusive: bool) -> bool:
    return write_secret_json(path, data, exclusive=exclusive, prefix=".audit-keys-")


def create_key_file(path: Path) -> bool:
    """A new key file with one fresh key; False when one exists already."""
    key_id = _new_key_id(set())
    data = {"format": KEY_FILE_FORMAT, "active": key_id, "keys": {key_id: _new_key()}}
    created = _write(path, data, exclusive=True)
    _cache.clear()
    return created


def add_key(path: Path) -> str:
    """Add a fresh key and make it active (older keys stay, for verification)."""
    data = read_key_file(path)
    parse(data)
    key_id = _new_key_id(set(data["keys"]))
    data["keys"][key_id] = _new_key()
    data["active"] = key_id
    _write(path, data, exclusive=False)
    _cache.clear()
    return key_id


@checks.register(checks.Tags.security)
def check_audit_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`manage.py check`: the audit keys load (without creating the file), and
    the file is not readable by other users."""
    try:
        path = key_file_path()
        if not path.exists() and getattr(settings, "AUDIT_CREATE_KEY_FILE", False):
            return []
        parse(read_key_file(path))
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="audit.E001")]
    if path.stat().st_mode & 0o027:
        return [
            checks.Warning(
                "The audit key file named by AUDIT_KEY_FILE is readable by other "
                "users, or writable by its group.",
                hint="chmod 600 (or 640 for the service's group) the file.",
                id="audit.W001",
            )
        ]
    return []
