"""Data keys: each person's own key, wrapped by a key-encryption key.

A person's data key is issued with the person, opened at most once per model
instance (cached in the instance's vault state, never pickled), re-wrapped
by key rotation and destroyed by erasure (crypto-shredding). `seal_text` and
`open_text` seal one-off free texts (audit reasons) under it.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone

from referral.vault.cipher import (
    KEY_BYTES,
    Aead,
    cipher_for,
    decode,
    encode,
    new_key,
    open_raw,
    seal_raw,
)
from referral.vault.errors import PersonErased, VaultError
from referral.vault.keyfile import keyring

STATE = "_vault_state"


class _State:
    """Per model instance: the subject's opened data key, opened values and
    values set but not yet sealed. Never pickled or copied."""

    __slots__ = ("key", "opened", "pending")

    def __init__(self) -> None:
        self.key: tuple[str, Aead] | None = None
        self.opened: dict[str, tuple[object, object]] = {}
        self.pending: dict[str, object] = {}


def state_of(instance: models.Model) -> _State:
    state = instance.__dict__.get(STATE)
    if state is None:
        state = instance.__dict__[STATE] = _State()
    return state


def forget(instance: models.Model) -> None:
    """Drop the instance's opened key and values (and unsaved sealed values)."""
    instance.__dict__.pop(STATE, None)


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
    dek = new_key()
    wrapped = seal_raw(
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
    state_of(person).key = (data_key.key_id, cipher_for(dek))
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
    dek = open_raw(kek, wrapped, _dek_binding(person_id), what=what, key_id=kek_id)
    if len(dek) != KEY_BYTES:
        raise VaultError(f"The data key of person {person_id} is malformed.")
    return dek


def subject_key(person: models.Model) -> tuple[str, Aead]:
    if getattr(person, "erased_at", None) is not None:
        raise PersonErased(person.pk)
    state = state_of(person)
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
        state.key = (data_key.key_id, cipher_for(_unwrap(data_key, person.pk)))
    return state.key


def rewrap_data_key(data_key: models.Model) -> bool:
    """Re-wrap one data key under the active KEK (in memory; the caller
    saves `wrapped`, `kek_id` and `rewrapped_at`). False if nothing to do."""
    ring = keyring()
    if data_key.wrapped is None or data_key.kek_id == ring.active:
        return False
    dek = _unwrap(data_key, data_key.person_id)
    data_key.wrapped = seal_raw(
        ring.keks[ring.active], ring.active, dek, _dek_binding(data_key.person_id)
    )
    data_key.kek_id = ring.active
    data_key.rewrapped_at = timezone.now()
    return True


def destroy_data_key(data_key: models.Model, *, at: datetime) -> None:
    """Crypto-shredding (in memory; the caller saves `wrapped`, `destroyed_at`)."""
    data_key.wrapped = None
    data_key.destroyed_at = at


def _text_binding(context: str) -> str:
    if not isinstance(context, str) or not context:
        raise VaultError("A sealed text needs a context (ids and codes only).")
    return f"text|{context}"


def seal_text(person: models.Model, value: str, *, context: str) -> bytes:
    """Seal a free text under the person's data key, bound to `context`
    (e.g. "audit-reason:<case uuid>"; ids and codes only)."""
    if not isinstance(value, str):
        raise TypeError("seal_text seals text only.")
    key_id, aead = subject_key(person)
    return seal_raw(aead, key_id, encode(value), _text_binding(context))


def open_text(person: models.Model, blob: bytes | memoryview, *, context: str) -> str:
    """Open what `seal_text` sealed for this person and context."""
    value = open_blob(person, bytes(blob), _text_binding(context), what="The text")
    if not isinstance(value, str):
        raise VaultError("The sealed value is not text.")
    return value


def open_blob(person: models.Model, blob: bytes, binding: str, *, what: str) -> object:
    key_id, aead = subject_key(person)
    return decode(open_raw(aead, blob, binding, what=what, key_id=key_id))
