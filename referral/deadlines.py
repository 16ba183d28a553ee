"""Due dates in working days, by the country profile's calendar."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from nrm.models import CountryProfile


def add_working_days(start: datetime, days: int, profile: CountryProfile) -> datetime:
    """The end of the `days`-th working day after `start` (in local time).

    The day of `start` itself does not count, as in "within five working
    days of the referral".
    """
    weekdays = set(profile.working_weekdays or [1, 2, 3, 4, 5])
    holidays = {date.fromisoformat(d) for d in profile.public_holidays or []}
    local = timezone.localtime(start)
    day = local.date()
    remaining = days
    while remaining > 0:
        day += timedelta(days=1)
        if day.isoweekday() in weekdays and day not in holidays:
            remaining -= 1
    end = datetime.combine(day, datetime.max.time()).replace(microsecond=0)
    return timezone.make_aware(end, timezone.get_current_timezone())


def end_of_day(day: date) -> datetime:
    end = datetime.combine(day, datetime.max.time()).replace(microsecond=0)
    return timezone.make_aware(end, timezone.get_current_timezone())
