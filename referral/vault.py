"""The personal-data vault: the only module that imports `cryptography`.

Envelope encryption
    Each person (data subject) has a random 256-bit data key (DEK). It is
    stored only wrapped, in `referral.DataKey`, by a key-encryption key (KEK)
    that comes from a key file or the environment, never from the database.
    Everything personal about the person (their `Person` fields, their cases'
    notes, reasons and hand-over packages, sealed audit reasons) is sealed
    with their DEK. Erasure destroys the wrapped DEK (crypto-shredding).

Keys (settings, from the environment)
    VAULT_KEY_FILE   path of a JSON key file, readable only by the service;
    VAULT_KEYS       the same JSON document inline (for secret stores that
                     inject environment variables); set one, not both;
    VAULT_CREATE_KEY_FILE  create VAULT_KEY_FILE with fresh keys when it is
                     absent (demo and test settings only; never production).

    The key file::

        {
          "format": "nrm-vault-keys/1",
          "active": "k20250101-a1b2c3",
          "keys": {"k20240101-d4e5f6": "<base64, 32 bytes>",
                   "k20250101-a1b2c3": "<base64, 32 bytes>"},
          "blind_index_key": "<base64, 32 bytes>"
        }

    `keys` holds every KEK still needed to unwrap a data key (ids: 1-32 of
    A-Z a-z 0-9 . _ -); `active` wraps new and re-wrapped data keys. The
    blind-index key is separate from the KEKs (it is never rotated by
    `rotate_vault_keys`: rotating it means recomputing every blind index).

Ciphertext format (values and wrapped data keys alike), version 1::

    0x01 | len(key id) (1 byte) | key id (ASCII) | nonce (12) | AES-256-GCM
    ciphertext with its 16-byte tag

    The key id is the KEK id for a wrapped data key and the data key's own
    short id (`DataKey.key_id`) for a value. The associated data is the
    header (version, length, key id) followed by 0x00 and a binding string:

    - a sealed model field: "<model label>|<field name>|<primary key>",
      e.g. "referral.Person|given_names|<uuid>", so a ciphertext copied to
      another row or column fails to open (the model needs a UUID primary
      key, known before insert);
    - `seal_text(..., context=c)`: "text|<c>" (contexts carry ids only);
    - a wrapped data key: "dek|<person uuid>".

    A value's plaintext is a type tag ("s" text, "d" ISO date, "n" None,
    "j" JSON) and its UTF-8 bytes, padded (0x80 then zeros) to a multiple of
    32 bytes so ciphertext lengths reveal only a coarse size. A wrong key, a
    tampered, truncated or moved ciphertext raises `VaultError`, never
    garbage; messages carry model, field and ids only.

Operations
    - `manage.py vault_init`: create the key file named by VAULT_KEY_FILE.
    - `manage.py vault_keygen [--inactive]`: add a KEK and make it active.
      With several app servers, add it `--inactive` first, restart them, then
      `vault_keygen --activate <id>` and restart again, so every server can
      unwrap keys wrapped under the new KEK before any server uses it.
    - `manage.py rotate_vault_keys [--retire]`: re-wrap every data key under
      the active KEK, in short batches (SKIP LOCKED) while the service runs;
      resumable; `--retire` then drops KEKs no data key uses from the file.
      Crypto-shredding reaches backups only once the KEKs that wrapped the
      destroyed keys in those backups are retired: rotate regularly.
    - `manage.py backup` / `restore`: the archive and the key export are
      sealed under passphrases by the last section of this module.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import hmac
import io
import json
import os
import re
import secrets
import struct
import tempfile
import threading
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist
from django.core.signals import setting_changed
from django.db import models
from django.db.models.query_utils import DeferredAttribute
from django.dispatch import receiver
from django.utils import timezone

from nrm.errors import DataErased

KEY_FILE_FORMAT = "nrm-vault-keys/1"
FORMAT_V1 = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
PAD_BLOCK = 32
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
_MIN_BLOB = 2 + 1 + NONCE_BYTES + TAG_BYTES


class VaultError(Exception):
    """A ciphertext did not open (wrong key, tampered, truncated, moved), or
    the vault was used wrongly. Messages never carry a personal value."""


class PersonErased(DataErased):
    """The person's data key was destroyed: their sealed values are gone."""

    def __init__(self, person_id: object = None):
        super().__init__("This person's personal data has been erased.")
        self.person_id = person_id


