"""One place that answers "what did the statistics say about a past period",
for tests that must show an operation leaves them unchanged. It asks the
statistics API today; when statistics become stored releases, re-point this
helper (and only it)."""

from __future__ import annotations

from nrm.models import User
from tests.referral.conftest import client_for


def past_period_statistics(period: str) -> dict:
    client = client_for(User.objects.get(username="rapporteur"))
    response = client.get("/api/v1/statistics/", {"period": period})
    assert response.status_code == 200, response.content
    report = response.json()
    report.pop("generated_at", None)
    return report
