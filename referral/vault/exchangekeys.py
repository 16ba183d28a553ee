"""This mechanism's own keys for the transnational exchange: a signing key
pair and an encryption key pair, in a key file beside the vault's (never in
the database), named by TRANSNATIONAL_KEY_FILE.

The file::

    {
      "format": "nrm-exchange-keys/1",
      "signing": {"active": "sig-20260101-a1b2c3", "keys": {"<kid>": <private JWK>}},
      "encryption": {"active": "enc-20260101-d4e5f6", "keys": {"<kid>": <private JWK>}}
    }

`manage.py transnational_keygen` creates it; `--rotate` adds a new pair of
each and makes them active, keeping the old ones: packages already
encrypted to an old encryption key still open, and partners keep the old
signing key in their directory until its validity ends. `--retire KID`
drops an old key once no package to it can still be in flight (after the
package lifetime). The public parts are published at
`/api/v1/.well-known/jwks.json`.
"""

from __future__ import annotations

import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from core.keyfiles import write_secret_json
from referral.vault.jose import fingerprint, new_key_pair, public_jwk

EXCHANGE_KEY_FORMAT = "nrm-exchange-keys/1"
SIGNING, ENCRYPTION = "signing", "encryption"
_USES = {SIGNING: "sig", ENCRYPTION: "enc"}


@dataclass(frozen=True)
class ExchangeKeys:
    signing_kid: str
    encryption_kid: str
    signing: dict[str, dict] = field(repr=False)
    encryption: dict[str, dict] = field(repr=False)

    @property
    def active_signing_key(self) -> dict:
        return self.signing[self.signing_kid]

    def public_keys(self) -> list[dict]:
        """Every public key still held, active ones first (a JWKS's keys)."""
        ordered = [
            (SIGNING, self.signing_kid, self.signing[self.signing_kid]),
            (ENCRYPTION, self.encryption_kid, self.encryption[self.encryption_kid]),
            *(
                (SIGNING, k, v)
                for k, v in self.signing.items()
                if k != self.signing_kid
            ),
            *(
                (ENCRYPTION, k, v)
                for k, v in self.encryption.items()
                if k != self.encryption_kid
            ),
        ]
        return [
            {**public_jwk(key), "kid": kid, "use": _USES[group]}
            for group, kid, key in ordered
        ]


_lock = threading.Lock()
_loaded: ExchangeKeys | None = None


def exchange_keys() -> ExchangeKeys:
    """The process's exchange keys, read on first use."""
    global _loaded
    keys = _loaded
    if keys is None:
        with _lock:
            if _loaded is None:
                path = key_file_path()
                if not path.exists() and getattr(
                    settings, "TRANSNATIONAL_CREATE_KEY_FILE", False
                ):
                    create_exchange_keys(path)
                _loaded = _parse(read_exchange_key_file(path))
            keys = _loaded
    return keys


def reload_exchange_keys() -> None:
    global _loaded
    with _lock:
        _loaded = None


@receiver(setting_changed)
def _setting_changed(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("TRANSNATIONAL_"):
        reload_exchange_keys()


def key_file_path() -> Path:
    path = getattr(settings, "TRANSNATIONAL_KEY_FILE", "") or ""
    if not path:
        raise ImproperlyConfigured(
            "Set the TRANSNATIONAL_KEY_FILE environment variable (the exchange key "
            "file, created by manage.py transnational_keygen)."
        )
    return Path(path)


def read_exchange_key_file(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ImproperlyConfigured(
            "The exchange key file named by TRANSNATIONAL_KEY_FILE cannot be read "
            "(create it with manage.py transnational_keygen)."
        ) from None
    if not isinstance(data, dict) or data.get("format") != EXCHANGE_KEY_FORMAT:
        raise ImproperlyConfigured(
            f"The exchange key file must have format {EXCHANGE_KEY_FORMAT!r}."
        )
    return data


def _parse(data: dict) -> ExchangeKeys:
    groups = {}
    for group in (SIGNING, ENCRYPTION):
        entry = data.get(group)
        if not isinstance(entry, dict) or entry.get("active") not in (
            entry.get("keys") or {}
        ):
            raise ImproperlyConfigured(
                f"The exchange key file: the active {group} key is missing."
            )
        groups[group] = entry
    return ExchangeKeys(
        signing_kid=groups[SIGNING]["active"],
        encryption_kid=groups[ENCRYPTION]["active"],
        signing={k: {**v, "kid": k} for k, v in groups[SIGNING]["keys"].items()},
        encryption={k: {**v, "kid": k} for k, v in groups[ENCRYPTION]["keys"].items()},
    )


def _new_kid(prefix: str) -> str:
    return f"{prefix}-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


def _write(path: Path, data: dict, *, exclusive: bool) -> bool:
    return write_secret_json(path, data, exclusive=exclusive, prefix=".exchange-keys-")


def _add_pair(data: dict) -> dict[str, str]:
    added = {}
    for group, use in _USES.items():
        kid = _new_kid(use)
        entry = data.setdefault(group, {"keys": {}})
        entry["keys"][kid] = new_key_pair(use=use, kid=kid)
        entry["active"] = kid
        added[group] = kid
    return added


def create_exchange_keys(path: Path) -> dict[str, str] | None:
    """Create the key file with a fresh signing and encryption key pair; the
    new kids, or None when the file exists (never overwritten)."""
    data: dict = {"format": EXCHANGE_KEY_FORMAT}
    added = _add_pair(data)
    if not _write(path, data, exclusive=True):
        return None
    return added


def rotate_exchange_keys(path: Path) -> dict[str, str]:
    """Add a new pair of each kind and make them active; old keys stay."""
    data = read_exchange_key_file(path)
    _parse(data)
    added = _add_pair(data)
    _write(path, data, exclusive=False)
    reload_exchange_keys()
    return added


def retire_exchange_key(path: Path, kid: str) -> bool:
    """Drop an old (inactive) key; False if no such inactive key."""
    data = read_exchange_key_file(path)
    for group in (SIGNING, ENCRYPTION):
        entry = data[group]
        if kid in entry["keys"] and entry["active"] != kid:
            del entry["keys"][kid]
            _write(path, data, exclusive=False)
            reload_exchange_keys()
            return True
    return False


def describe(keys: ExchangeKeys) -> list[tuple[str, str, str, bool]]:
    """(use, kid, fingerprint, active) of every key, for operators."""
    rows = []
    for use, group, active in (
        ("sig", keys.signing, keys.signing_kid),
        ("enc", keys.encryption, keys.encryption_kid),
    ):
        for kid, key in group.items():
            rows.append((use, kid, fingerprint(key), kid == active))
    return rows


def current_key_data() -> dict | None:
    """The exchange key file in use, validated, for a backup's key export;
    None where this mechanism has none (no partner exchange set up)."""
    path = getattr(settings, "TRANSNATIONAL_KEY_FILE", "") or ""
    if not path or not Path(path).exists():
        return None
    data = read_exchange_key_file(Path(path))
    _parse(data)
    return data


def write_restored_key_file(path: Path, data: dict) -> None:
    """An exchange key file restored from a key export: validated, mode 0600,
    never over an existing file."""
    if not isinstance(data, dict) or data.get("format") != EXCHANGE_KEY_FORMAT:
        raise ImproperlyConfigured(
            f"The exchange key file must have format {EXCHANGE_KEY_FORMAT!r}."
        )
    _parse(data)
    if not _write(path, data, exclusive=True):
        raise ImproperlyConfigured(
            "The exchange key file to restore into already exists."
        )