# Keys ---------------------------------------------------------------------


@dataclass(frozen=True)
class Keyring:
    """The key-encryption keys and the blind-index key, as loaded."""

    active: str
    keks: dict[str, AESGCM] = field(repr=False)
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
    keks: dict[str, AESGCM] = {}
    for kek_id, encoded in keys.items():
        if not isinstance(kek_id, str) or not _KEY_ID.fullmatch(kek_id):
            raise ImproperlyConfigured(
                f"The vault keys in {source}: a key id is not 1-32 of "
                "A-Z a-z 0-9 . _ -."
            )
        keks[kek_id] = AESGCM(_decode_key(encoded, f"key {kek_id!r}", source))
    active = data.get("active")
    if active not in keks:
        raise ImproperlyConfigured(
            f"The vault keys in {source}: the active key is not among the keys."
        )
    blind = _decode_key(data.get("blind_index_key"), "blind_index_key", source)
    return Keyring(active=active, keks=keks, blind_index_key=blind, source=source)


def _new_key() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


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
    """Write `data` to `path` atomically, mode 0600 (a replaced file keeps its
    owner, group and group-read bit). With `exclusive`, never replace an
    existing file (returns False when one exists)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".vault-keys-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        if not exclusive and path.exists():
            old = path.stat()
            os.fchmod(fd, old.st_mode & 0o640)
            with contextlib.suppress(PermissionError):  # not root: stays ours
                os.fchown(fd, old.st_uid, old.st_gid)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
        else:
            os.replace(tmp, path)
            tmp = ""
        return True
    finally:
        if tmp:
            os.unlink(tmp)


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
    if not _KEY_ID.fullmatch(kek_id):
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


# The cipher ---------------------------------------------------------------


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    return bytes((FORMAT_V1, len(raw))) + raw


def _aad(header: bytes, binding: str) -> bytes:
    return header + b"\x00" + binding.encode("utf-8")


def _seal_raw(aead: AESGCM, key_id: str, plaintext: bytes, binding: str) -> bytes:
    header = _header(key_id)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return header + nonce + aead.encrypt(nonce, plaintext, _aad(header, binding))


def _split_blob(blob: bytes) -> tuple[str, int]:
    """The key id in a ciphertext's header and where the nonce starts
    (checked for shape here, authenticated by the cipher)."""
    if len(blob) < _MIN_BLOB:
        raise VaultError("The ciphertext is truncated.")
    if blob[0] != FORMAT_V1:
        raise VaultError("The ciphertext has an unknown format version.")
    split = 2 + blob[1]
    if len(blob) < split + NONCE_BYTES + TAG_BYTES:
        raise VaultError("The ciphertext is truncated.")
    try:
        key_id = blob[2:split].decode("ascii")
    except UnicodeDecodeError:
        raise VaultError("The ciphertext's key id is malformed.") from None
    if not _KEY_ID.fullmatch(key_id):
        raise VaultError("The ciphertext's key id is malformed.")
    return key_id, split


def blob_key_id(blob: bytes | memoryview) -> str:
    """The key id in a ciphertext's header (not yet authenticated)."""
    return _split_blob(bytes(blob))[0]


def _open_raw(
    aead: AESGCM,
    blob: bytes,
    binding: str,
    *,
    what: str,
    key_id: str | None = None,
) -> bytes:
    found, split = _split_blob(blob)
    if key_id is not None and found != key_id:
        raise VaultError(f"{what} was sealed under another key.")
    nonce = blob[split : split + NONCE_BYTES]
    try:
        return aead.decrypt(
            nonce, blob[split + NONCE_BYTES :], _aad(blob[:split], binding)
        )
    except InvalidTag:
        raise VaultError(
            f"{what} did not open: wrong key, or the ciphertext was altered, "
            "truncated or moved to another row or field."
        ) from None


