"""A foreign mechanism for tests of the transnational exchange, in this
process: it holds its own key pairs (made by the vault's JOSE module, as a
real partner's service would), stands in our partner directory, makes
packages and acknowledgements addressed to us and opens what we send it.
Synthetic data only.

For two real instances side by side, see tests/support/peer.py."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from nrm.models import Organisation
from referral import transnational
from referral.models import KeyUse, PartnerKey, PartnerMechanism
from referral.vault import exchangekeys, jose


def use_own_keys(settings, tmp_path, mechanism_id: str = "XA") -> None:
    """This test's own exchange key file and mechanism id."""
    settings.TRANSNATIONAL_KEY_FILE = str(tmp_path / "exchange-keys.json")
    settings.TRANSNATIONAL_MECHANISM_ID = mechanism_id
    exchangekeys.create_exchange_keys(tmp_path / "exchange-keys.json")
    exchangekeys.reload_exchange_keys()


def own_public(use: str) -> dict:
    """Our active public key of a use, as the well-known URL publishes it."""
    return next(
        k for k in exchangekeys.exchange_keys().public_keys() if k["use"] == use
    )


class ForeignMechanism:
    def __init__(
        self,
        mechanism_id: str = "XC",
        *,
        listed: bool = True,
        organisation: Organisation | None = None,
    ):
        self.mechanism_id = mechanism_id
        self.signing = jose.new_key_pair(use="sig", kid=f"{mechanism_id}-sig-1")
        self.encryption = jose.new_key_pair(use="enc", kid=f"{mechanism_id}-enc-1")
        self.partner = None
        if listed:
            self.partner = PartnerMechanism.objects.create(
                mechanism_id=mechanism_id,
                country=mechanism_id[:2],
                name=f"Synthetic mechanism {mechanism_id}",
                inbox_url="http://127.0.0.1:9/api/v1/transnational/inbox/",
                organisation=organisation,
            )
            self.list_key(self.signing, KeyUse.SIGNING)
            self.list_key(self.encryption, KeyUse.ENCRYPTION)

    def list_key(self, key: dict, use: str, **validity) -> PartnerKey:
        public = jose.public_jwk(key)
        return PartnerKey.objects.create(
            partner=self.partner,
            use=use,
            kid=key["kid"],
            jwk={**public, "kid": key["kid"], "use": use},
            fingerprint=jose.fingerprint(public),
            valid_from=validity.get("valid_from", timezone.now() - timedelta(days=1)),
            valid_until=validity.get("valid_until"),
        )

    def seal(
        self,
        claims: dict,
        *,
        signing_key: dict | None = None,
        to_key: dict | None = None,
    ) -> str:
        return jose.seal(
            claims,
            signing_key=signing_key or self.signing,
            encryption_key=to_key or own_public("enc"),
        )

    def package(
        self,
        *,
        made_at: datetime | None = None,
        aud: str = "XA",
        package_id=None,
        kind: str = "transfer",
        n: int = 1,
    ) -> dict:
        made_at = made_at or timezone.now()
        return {
            "typ": transnational.PACKAGE_TYPE,
            "iss": self.mechanism_id,
            "aud": aud,
            "jti": str(package_id or uuid.uuid4()),
            "iat": int(made_at.timestamp()),
            "exp": int((made_at + timedelta(days=14)).timestamp()),
            "kind": kind,
            "case": {
                "prs_FirstName": f"Syntheticgiven{n}",
                "prs_SecondName": f"Syntheticfamily{n}",
                "prs_Birthdate": "1991-02-03",
                "prs_Gender": "Female",
                "prs_Nationality": "XB",
                "nrm_is_child": False,
                "nrm_age_group": "25-34",
                "nrm_language": "ru",
                "nrm_sender_case_number": f"XC-CASE-{n}",
                "nrm_contact_details": f"Synthetic contact {n}",
            },
        }

    def acknowledgement(
        self, package_id, status: str, *, reason_code: str = "", aud: str = "XA"
    ) -> dict:
        now = timezone.now()
        return {
            "typ": transnational.ACKNOWLEDGEMENT_TYPE,
            "iss": self.mechanism_id,
            "aud": aud,
            "jti": str(uuid.uuid4()),
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(days=14)).timestamp()),
            "handover": str(package_id),
            "status": status,
            "reason_code": reason_code,
            "case_reference": "XC-INBOUND-1",
        }

    def open(self, sealed: str) -> dict:
        """Open what we sent this partner, as its service would."""
        return jose.open_sealed(
            sealed,
            decryption_keys={self.encryption["kid"]: self.encryption},
            verification_keys={
                k["kid"]: k for k in exchangekeys.exchange_keys().public_keys()
            },
        ).claims


def tamper(sealed: str) -> str:
    """The same JWE with one byte of its ciphertext changed."""
    parts = sealed.split(".")
    body = parts[3]
    middle = len(body) // 2
    flipped = "A" if body[middle] != "A" else "B"
    parts[3] = body[:middle] + flipped + body[middle + 1 :]
    return ".".join(parts)
