"""One place that answers "what did the statistics say about a past period",
for tests that must show an operation leaves them unchanged.

Statistics are stored releases: a published release never changes, so the
helper republishes from scratch (the releases are deleted and every ended
month is published again from the milestones) before asking the API. Equal
answers before and after an operation show that it left the counts behind
the statistics as they were, not merely the stored documents."""

from __future__ import annotations

from datetime import date

from nrm.models import User
from referral.models import ReleaseCounts, StatisticsRelease
from referral.statistics import releases
from tests.referral.conftest import client_for


def past_period_statistics(period: str) -> dict:
    StatisticsRelease.objects.all().delete()
    ReleaseCounts.objects.all().delete()
    year = int(period[:4])
    releases.publish_due(today=date(year + 1, 1, 1))  # through that year only
    client = client_for(User.objects.get(username="rapporteur"))
    response = client.get("/api/v1/statistics/", {"period": period})
    assert response.status_code == 200, response.content
    report = response.json()
    report.pop("generated_at", None)
    report.pop("release", None)
    return report
