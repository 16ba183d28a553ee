"""Fixtures for the vault tests. Every name and value here is synthetic."""

from __future__ import annotations

from pathlib import Path

import pytest

from referral import vault


@pytest.fixture
def key_file(tmp_path: Path, settings) -> Path:
    """A fresh key file for this test, in use for its duration."""
    path = tmp_path / "vault-keys.json"
    assert vault.create_key_file(path)
    settings.VAULT_KEYS = ""
    settings.VAULT_CREATE_KEY_FILE = False
    settings.VAULT_KEY_FILE = str(path)
    vault.reload_keys()
    yield path
    vault.reload_keys()
