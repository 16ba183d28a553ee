"""The personal-data vault: every piece of cryptography in the service.

Modules, one per concern (only `cipher` imports `cryptography`, only `jose`
the JOSE library):

    errors      VaultError, PersonErased
    keyfile     where the keys come from, the loaded keyring, key-file operations
    cipher      AES-256-GCM, the ciphertext format, the value encoding
    datakeys    each person's data key (issue, open, re-wrap, destroy), sealed text
    field       SealedField, the model field sealed under its subject's key
    blindindex  name normalisation and the keyed blind index
    sealedfile  passphrase-sealed files: backup archives and the key export
    jose        signed, encrypted messages between mechanisms (JWS in JWE;
                the only module that imports joserfc)
    exchangekeys  this mechanism's signing and encryption keys for the
                transnational exchange (TRANSNATIONAL_KEY_FILE), beside the
                vault's; docs/transnational.md

Import the public names from `referral.vault` itself.

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
      sealed under passphrases (`sealedfile`; the export is `keyfile`'s).
"""

from referral.vault.blindindex import blind_index, identity_string, normalise_name
from referral.vault.cipher import (
    FORMAT_V1,
    KEY_BYTES,
    NONCE_BYTES,
    PAD_BLOCK,
    TAG_BYTES,
    blob_key_id,
    open_value,
    seal_value,
)
from referral.vault.datakeys import (
    destroy_data_key,
    forget,
    issue_data_key,
    open_text,
    rewrap_data_key,
    seal_text,
)
from referral.vault.errors import PersonErased, VaultError
from referral.vault.field import SealedField
from referral.vault.keyfile import (
    KEY_FILE_FORMAT,
    Keyring,
    activate_kek,
    add_kek,
    check_vault_keys,
    create_key_file,
    current_key_set,
    ensure_demo_keys,
    ensure_key_file,
    export_key_set,
    import_key_set,
    keyring,
    new_kek_id,
    new_key_set,
    parse_key_set,
    read_key_file,
    reload_keys,
    remove_keks,
)
from referral.vault.sealedfile import (
    CHUNK_BYTES,
    MIN_PASSPHRASE,
    PURPOSE_ARCHIVE,
    PURPOSE_KEY_EXPORT,
    SALT_BYTES,
    SCRYPT_LOG2_N,
    SCRYPT_P,
    SCRYPT_R,
    SEALED_FILE_MAGIC,
    derive_passphrase_key,
    open_stream,
    seal_stream,
)

__all__ = [
    "CHUNK_BYTES",
    "MIN_PASSPHRASE",
    "PURPOSE_ARCHIVE",
    "PURPOSE_KEY_EXPORT",
    "SALT_BYTES",
    "SCRYPT_LOG2_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SEALED_FILE_MAGIC",
    "current_key_set",
    "derive_passphrase_key",
    "export_key_set",
    "import_key_set",
    "open_stream",
    "seal_stream",
    "FORMAT_V1",
    "KEY_BYTES",
    "KEY_FILE_FORMAT",
    "NONCE_BYTES",
    "PAD_BLOCK",
    "TAG_BYTES",
    "Keyring",
    "PersonErased",
    "SealedField",
    "VaultError",
    "activate_kek",
    "add_kek",
    "blind_index",
    "blob_key_id",
    "check_vault_keys",
    "create_key_file",
    "destroy_data_key",
    "ensure_demo_keys",
    "ensure_key_file",
    "forget",
    "identity_string",
    "issue_data_key",
    "keyring",
    "new_kek_id",
    "new_key_set",
    "normalise_name",
    "open_text",
    "open_value",
    "parse_key_set",
    "read_key_file",
    "reload_keys",
    "remove_keks",
    "rewrap_data_key",
    "seal_text",
    "seal_value",
]
