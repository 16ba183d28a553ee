"""Passphrases for the backup commands: from a file or the environment,
never from the command line (where `ps` and shell history would keep them)."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import CommandError


def passphrase(path: Path | None, variable: str, option: str) -> str:
    if path is not None:
        try:
            value = path.read_text(encoding="utf-8").rstrip("\n")
        except OSError:
            raise CommandError(
                f"The passphrase file of {option} cannot be read."
            ) from None
    else:
        value = os.environ.get(variable, "")
    if not value:
        raise CommandError(
            f"No passphrase: set the {variable} environment variable or pass {option}."
        )
    return value
