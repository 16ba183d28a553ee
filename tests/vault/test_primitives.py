"""The seal/open primitives: round-trip and tamper detection (no database)."""

from __future__ import annotations

import secrets
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from referral import vault
from referral.vault import VaultError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
BINDING = "referral.Person|notes|6f1c2a3e-0000-4000-8000-000000000001"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
values = st.text(max_size=300) | st.dates() | st.none() | json_values
key_ids = st.from_regex(r"\A[A-Za-z0-9._-]{1,32}\Z")
quick = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])


@quick
@given(value=values, key_id=key_ids, binding=st.text(max_size=80))
def test_round_trip(value, key_id, binding):
    blob = vault.seal_value(KEY, key_id, value, binding=binding)
    assert vault.open_value(KEY, blob, binding=binding) == value
    assert vault.blob_key_id(blob) == key_id


@quick
@given(value=values, data=st.data())
def test_any_flipped_bit_is_detected(value, data):
    blob = bytearray(vault.seal_value(KEY, "k1", value, binding=BINDING))
    position = data.draw(st.integers(0, len(blob) * 8 - 1))
    blob[position // 8] ^= 1 << (position % 8)
    with pytest.raises(VaultError):
        vault.open_value(KEY, bytes(blob), binding=BINDING)


@quick
@given(value=values, data=st.data())
def test_any_truncation_is_detected(value, data):
    blob = vault.seal_value(KEY, "k1", value, binding=BINDING)
    length = data.draw(st.integers(0, len(blob) - 1))
    with pytest.raises(VaultError):
        vault.open_value(KEY, blob[:length], binding=BINDING)


@quick
@given(value=values, extra=st.binary(min_size=1, max_size=40))
def test_appended_bytes_are_detected(value, extra):
    blob = vault.seal_value(KEY, "k1", value, binding=BINDING)
    with pytest.raises(VaultError):
        vault.open_value(KEY, blob + extra, binding=BINDING)


@quick
@given(value=values, other=st.text(max_size=80))
def test_another_binding_does_not_open(value, other):
    blob = vault.seal_value(KEY, "k1", value, binding=BINDING)
    if other != BINDING:
        with pytest.raises(VaultError):
            vault.open_value(KEY, blob, binding=other)


@quick
@given(value=values)
def test_wrong_key_does_not_open(value):
    blob = vault.seal_value(KEY, "k1", value, binding=BINDING)
    with pytest.raises(VaultError):
        vault.open_value(OTHER_KEY, blob, binding=BINDING)


@quick
@given(garbage=st.binary(max_size=200))
def test_random_bytes_never_open(garbage):
    with pytest.raises(VaultError):
        vault.open_value(KEY, garbage, binding=BINDING)


def test_format_header_and_fresh_nonces():
    first = vault.seal_value(KEY, "kek-7", "same", binding=BINDING)
    second = vault.seal_value(KEY, "kek-7", "same", binding=BINDING)
    assert first[0] == vault.FORMAT_V1
    assert first[1] == len("kek-7")
    assert first[2:7] == b"kek-7"
    assert first[7:19] != second[7:19]  # 96-bit random nonces
    assert first != second


def test_header_is_authenticated():
    blob = bytearray(vault.seal_value(KEY, "kek-7", "value", binding=BINDING))
    blob[2:7] = b"kek-8"
    with pytest.raises(VaultError):
        vault.open_value(KEY, bytes(blob), binding=BINDING)


def test_unknown_format_version_is_refused():
    blob = bytearray(vault.seal_value(KEY, "k1", "value", binding=BINDING))
    blob[0] = 2
    with pytest.raises(VaultError, match="format version"):
        vault.open_value(KEY, bytes(blob), binding=BINDING)


def test_padding_hides_exact_lengths():
    lengths = {
        len(vault.seal_value(KEY, "k1", "x" * n, binding=BINDING)) for n in range(30)
    }
    assert len(lengths) == 1


def test_error_messages_never_carry_the_value():
    secret = "Wyndelmara Oskovitch"
    blob = bytearray(vault.seal_value(KEY, "k1", secret, binding=BINDING))
    blob[-1] ^= 1
    with pytest.raises(VaultError) as caught:
        vault.open_value(KEY, bytes(blob), binding=BINDING)
    assert secret not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_types_that_cannot_be_sealed_are_refused():
    with pytest.raises(TypeError):
        vault.seal_value(KEY, "k1", object(), binding=BINDING)
    from datetime import datetime

    with pytest.raises(TypeError):
        vault.seal_value(KEY, "k1", datetime(2000, 1, 1), binding=BINDING)


def test_dates_round_trip_as_dates():
    blob = vault.seal_value(KEY, "k1", date(2009, 2, 28), binding=BINDING)
    assert vault.open_value(KEY, blob, binding=BINDING) == date(2009, 2, 28)


def test_random_key_ids_are_valid():
    for _ in range(5):
        kek_id = vault.new_kek_id()
        assert vault.blob_key_id(
            vault.seal_value(secrets.token_bytes(32), kek_id, "", binding="")
        )