def _encode(value: object) -> bytes:
    if isinstance(value, str):
        try:
            data = b"s" + value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("The value is not valid Unicode text.") from None
    elif isinstance(value, datetime):
        raise TypeError("Seal a date, not a datetime.")
    elif isinstance(value, date):
        data = b"d" + value.isoformat().encode("ascii")
    elif value is None:
        data = b"n"
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            raise TypeError(
                f"A {type(value).__name__} cannot be sealed (text, date, None or "
                "JSON values only)."
            ) from None
        data = b"j" + text.encode("utf-8")
    padding = PAD_BLOCK - (len(data) + 1) % PAD_BLOCK
    if padding == PAD_BLOCK:
        padding = 0
    return data + b"\x80" + b"\x00" * padding


def _decode(padded: bytes) -> object:
    data = padded.rstrip(b"\x00")
    if not data.endswith(b"\x80") or len(padded) % PAD_BLOCK:
        raise VaultError("The opened value is malformed.")
    data = data[:-1]
    tag, body = data[:1], data[1:]
    try:
        if tag == b"s":
            return body.decode("utf-8")
        if tag == b"d":
            return date.fromisoformat(body.decode("ascii"))
        if tag == b"n" and not body:
            return None
        if tag == b"j":
            return json.loads(body.decode("utf-8"))
    except ValueError:
        pass
    raise VaultError("The opened value is malformed.")


def seal_value(key: bytes, key_id: str, value: object, *, binding: str) -> bytes:
    """Seal one value under a raw 256-bit key (the primitive under the rest)."""
    return _seal_raw(AESGCM(key), key_id, _encode(value), binding)


def open_value(key: bytes, blob: bytes | memoryview, *, binding: str) -> object:
    """Open what `seal_value` sealed, with the same binding; else VaultError."""
    return _decode(_open_raw(AESGCM(key), bytes(blob), binding, what="The value"))


# Data keys ------------------------------------------------------------------

_STATE = "_vault_state"


class _State:
    """Per model instance: the subject's opened data key, opened values and
    values set but not yet sealed. Never pickled or copied."""

    __slots__ = ("key", "opened", "pending")

    def __init__(self) -> None:
        self.key: tuple[str, AESGCM] | None = None
        self.opened: dict[str, tuple[object, object]] = {}
        self.pending: dict[str, object] = {}


def _state(instance: models.Model) -> _State:
    state = instance.__dict__.get(_STATE)
    if state is None:
        state = instance.__dict__[_STATE] = _State()
    return state


def forget(instance: models.Model) -> None:
    """Drop the instance's opened key and values (and unsaved sealed values)."""
    instance.__dict__.pop(_STATE, None)


def _dek_binding(person_id: object) -> str:
    return f"dek|{person_id}"


def _data_key_model(person: models.Model) -> type[models.Model]:
    return person._meta.get_field("data_key").related_model


def issue_data_key(person: models.Model) -> models.Model:
    """A new random data key for a new person, wrapped under the active KEK:
    an unsaved `DataKey`, attached to `person.data_key`; the opened key stays
    cached on the person."""
    if person.pk is None:
        raise VaultError("A person needs its primary key before its data key.")
    ring = keyring()
    dek = AESGCM.generate_key(bit_length=256)
    wrapped = _seal_raw(
        ring.keks[ring.active], ring.active, dek, _dek_binding(person.pk)
    )
    data_key = _data_key_model(person)(
        person=person,
        key_id=secrets.token_hex(4),
        kek_id=ring.active,
        wrapped=wrapped,
        created_at=timezone.now(),
    )
    person.data_key = data_key
    _state(person).key = (data_key.key_id, AESGCM(dek))
    return data_key


def _unwrap(data_key: models.Model, person_id: object) -> bytes:
    wrapped = bytes(data_key.wrapped)
    kek_id = data_key.kek_id
    kek = keyring().keks.get(kek_id)
    if kek is None:
        raise VaultError(
            f"The data key of person {person_id} is wrapped under KEK {kek_id!r}, "
            "which is not in the key set."
        )
    what = f"The data key of person {person_id}"
    dek = _open_raw(kek, wrapped, _dek_binding(person_id), what=what, key_id=kek_id)
    if len(dek) != KEY_BYTES:
        raise VaultError(f"The data key of person {person_id} is malformed.")
    return dek


