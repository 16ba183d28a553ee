"""A period far in the future is refused with a message, never a 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("period", ["9999", "9999-12", "9999-Q4"])
def test_a_far_future_period_is_400_not_500(mechanism, period):
    client = mechanism.client("rapporteur")
    for path in ["/api/v1/statistics/", "/api/v1/statistics/case-level/"]:
        assert client.get(f"{path}?period={period}").status_code == 400
