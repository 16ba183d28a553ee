"""The key file: the key-encryption keys and the blind-index key.

Where the keys come from (VAULT_KEY_FILE or VAULT_KEYS), their validation,
the process's loaded `Keyring`, and the operations on a key file (create,
add, activate and retire a key-encryption key). Errors name the variable
and key ids, never key bytes.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.keyfiles import write_secret_json
from referral.vault.cipher import KEY_BYTES, KEY_ID, Aead, cipher_for, new_key
from referral.vault.sealedfile import PURPOSE_KEY_EXPORT, open_stream, seal_stream

KEY_FILE_FORMAT = "nrm-vault-keys/1"


@dataclass(frozen=True)
class Keyring:
    """The key-encryption keys and the blind-index key, as loaded."""

    active: str
    keks: dict[str, Aead] = field(repr=False)
    blind_index_key: bytes = field(repr=False)
    source: str = "VAULT_KEY_FILE"

    @property
    def kek_ids(self) -> frozenset[str]:
        return frozenset(self.keks)


_lock = threading.Lock()
_keyring: Keyring | None = None


def keyring() -> Keyring:
    """The process's keys, loaded on first use from the settings."""
    global _keyring
    ring = _keyring
    if ring is None:
        with _lock:
            if _keyring is None:
                _keyring = _load_keyring(create=True)
            ring = _keyring
    return ring


def reload_keys() -> None:
    """Forget the loaded keys; the next use reads them again."""
    global _keyring
    with _lock:
        _keyring = None


@receiver(setting_changed)
def _vault_setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("VAULT_"):
        reload_keys()


def _key_source() -> tuple[str, str]:
    """("VAULT_KEYS", json) or ("VAULT_KEY_FILE", path); names the variable."""
    inline = getattr(settings, "VAULT_KEYS", "") or ""
    path = getattr(settings, "VAULT_KEY_FILE", "") or ""
    if inline and path:
        raise ImproperlyConfigured(
            "Set the VAULT_KEY_FILE or the VAULT_KEYS environment variable, not both."
        )
    if inline:
        return "VAULT_KEYS", inline
    if path:
        return "VAULT_KEY_FILE", str(path)
    raise ImproperlyConfigured(
        "Set the VAULT_KEY_FILE environment variable (a vault key file; or "
        "VAULT_KEYS with its JSON content): the vault has no keys."
    )


def _load_keyring(*, create: bool) -> Keyring:
    source, value = _key_source()
    if source == "VAULT_KEYS":
        return parse_key_set(_parse_json(value, source), source=source)
    path = Path(value)
    if (
        create
        and not path.exists()
        and getattr(settings, "VAULT_CREATE_KEY_FILE", False)
    ):
        create_key_file(path)
    return parse_key_set(read_key_file(path), source=source)


def _parse_json(text: str, source: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        raise ImproperlyConfigured(
            f"The vault keys in {source} are not valid JSON."
        ) from None
    if not isinstance(data, dict):
        raise ImproperlyConfigured(f"The vault keys in {source} must be a JSON object.")
    return data


def read_key_file(path: Path | str) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        raise ImproperlyConfigured(
            "The vault key file named by the VAULT_KEY_FILE environment variable "
            "cannot be read."
        ) from None
    return _parse_json(text, "VAULT_KEY_FILE")


def _decode_key(encoded: object, what: str, source: str) -> bytes:
    if not isinstance(encoded, str):
        raise ImproperlyConfigured(f"The vault keys in {source}: {what} is missing.")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(
            f"The vault keys in {source}: {what} is not valid base64."
        ) from None
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"The vault keys in {source}: {what} must be {KEY_BYTES} bytes."
        )
    return raw


def parse_key_set(data: dict, *, source: str = "VAULT_KEY_FILE") -> Keyring:
    """Validate a key set; errors name the variable and ids, never key bytes."""
    if data.get("format") != KEY_FILE_FORMAT:
        raise ImproperlyConfigured(
            f"The vault keys in {source} must have format {KEY_FILE_FORMAT!r}."
        )
    keys = data.get("keys")
    if not isinstance(keys, dict) or not keys:
        raise ImproperlyConfigured(f"The vault keys in {source} list no keys.")
    keks: dict[str, Aead] = {}
    for kek_id, encoded in keys.items():
        if not isinstance(kek_id, str) or not KEY_ID.fullmatch(kek_id):
            raise ImproperlyConfigured(
                f"The vault keys in {source}: a key id is not 1-32 of "
                "A-Z a-z 0-9 . _ -."
            )
        keks[kek_id] = cipher_for(_decode_key(encoded, f"key {kek_id!r}", source))
    active = data.get("active")
    if active not in keks:
        raise ImproperlyConfigured(
            f"The vault keys in {source}: the active key is not among the keys."
        )
    blind = _decode_key(data.get("blind_index_key"), "blind_index_key", source)
    return Keyring(active=active, keks=keks, blind_index_key=blind, source=source)


def _new_key() -> str:
    return base64.b64encode(new_key()).decode("ascii")


def new_kek_id(existing: frozenset[str] | set[str] = frozenset()) -> str:
    while True:
        kek_id = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
        if kek_id not in existing:
            return kek_id


def new_key_set() -> dict:
    kek_id = new_kek_id()
    return {
        "format": KEY_FILE_FORMAT,
        "active": kek_id,
        "keys": {kek_id: _new_key()},
        "blind_index_key": _new_key(),
    }


def _write_new_file(path: Path, data: dict, *, exclusive: bool) -> bool:
    return write_secret_json(path, data, exclusive=exclusive, prefix=".vault-keys-")


def create_key_file(path: Path | str) -> bool:
    """Create a key file with a fresh KEK and blind-index key; False if the
    file already exists (never overwritten)."""
    return _write_new_file(Path(path), new_key_set(), exclusive=True)


