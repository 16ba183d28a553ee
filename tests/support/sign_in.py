"""Signing in through the sign-in pages, for the sign-in tests."""

from __future__ import annotations

PASSWORD = "a-long-synthetic-test-passphrase"  # noqa: S105 - test data


def sign_in_post(client, username: str, password: str = PASSWORD, **extra):
    data = {"username": username, "password": password, **extra}
    return client.post("/sign-in/", data, **extra.pop("headers", {}))
