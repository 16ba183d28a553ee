"""The referral app's models, one module per area."""

from referral.models.person import (
    CITIZENSHIP_STATELESS,
    CITIZENSHIP_UNKNOWN,
    DataKey,
    Person,
)

__all__ = [
    "CITIZENSHIP_STATELESS",
    "CITIZENSHIP_UNKNOWN",
    "DataKey",
    "Person",
]
