"""Helpers shared by the test suite's apps (see tests/support/auth.py)."""
