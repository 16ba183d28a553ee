"""Passphrase-sealed files: the cryptography of `manage.py backup` and
`restore` (referral/backups.py does the rest): the database archive and the export of the key set are each
sealed under a key derived from a passphrase with scrypt, in separate files.

File format, version 1::

    magic "NRMSEAL" | version 1 | purpose (1 byte: 1 archive, 2 key export)
    | salt (16) | log2 N, r, p (1 byte each) | nonce prefix (7)
    | chunks: length (4, big-endian) | AES-256-GCM ciphertext with its tag

Each chunk (1 MiB of plaintext, the last one shorter, possibly empty) is
sealed with the nonce "prefix | chunk number (4) | last flag (1)" and the
header as associated data (the STREAM construction): a reordered, dropped,
truncated or appended chunk, a wrong passphrase or a file of the other
purpose fails to open, with a message and never with partial output kept.
"""

from __future__ import annotations

import secrets
import struct
import unicodedata
from typing import BinaryIO

from referral.vault.cipher import (
    TAG_BYTES,
    cipher_for,
    decrypt_or_none,
    scrypt_key,
)
from referral.vault.errors import VaultError

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
    passphrase: str,
    salt: bytes,
    *,
    log2_n: int = SCRYPT_LOG2_N,
    r: int = SCRYPT_R,
    p: int = SCRYPT_P,
) -> bytes:
    """A 256-bit key from a passphrase (scrypt)."""
    if not isinstance(passphrase, str) or len(passphrase) < MIN_PASSPHRASE:
        raise VaultError(
            f"A backup passphrase must be at least {MIN_PASSPHRASE} characters."
        )
    if not 14 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise VaultError("The sealed file's key-derivation parameters are invalid.")
    secret = unicodedata.normalize("NFC", passphrase).encode("utf-8")
    return scrypt_key(secret, salt, log2_n=log2_n, r=r, p=p)


def seal_stream(
    source: BinaryIO,
    target: BinaryIO,
    *,
    passphrase: str,
    purpose: int,
    log2_n: int = SCRYPT_LOG2_N,
) -> int:
    """Seal everything `source` yields into `target`; the plaintext's size."""
    if purpose not in _PURPOSES:
        raise VaultError("Unknown sealed-file purpose.")
    salt = secrets.token_bytes(SALT_BYTES)
    prefix = secrets.token_bytes(_NONCE_PREFIX)
    header = _HEADER.pack(
        SEALED_FILE_MAGIC, purpose, salt, log2_n, SCRYPT_R, SCRYPT_P, prefix
    )
    aead = cipher_for(derive_passphrase_key(passphrase, salt, log2_n=log2_n))
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
    aead = cipher_for(derive_passphrase_key(passphrase, salt, log2_n=log2_n, r=r, p=p))
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
            chunk = decrypt_or_none(aead, nonce, sealed, header)
            if chunk is not None:
                break
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
