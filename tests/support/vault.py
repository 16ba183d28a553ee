"""Synthetic people and key-file helpers for the vault tests. Every name and
value here is synthetic: no real person is meant."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from referral import vault

# Distinctive synthetic identities: no real person is meant.
SYNTHETIC = {
    "given_names": "Quorvelle Ysandrine",
    "family_name": "Thraxmoor-Vellick",
    "date_of_birth": date(1987, 3, 14),
    "sex": "female",
    "age_group": "35-49",
    "citizenship": "md",
    "is_child": False,
    "aliases": "Zephyrine Kovalax",
    "place_of_birth": "Ulvenshire-on-Drax",
    "contact_details": "+00 555 0199 vandermoss",
    "identity_documents": "XQ0047711 Ulvenshire",
    "notes": "Quaysidewick; Brellishtongue; Gorrowindhall",
}


def person_fields(n: int = 0, **overrides) -> dict:
    """Arguments for person_create for the n-th synthetic person."""
    fields = {
        "given_names": f"Synthia{n:05d} Testova",
        "family_name": f"Fabricata{n:05d}",
        "date_of_birth": date(1990, 1, 1 + n % 28),
        "sex": "female" if n % 2 else "male",
        "age_group": "25-34",
        "citizenship": "AL",
        "is_child": False,
        "aliases": f"Alias{n:05d}",
        "place_of_birth": f"Placetown{n:05d}",
        "contact_details": f"contact-{n:05d}@example.invalid",
        "identity_documents": f"ID-{n:07d}",
        "notes": f"synthetic note number {n:05d}",
    }
    fields.update(overrides)
    return fields


def read_keys(path: Path) -> dict:
    return json.loads(path.read_text())


def write_keys(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data))
    vault.reload_keys()