def _subject_key(person: models.Model) -> tuple[str, AESGCM]:
    if getattr(person, "erased_at", None) is not None:
        raise PersonErased(person.pk)
    state = _state(person)
    if state.key is None:
        try:
            data_key = person.data_key
        except ObjectDoesNotExist:
            raise VaultError(
                f"Person {person.pk} has no data key; create people through "
                "referral.persons.person_create."
            ) from None
        if data_key.wrapped is None or data_key.destroyed_at is not None:
            raise PersonErased(person.pk)
        state.key = (data_key.key_id, AESGCM(_unwrap(data_key, person.pk)))
    return state.key


def rewrap_data_key(data_key: models.Model) -> bool:
    """Re-wrap one data key under the active KEK (in memory; the caller
    saves `wrapped`, `kek_id` and `rewrapped_at`). False if nothing to do."""
    ring = keyring()
    if data_key.wrapped is None or data_key.kek_id == ring.active:
        return False
    dek = _unwrap(data_key, data_key.person_id)
    data_key.wrapped = _seal_raw(
        ring.keks[ring.active], ring.active, dek, _dek_binding(data_key.person_id)
    )
    data_key.kek_id = ring.active
    data_key.rewrapped_at = timezone.now()
    return True


def destroy_data_key(data_key: models.Model, *, at: datetime) -> None:
    """Crypto-shredding (in memory; the caller saves `wrapped`, `destroyed_at`)."""
    data_key.wrapped = None
    data_key.destroyed_at = at


# One-off sealed text ----------------------------------------------------------


def _text_binding(context: str) -> str:
    if not isinstance(context, str) or not context:
        raise VaultError("A sealed text needs a context (ids and codes only).")
    return f"text|{context}"


def seal_text(person: models.Model, value: str, *, context: str) -> bytes:
    """Seal a free text under the person's data key, bound to `context`
    (e.g. "audit-reason:<case uuid>"; ids and codes only)."""
    if not isinstance(value, str):
        raise TypeError("seal_text seals text only.")
    key_id, aead = _subject_key(person)
    return _seal_raw(aead, key_id, _encode(value), _text_binding(context))


def open_text(person: models.Model, blob: bytes | memoryview, *, context: str) -> str:
    """Open what `seal_text` sealed for this person and context."""
    value = _open_blob(person, bytes(blob), _text_binding(context), what="The text")
    if not isinstance(value, str):
        raise VaultError("The sealed value is not text.")
    return value


def _open_blob(person: models.Model, blob: bytes, binding: str, *, what: str) -> object:
    key_id, aead = _subject_key(person)
    return _decode(_open_raw(aead, blob, binding, what=what, key_id=key_id))


# The sealed model field ---------------------------------------------------


class _SealedColumn(DeferredAttribute):
    """The ciphertext attribute (`<name>_sealed`). Storing another ciphertext
    in it (a refresh from the database) drops the field's unsaved value."""

    def __set__(self, instance: models.Model, value: object) -> None:
        data = instance.__dict__
        if value is data.get(self.field.attname):
            return  # full_clean() puts back what it read
        data[self.field.attname] = value
        state = data.get(_STATE)
        if state is not None:
            state.pending.pop(self.field.name, None)


class _SealedDescriptor:
    def __init__(self, field: SealedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None):
        if instance is None:
            return self
        return self.field.opened_value(instance)

    def __set__(self, instance: models.Model, value: object) -> None:
        self.field.set_value(instance, value)


def _strip_vault_state_when_pickled(cls: type[models.Model]) -> None:
    if cls.__dict__.get("_vault_pickle_guard"):
        return
    original = cls.__getstate__

    def __getstate__(self):  # noqa: N807 - the pickle protocol's name
        state = original(self)
        state.pop(_STATE, None)
        return state

    cls.__getstate__ = __getstate__
    cls._vault_pickle_guard = True


