"""The cipher: AES-256-GCM, the ciphertext format and the value encoding.

The only module of the project that imports `cryptography`: everything else
holds keys as opaque `Aead` objects made by `cipher_for()`.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import date, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from referral.vault.errors import VaultError

FORMAT_V1 = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
PAD_BLOCK = 32
KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")
_MIN_BLOB = 2 + 1 + NONCE_BYTES + TAG_BYTES

# A key ready to seal and open (AES-256-GCM); opaque outside this module.
Aead = AESGCM


def cipher_for(key: bytes) -> Aead:
    """The cipher object for a raw 256-bit key."""
    return AESGCM(key)


def new_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def scrypt_key(secret: bytes, salt: bytes, *, log2_n: int, r: int, p: int) -> bytes:
    """A 256-bit key derived from a secret (a passphrase's bytes) by scrypt."""
    kdf = Scrypt(salt=salt, length=KEY_BYTES, n=1 << log2_n, r=r, p=p)
    return kdf.derive(secret)


def decrypt_or_none(aead: Aead, nonce: bytes, data: bytes, aad: bytes) -> bytes | None:
    """The plaintext, or None when the tag does not verify (wrong key, or the
    ciphertext, nonce or associated data altered)."""
    try:
        return aead.decrypt(nonce, data, aad)
    except InvalidTag:
        return None


def _header(key_id: str) -> bytes:
    raw = key_id.encode("ascii")
    return bytes((FORMAT_V1, len(raw))) + raw


def _aad(header: bytes, binding: str) -> bytes:
    return header + b"\x00" + binding.encode("utf-8")


def seal_raw(aead: Aead, key_id: str, plaintext: bytes, binding: str) -> bytes:
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
    if not KEY_ID.fullmatch(key_id):
        raise VaultError("The ciphertext's key id is malformed.")
    return key_id, split


def blob_key_id(blob: bytes | memoryview) -> str:
    """The key id in a ciphertext's header (not yet authenticated)."""
    return _split_blob(bytes(blob))[0]


def open_raw(
    aead: Aead,
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


def encode(value: object) -> bytes:
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


def decode(padded: bytes) -> object:
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
    return seal_raw(cipher_for(key), key_id, encode(value), binding)


def open_value(key: bytes, blob: bytes | memoryview, *, binding: str) -> object:
    """Open what `seal_value` sealed, with the same binding; else VaultError."""
    return decode(open_raw(cipher_for(key), bytes(blob), binding, what="The value"))
