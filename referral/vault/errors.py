"""The vault's errors. Their messages carry model, field and ids only."""

from __future__ import annotations

from core.errors import DataErased


class VaultError(Exception):
    """A ciphertext did not open (wrong key, tampered, truncated, moved), or
    the vault was used wrongly. Messages never carry a personal value."""


class PersonErased(DataErased):
    """The person's data key was destroyed: their sealed values are gone."""

    def __init__(self, person_id: object = None):
        super().__init__("This person's personal data has been erased.")
        self.person_id = person_id