class SealedField(models.BinaryField):
    """A personal value sealed under its data subject's key.

    `subject` is the dotted path from the instance to the `Person` whose key
    seals it ("self" on Person; "case.person" on a model with a `case`
    foreign key). The attribute reads and writes the plain Python value
    (`kind`: "text" -> str, default ""; "date" -> date | None; "json" ->
    JSON value, default None); the column (`<name>_sealed`, bytea) holds the
    ciphertext. Values are sealed on save and opened on first read, once per
    instance. Never filter, order or `QuerySet.update()` on a sealed field
    (they refuse plaintext); `bulk_update` writes the stored ciphertext only.
    """

    description = "A personal value sealed by the vault"
    descriptor_class = _SealedColumn
    TEXT = "text"
    DATE = "date"
    JSON = "json"
    KINDS = (TEXT, DATE, JSON)

    def __init__(
        self, *args: Any, subject: str = "self", kind: str = TEXT, **kwargs: Any
    ):
        if kind not in self.KINDS:
            raise ValueError(f"SealedField kind must be one of {self.KINDS}.")
        self.subject = subject
        self.kind = kind
        kwargs["blank"] = True
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        kwargs.pop("blank", None)
        if self.subject != "self":
            kwargs["subject"] = self.subject
        if self.kind != self.TEXT:
            kwargs["kind"] = self.kind
        return name, "referral.vault.SealedField", args, kwargs

    def get_attname(self) -> str:
        return f"{self.name}_sealed"

    def contribute_to_class(self, cls, name, private_only=False):
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, name, _SealedDescriptor(self))
        _strip_vault_state_when_pickled(cls)

    # Values

    def empty_value(self) -> object:
        return "" if self.kind == self.TEXT else None

    def to_plain(self, value: object) -> object:
        label = f"{self.model._meta.label}.{self.name}"
        if self.kind == self.TEXT:
            if value is None:
                return ""
            if not isinstance(value, str):
                raise TypeError(f"{label} takes text.")
            return value
        if self.kind == self.DATE:
            if value is None or value == "":
                return None
            if isinstance(value, str):
                try:
                    return date.fromisoformat(value)
                except ValueError:
                    raise ValueError(f"{label} takes an ISO date.") from None
            if isinstance(value, datetime) or not isinstance(value, date):
                raise TypeError(f"{label} takes a date or None.")
            return value
        _encode(value)  # refuses what JSON cannot hold
        return copy.deepcopy(value)

    def binding(self, instance: models.Model) -> str:
        pk = instance.pk
        if pk is None:
            raise VaultError(
                f"{self.model._meta.label}.{self.name}: the row has no primary key; "
                "sealed values need a UUID primary key set before insert."
            )
        return f"{self.model._meta.label}|{self.name}|{pk}"

    def subject_of(self, instance: models.Model) -> models.Model:
        target = instance
        if self.subject != "self":
            for part in self.subject.split("."):
                target = getattr(target, part)
                if target is None:
                    raise VaultError(
                        f"{self.model._meta.label}.{self.name}: the row has no "
                        f"data subject ({self.subject} is empty)."
                    )
        return target

    def set_value(self, instance: models.Model, value: object) -> None:
        _state(instance).pending[self.name] = self.to_plain(value)

    def opened_value(self, instance: models.Model) -> object:
        state = _state(instance)
        if self.name in state.pending:
            return self._out(state.pending[self.name])
        raw = instance.__dict__.get(self.attname)
        if self.attname not in instance.__dict__:
            raw = getattr(instance, self.attname)  # a deferred column: load it
        if raw is None or len(raw) == 0:
            return self.empty_value()
        cached = state.opened.get(self.name)
        if cached is not None and cached[0] is raw:
            return self._out(cached[1])
        label = f"{self.model._meta.label}.{self.name} of {instance.pk}"
        value = _open_blob(
            self.subject_of(instance), bytes(raw), self.binding(instance), what=label
        )
        state.opened[self.name] = (raw, value)
        return self._out(value)

    def _out(self, value: object) -> object:
        return copy.deepcopy(value) if self.kind == self.JSON else value

    # Storage

    def pre_save(self, model_instance: models.Model, add: bool) -> object:
        state = _state(model_instance)
        raw = model_instance.__dict__.get(self.attname)
        if self.name in state.pending:
            value = state.pending[self.name]
        elif raw is None or len(raw) == 0:
            value = self.empty_value()
            subject = self.subject_of(model_instance)
            if getattr(subject, "erased_at", None) is not None:
                # Nothing to protect: an empty value for an erased person.
                model_instance.__dict__[self.attname] = b""
                return b""
        else:
            return raw
        key_id, aead = _subject_key(self.subject_of(model_instance))
        blob = _seal_raw(aead, key_id, _encode(value), self.binding(model_instance))
        model_instance.__dict__[self.attname] = blob
        state.opened[self.name] = (blob, value)
        state.pending.pop(self.name, None)
        return blob

    def get_prep_value(self, value: object) -> object:
        if value is None or isinstance(value, bytes | bytearray | memoryview):
            return super().get_prep_value(value)
        raise TypeError(
            f"{self.model._meta.label}.{self.name} is sealed: set the attribute and "
            "save the model; never filter on it or write it with QuerySet.update()."
        )

    # Checks

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = [*super().check(**kwargs)]
        if self.model._meta.abstract:
            return errors
        if not isinstance(self.model._meta.pk, models.UUIDField):
            errors.append(
                checks.Error(
                    "A model with sealed fields needs a UUID primary key (known "
                    "before insert, and no integer ids in its URLs).",
                    obj=self,
                    id="vault.E002",
                )
            )
        model = self.model
        parts = [] if self.subject == "self" else self.subject.split(".")
        for part in parts:
            try:
                relation = model._meta.get_field(part)
            except Exception:  # noqa: BLE001 - any lookup failure is the same error
                relation = None
            if relation is None or not (relation.many_to_one or relation.one_to_one):
                errors.append(
                    checks.Error(
                        f"The sealed field's subject path {self.subject!r} must "
                        "follow foreign keys to the Person.",
                        obj=self,
                        id="vault.E003",
                    )
                )
                return errors
            model = relation.related_model
        try:
            model._meta.get_field("data_key")
        except Exception:  # noqa: BLE001
            errors.append(
                checks.Error(
                    f"The sealed field's subject {self.subject!r} does not lead to a "
                    "model with a data key (referral.Person).",
                    obj=self,
                    id="vault.E004",
                )
            )
        return errors


