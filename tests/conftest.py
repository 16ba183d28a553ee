import pytest
from django.db import connection


def pytest_report_header(config):
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - reported, and the suite then fails
        version = f"unreachable ({type(exc).__name__})"
    return [f"database: {engine}, server version {version}"]


@pytest.fixture(autouse=True)
def _fresh_membership_cache():
    """Users are re-fetched per request in production; tests reuse objects."""
    yield