def add_kek(
    path: Path | str, *, kek_id: str | None = None, activate: bool = True
) -> str:
    """Add a new KEK to a key file (optionally making it active); its id."""
    path = Path(path)
    data = read_key_file(path)
    parse_key_set(data)
    kek_id = kek_id or new_kek_id(set(data["keys"]))
    if not KEY_ID.fullmatch(kek_id):
        raise ImproperlyConfigured("A key id is 1-32 of A-Z a-z 0-9 . _ -.")
    if kek_id in data["keys"]:
        raise ImproperlyConfigured(f"The key file already has a key {kek_id!r}.")
    data["keys"][kek_id] = _new_key()
    if activate:
        data["active"] = kek_id
    _write_new_file(path, data, exclusive=False)
    reload_keys()
    return kek_id


def activate_kek(path: Path | str, kek_id: str) -> None:
    path = Path(path)
    data = read_key_file(path)
    parse_key_set(data)
    if kek_id not in data["keys"]:
        raise ImproperlyConfigured(f"The key file has no key {kek_id!r}.")
    data["active"] = kek_id
    _write_new_file(path, data, exclusive=False)
    reload_keys()


def remove_keks(path: Path | str, kek_ids: set[str] | frozenset[str]) -> list[str]:
    """Remove KEKs from a key file (never the active one); the ids removed."""
    path = Path(path)
    data = read_key_file(path)
    parse_key_set(data)
    removed = sorted(k for k in kek_ids if k in data["keys"] and k != data["active"])
    for kek_id in removed:
        del data["keys"][kek_id]
    if removed:
        _write_new_file(path, data, exclusive=False)
        reload_keys()
    return removed


def ensure_key_file() -> Path | None:
    """Create the key file named by VAULT_KEY_FILE when it is absent; the path
    when created, None when it existed or the keys come from VAULT_KEYS."""
    source, value = _key_source()
    if source == "VAULT_KEYS":
        return None
    path = Path(value)
    created = create_key_file(path)
    reload_keys()
    keyring()
    return path if created else None


def ensure_demo_keys(out: TextIO) -> None:
    """For the demo: create the local key file on first run, and say so."""
    if not getattr(settings, "VAULT_CREATE_KEY_FILE", False):
        keyring()
        return
    path = ensure_key_file()
    if path is not None:
        out.write(
            f"Created the demo vault key file {path} (demo keys; keep it with the "
            "demo database, and never use it in production)."
        )


@checks.register(checks.Tags.security)
def check_vault_keys(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """`manage.py check`: the keys load (without creating a key file)."""
    try:
        source, value = _key_source()
        if (
            source == "VAULT_KEY_FILE"
            and not Path(value).exists()
            and getattr(settings, "VAULT_CREATE_KEY_FILE", False)
        ):
            return []
        _load_keyring(create=False)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="vault.E001")]
    if source == "VAULT_KEY_FILE" and Path(value).stat().st_mode & 0o027:
        return [
            checks.Warning(
                "The vault key file named by VAULT_KEY_FILE is readable by other "
                "users, or writable by its group.",
                hint="chmod 600 (or 640 for the service's group) the file.",
                id="vault.W001",
            )
        ]
    return []


# The key set's export (a passphrase-sealed file, for backups)


def current_key_set() -> dict:
    """The key set in use (from VAULT_KEY_FILE or VAULT_KEYS), validated."""
    source, value = _key_source()
    data = (
        _parse_json(value, source) if source == "VAULT_KEYS" else read_key_file(value)
    )
    parse_key_set(data, source=source)
    return data


# A key export holds the vault's key set and, beside it, the other secret
# files a restored service needs (the audit trail's MAC keys): "attachments",
# JSON objects the vault seals and opens without reading them.
KEY_EXPORT_FORMAT = "nrm-key-export/2"


def export_key_set(
    target: BinaryIO, *, passphrase: str, attachments: dict[str, dict] | None = None
) -> dict:
    """Seal the key set in use (and the attachments) into `target`; a summary
    without key bytes."""
    data = current_key_set()
    document = {
        "format": KEY_EXPORT_FORMAT,
        "vault": data,
        "attachments": dict(attachments or {}),
    }
    encoded = json.dumps(document, sort_keys=True).encode("utf-8")
    seal_stream(
        io.BytesIO(encoded),
        target,
        passphrase=passphrase,
        purpose=PURPOSE_KEY_EXPORT,
    )
    return {
        "active": data["active"],
        "kek_ids": sorted(data["keys"]),
        "attachments": sorted(document["attachments"]),
    }


def import_key_set(
    source: BinaryIO, path: Path | str, *, passphrase: str
) -> tuple[dict, dict[str, dict]]:
    """Open a key export and write its key set as a new key file (mode 0600;
    never over an existing file); a summary without key bytes, and the
    attachments for the caller to validate and write. An export of the first
    format (the key set alone) has no attachments."""
    opened = io.BytesIO()
    open_stream(source, opened, passphrase=passphrase, purpose=PURPOSE_KEY_EXPORT)
    document = _parse_json(opened.getvalue().decode("utf-8"), "the key export")
    attachments: dict[str, dict] = {}
    if document.get("format") == KEY_EXPORT_FORMAT:
        data = document.get("vault")
        attachments = document.get("attachments") or {}
        if not isinstance(data, dict) or not isinstance(attachments, dict):
            raise ImproperlyConfigured("The key export is not a key export.")
    else:
        data = document
    parse_key_set(data, source="the key export")
    if not _write_new_file(Path(path), data, exclusive=True):
        raise ImproperlyConfigured("The key file to restore into already exists.")
    summary = {"active": data["active"], "kek_ids": sorted(data["keys"])}
    return summary, attachments