# The blind index ------------------------------------------------------------

# Letters with no Unicode decomposition that people write without their mark.
_LATIN_FOLD = str.maketrans(
    {"ø": "o", "đ": "d", "ł": "l", "ı": "i", "ħ": "h", "ŧ": "t", "ð": "d",
     "þ": "th", "æ": "ae", "œ": "oe", "ĸ": "k", "ŀ": "l"}
)  # fmt: skip
_ARABIC_FOLD = str.maketrans(
    {
        "\u0671": "\u0627",  # alef wasla -> alef (أ إ آ lose their marks below)
        "\u0649": "\u064a",  # alef maksura -> yeh
        "\u06cc": "\u064a",  # Farsi yeh -> yeh
        "\u0629": "\u0647",  # teh marbuta -> heh
        "\u06a9": "\u0643",  # keheh -> kaf
        "\u0640": None,  # tatweel (kashida)
    }
)
_APOSTROPHES = str.maketrans(dict.fromkeys("'’‘ʼʻ`´", None))
_ASCII_APOSTROPHES = re.compile("['`]")
_ASCII_SEPARATORS = re.compile("[^a-z0-9]+")
_DROPPED = frozenset({"Mn", "Cf"})  # combining marks; ZWJ, ZWNJ, direction marks


def normalise_name(text: str) -> list[str]:
    """The name's tokens, normalised so spellings a person or a clerk may
    vary compare equal; see `identity_string` for the rules."""
    text = text or ""
    if text.isascii():
        text = _ASCII_APOSTROPHES.sub("", text.lower())
        return _ASCII_SEPARATORS.sub(" ", text).split()
    # casefold can bring new combining marks (the dot of İ): decompose again.
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED)
    text = text.translate(_LATIN_FOLD).translate(_ARABIC_FOLD).translate(_APOSTROPHES)
    # Every other mark, symbol or separator splits tokens (Jean-Pierre).
    text = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
    return text.split()


