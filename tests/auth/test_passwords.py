"""Password rules after NIST SP 800-63B: length, not composition."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from nrm.auth import MaximumLengthValidator
from nrm.models import User

pytestmark = pytest.mark.django_db


def codes(password: str, user=None) -> set[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return {e.code for e in error.error_list}
    return set()


def test_fifteen_characters_at_least():
    assert "password_too_short" in codes("fourteen-chars")
    assert codes("fifteen-chars-x") == set()


def test_long_passphrases_are_welcome_up_to_256():
    assert codes("a plain lowercase passphrase " * 2) == set()  # 58, no rules
    assert codes("w" * 20 + "x" * 44) == set()  # 64
    assert codes("y" * 256) == set()
    assert "password_too_long" in codes("z" * 257)


def test_no_composition_rules():
    for password in (
        "onlylowercaseletters",
        "ONLYUPPERCASELETTERS",
        "48215930174628391",
    ):
        assert codes(password) == set(), password


def test_common_passwords_are_refused():
    # Django's list (20,000 from breach corpora) has few of 15 or more
    # characters; these are two of them.
    assert "password_too_common" in codes("1q2w3e4r5t6y7u8i9o0p")
    assert "password_too_common" in codes("123456789987654321")


def test_passwords_like_the_username_are_refused():
    user = User(username="synthetic-staffer", email="staffer@example.invalid")
    assert "password_too_similar" in codes("synthetic-staffer", user)


def test_the_maximum_cannot_be_set_below_64():
    with pytest.raises(ValueError, match="64"):
        MaximumLengthValidator(max_length=63)
