import pytest
from django.db import connection


def pytest_report_header(config):
    """Name the database the suite runs on, so a CI log shows PostgreSQL."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    try:
        import psycopg2

        raw = psycopg2.connect(**connection.get_connection_params(), connect_timeout=5)
        try:
            with raw.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]
        finally:
            raw.close()
    except Exception as exc:  # noqa: BLE001 - reported, and the suite then fails
        version = f"unreachable ({type(exc).__name__})"
    return [f"database: {engine}, server version {version}"]


@pytest.fixture
def mechanism(db):
    """The demo directory plus a few extra organisations and staff, with
    API clients signed in through the one-time-password step."""
    from tests.support.mechanism import Mechanism

    return Mechanism()
