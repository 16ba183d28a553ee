"""`SealedField`: a model attribute whose column holds its value sealed
under the data subject's key (see the package's docstring for the format)."""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any

from django.core import checks
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from referral.vault.cipher import encode, seal_raw
from referral.vault.datakeys import STATE, open_blob, state_of, subject_key
from referral.vault.errors import VaultError


class _SealedColumn(DeferredAttribute):
    """The ciphertext attribute (`<name>_sealed`). Storing another ciphertext
    in it (a refresh from the database) drops the field's unsaved value."""

    def __set__(self, instance: models.Model, value: object) -> None:
        data = instance.__dict__
        if value is data.get(self.field.attname):
            return  # full_clean() puts back what it read
        data[self.field.attname] = value
        state = data.get(STATE)
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
        state.pop(STATE, None)
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
        encode(value)  # refuses what JSON cannot hold
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
        state_of(instance).pending[self.name] = self.to_plain(value)

    def opened_value(self, instance: models.Model) -> object:
        state = state_of(instance)
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
        value = open_blob(
            self.subject_of(instance), bytes(raw), self.binding(instance), what=label
        )
        state.opened[self.name] = (raw, value)
        return self._out(value)

    def _out(self, value: object) -> object:
        return copy.deepcopy(value) if self.kind == self.JSON else value

    # Storage

    def pre_save(self, model_instance: models.Model, add: bool) -> object:
        state = state_of(model_instance)
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
        key_id, aead = subject_key(self.subject_of(model_instance))
        blob = seal_raw(aead, key_id, encode(value), self.binding(model_instance))
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