def identity_string(
    *, family_name: str, given_names: str, date_of_birth: date | None
) -> str | None:
    """The canonical text the blind index is computed over, or None when there
    is no name to match on.

    Rules: NFKD, drop combining marks (Latin diacritics; Cyrillic ё->е and
    й->и, because the breve and diaeresis are often dropped in handwriting,
    transliteration round-trips and foreign keyboards; Arabic harakat,
    tanwin, shadda, sukun, superscript alef, hamza above and below, so أ إ آ
    -> ا), drop format characters (ZWJ, ZWNJ, direction marks), casefold
    (ß -> ss, final sigma), fold ø đ ł ı æ œ etc., Arabic ٱ -> ا, ى -> ي,
    ی -> ي, ة -> ه, ک -> ك, drop tatweel and apostrophes, split on anything
    that is not a letter or digit, then sort the family and given name tokens
    together (name order and which field holds which name do not matter).
    Scripts are not transliterated: "Иванов" and "Ivanov" differ. An unknown
    date of birth is "?", matching only other unknown dates.
    """
    tokens = normalise_name(family_name) + normalise_name(given_names)
    if not tokens:
        return None
    dob = date_of_birth.isoformat() if date_of_birth is not None else "?"
    return "v1\x1f" + " ".join(sorted(tokens)) + "\x1f" + dob


def blind_index(
    *, family_name: str, given_names: str, date_of_birth: date | None
) -> str | None:
    """HMAC-SHA256 (the blind-index key) of `identity_string`, as hex."""
    text = identity_string(
        family_name=family_name, given_names=given_names, date_of_birth=date_of_birth
    )
    if text is None:
        return None
    key = keyring().blind_index_key
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


# Backups: passphrase-sealed files ---------------------------------------------
#
# The cryptography of `manage.py backup` and `restore` (referral/backups.py
# does the rest): the database archive and the export of the key set are each
# sealed under a key derived from a passphrase with scrypt, in separate files.
#
# File format, version 1::
#
#     magic "NRMSEAL" | version 1 | purpose (1 byte: 1 archive, 2 key export)
#     | salt (16) | log2 N, r, p (1 byte each) | nonce prefix (7)
#     | chunks: length (4, big-endian) | AES-256-GCM ciphertext with its tag
#
# Each chunk (1 MiB of plaintext, the last one shorter, possibly empty) is
# sealed with the nonce "prefix | chunk number (4) | last flag (1)" and the
# header as associated data (the STREAM construction): a reordered, dropped,
# truncated or appended chunk, a wrong passphrase or a file of the other
# purpose fails to open, with a message and never with partial output kept.

SEALED_FILE_MAGIC = b"NRMSEAL\x01"
PURPOSE_ARCHIVE = 1
PURPOSE_KEY_EXPORT = 2
_PURPOSES = {PURPOSE_ARCHIVE: "database archive", PURPOSE_KEY_EXPORT: "key export"}
SCRYPT_LOG2_N = 17  # 128 MiB of memory, about 0.3 s: OWASP's scrypt minimum
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
CHUNK_BYTES = 1 << 20
_NONCE_PREFIX = 7
_HEADER = struct.Struct(f"!8sB{SALT_BYTES}sBBB{_NONCE_PREFIX}s")
_LENGTH = struct.Struct("!I")
MIN_PASSPHRASE = 16


