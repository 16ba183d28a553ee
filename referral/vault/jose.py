"""Signed and encrypted messages between mechanisms (JOSE): the only module of
the project that imports the JOSE library (joserfc).

A message is a JSON object of claims, signed (JWS compact, RFC 7515, ES256)
with the sender's signing key, then encrypted to the receiving mechanism
(JWE compact, RFC 7516: ECDH-ES key agreement, A256GCM content encryption)
under the receiver's encryption key. Keys are EC P-256 JSON Web Keys (RFC
7517) with a `kid`; fingerprints are RFC 7638 thumbprints (SHA-256,
base64url). Errors name the stage that failed (`JoseError.stage`), never the
content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from joserfc import jwe, jwk, jws
from joserfc.errors import JoseError as _LibraryError

SIGNING_ALG = "ES256"
KEY_AGREEMENT_ALG = "ECDH-ES"
CONTENT_ENC = "A256GCM"
CURVE = "P-256"
_PUBLIC_MEMBERS = ("kty", "crv", "x", "y")


class JoseError(Exception):
    """A message or key that does not open or verify. `stage` says where:
    "format", "decrypt", "unknown_recipient_key", "signature", "claims"."""

    def __init__(self, stage: str):
        super().__init__(f"The message failed at: {stage}.")
        self.stage = stage


def new_key_pair(*, use: str, kid: str) -> dict:
    """A fresh EC P-256 private key as a JWK dict (`use`: "sig" or "enc")."""
    key = jwk.ECKey.generate_key(CURVE, parameters={"kid": kid, "use": use})
    return dict(key.as_dict(private=True))


def public_jwk(key: dict) -> dict:
    """The public part of a JWK dict (private member `d` dropped); refuses
    what is not an EC P-256 key."""
    try:
        imported = jwk.ECKey.import_key(dict(key))
    except (_LibraryError, ValueError, TypeError, KeyError):
        raise JoseError("format") from None
    public = dict(imported.as_dict(private=False))
    if public.get("crv") != CURVE:
        raise JoseError("format")
    return public


def fingerprint(key: dict) -> str:
    """The RFC 7638 thumbprint of a key's public part (for out-of-band
    comparison of a partner's keys)."""
    return jwk.ECKey.import_key(public_jwk(key)).thumbprint()


@dataclass(frozen=True)
class Opened:
    claims: dict
    signing_kid: str
    encryption_kid: str


def seal(claims: dict, *, signing_key: dict, encryption_key: dict) -> str:
    """Sign the claims with our private signing key, then encrypt the JWS to
    the recipient's public encryption key: the JWE compact string."""
    payload = json.dumps(claims, sort_keys=True, separators=(",", ":")).encode()
    signer = jwk.ECKey.import_key(dict(signing_key))
    signed = jws.serialize_compact(
        {"alg": SIGNING_ALG, "kid": signing_key["kid"], "typ": "JWT"}, payload, signer
    )
    recipient = jwk.ECKey.import_key(public_jwk(encryption_key))
    header = {
        "alg": KEY_AGREEMENT_ALG,
        "enc": CONTENT_ENC,
        "kid": encryption_key["kid"],
        "cty": "JWT",
    }
    return jwe.encrypt_compact(header, signed.encode(), recipient)


def recipient_kid(message: str) -> str:
    """The `kid` of the encryption key a JWE says it was encrypted to."""
    try:
        return str(
            jwe.extract_compact(message.encode(), jwe.default_registry).protected["kid"]
        )
    except (_LibraryError, ValueError, TypeError, KeyError, UnicodeError):
        raise JoseError("format") from None


def open_sealed(
    message: str, *, decryption_keys: dict[str, dict], verification_keys: dict
) -> Opened:
    """Decrypt with the one of our private encryption keys (by kid) the JWE
    names, then verify the inner JWS against the partner's public signing
    key of the kid it names (`verification_keys`: kid -> JWK dict). Raises
    JoseError with the stage that failed."""
    kid = recipient_kid(message)
    key = decryption_keys.get(kid)
    if key is None:
        raise JoseError("unknown_recipient_key")
    try:
        decrypted = jwe.decrypt_compact(
            message.encode(), jwk.ECKey.import_key(dict(key))
        )
    except (_LibraryError, ValueError, TypeError, KeyError):
        raise JoseError("decrypt") from None
    if decrypted.protected.get("alg") != KEY_AGREEMENT_ALG or (
        decrypted.protected.get("enc") != CONTENT_ENC
    ):
        raise JoseError("decrypt")
    inner = decrypted.plaintext or b""
    try:
        signing_kid = str(jws.extract_compact(inner).protected["kid"])
    except (_LibraryError, ValueError, TypeError, KeyError):
        raise JoseError("format") from None
    verifier = verification_keys.get(signing_kid)
    if verifier is None:
        raise JoseError("unknown_signing_key")
    try:
        verified = jws.deserialize_compact(
            inner,
            jwk.ECKey.import_key(public_jwk(verifier)),
            algorithms=[SIGNING_ALG],
        )
        claims = json.loads(verified.payload)
    except (_LibraryError, ValueError, TypeError, KeyError):
        raise JoseError("signature") from None
    if not isinstance(claims, dict):
        raise JoseError("claims")
    return Opened(claims=claims, signing_kid=signing_kid, encryption_kid=kid)