def derive_passphrase_key(
    passphrase: str, salt: bytes, *, log2_n: int = SCRYPT_LOG2_N, r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> bytes:  # fmt: skip
    """A 256-bit key from a passphrase (scrypt)."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise VaultError(
            f"A backup passphrase must be at least {MIN_PASSPHRASE} characters."
        )
    if not 14 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise VaultError("The sealed file's key-derivation parameters are invalid.")
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=1 << log2_n, r=r, p=p)
    return kdf.derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def seal_stream(
    source: BinaryIO, target: BinaryIO, *, passphrase: str, purpose: int,
    log2_n: int = SCRYPT_LOG2_N,
) -> int:  # fmt: skip
    """Seal everything `source` yields into `target`; the plaintext's size."""
    if purpose not in _PURPOSES:
        raise VaultError("Unknown sealed-file purpose.")
    salt = secrets.token_bytes(SALT_BYTES)
    prefix = secrets.token_bytes(_NONCE_PREFIX)
    header = _HEADER.pack(
        SEALED_FILE_MAGIC, purpose, salt, log2_n, SCRYPT_R, SCRYPT_P, prefix
    )
    aead = AESGCM(derive_passphrase_key(passphrase, salt, log2_n=log2_n))
    target.write(header)
    size = 0
    counter = 0
    chunk = source.read(CHUNK_BYTES)
    while True:
        following = source.read(CHUNK_BYTES) if len(chunk) == CHUNK_BYTES else b""
        last = not following
        nonce = prefix + struct.pack("!IB", counter, 1 if last else 0)
        sealed = aead.encrypt(nonce, chunk, header)
        target.write(_LENGTH.pack(len(sealed)) + sealed)
        size += len(chunk)
        if last:
            return size
        chunk = following
        counter += 1


def open_stream(
    source: BinaryIO, target: BinaryIO, *, passphrase: str, purpose: int
) -> int:
    """Open a sealed file into `target`; the plaintext's size. VaultError when
    the passphrase is wrong or the file was altered, truncated or extended
    (the caller discards what was written before the error)."""
    header = source.read(_HEADER.size)
    if len(header) < _HEADER.size or not header.startswith(SEALED_FILE_MAGIC):
        raise VaultError("The file is not a sealed backup file (or is truncated).")
    _magic, found, salt, log2_n, r, p, prefix = _HEADER.unpack(header)
    if found != purpose:
        raise VaultError(
            f"The file is a {_PURPOSES.get(found, 'unknown sealed file')}, not a "
            f"{_PURPOSES.get(purpose, 'sealed file')}."
        )
    aead = AESGCM(derive_passphrase_key(passphrase, salt, log2_n=log2_n, r=r, p=p))
    size = 0
    counter = 0
    while True:
        raw = source.read(_LENGTH.size)
        if len(raw) < _LENGTH.size:
            raise VaultError("The sealed file is truncated.")
        (length,) = _LENGTH.unpack(raw)
        if not TAG_BYTES <= length <= CHUNK_BYTES + TAG_BYTES:
            raise VaultError("The sealed file is malformed.")
        sealed = source.read(length)
        if len(sealed) < length:
            raise VaultError("The sealed file is truncated.")
        for last in (0, 1):
            nonce = prefix + struct.pack("!IB", counter, last)
            try:
                chunk = aead.decrypt(nonce, sealed, header)
                break
            except InvalidTag:
                continue
        else:
            raise VaultError(
                "The sealed file did not open: wrong passphrase, or the file was "
                "altered."
            )
        target.write(chunk)
        size += len(chunk)
        if last:
            if source.read(1):
                raise VaultError("The sealed file has data after its last chunk.")
            return size
        counter += 1


def current_key_set() -> dict:
    """The key set in use (from VAULT_KEY_FILE or VAULT_KEYS), validated."""
    source, value = _key_source()
    data = (
        _parse_json(value, source) if source == "VAULT_KEYS" else read_key_file(value)
    )
    parse_key_set(data, source=source)
    return data


def export_key_set(target: BinaryIO, *, passphrase: str) -> dict:
    """Seal the key set in use into `target`; a summary without key bytes."""
    data = current_key_set()
    encoded = json.dumps(data, sort_keys=True).encode("utf-8")
    seal_stream(
        io.BytesIO(encoded), target, passphrase=passphrase,
        purpose=PURPOSE_KEY_EXPORT,
    )  # fmt: skip
    return {"active": data["active"], "kek_ids": sorted(data["keys"])}


def import_key_set(source: BinaryIO, path: Path | str, *, passphrase: str) -> dict:
    """Open a key export and write it as a new key file (mode 0600; never over
    an existing file); a summary without key bytes."""
    opened = io.BytesIO()
    open_stream(source, opened, passphrase=passphrase, purpose=PURPOSE_KEY_EXPORT)
    data = _parse_json(opened.getvalue().decode("utf-8"), "the key export")
    parse_key_set(data, source="the key export")
    if not _write_new_file(Path(path), data, exclusive=True):
        raise ImproperlyConfigured("The key file to restore into already exists.")
    return {"active": data["active"], "kek_ids": sorted(data["keys"])}
