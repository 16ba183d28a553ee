"""Reporting periods: whole calendar months, quarters and years that have ended.

Statistics are never asked for arbitrary dates, so two queries cannot differ
by a single day; and never for a period still running, so the same query
asked on two days cannot difference out what happened in between. Each
month's figures are published once, when it has ended, in a frozen release
(`releases`); a quarter's and a year's with the release of their last
month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import InvalidInput

__all__ = [
    "EARLIEST_YEAR",
    "Period",
    "default_period",
    "parse_period",
]

EARLIEST_YEAR = 2000
MONTH, QUARTER, YEAR = "month", "quarter", "year"

_PATTERN = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    kind: str
    year: int
    number: int = 0  # the month (1-12) or the quarter (1-4); 0 for a year

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.year}-{self.number:02d}"
        if self.kind == QUARTER:
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    def __str__(self) -> str:
        return self.key

    @property
    def month_numbers(self) -> range:
        if self.kind == MONTH:
            return range(self.number, self.number + 1)
        if self.kind == QUARTER:
            return range(3 * self.number - 2, 3 * self.number + 1)
        return range(1, 13)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month_numbers[0], 1)

    @property
    def end(self) -> date:
        """The first day after the period."""
        last = self.month_numbers[-1]
        return date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    def months(self) -> list[Period]:
        return [Period(MONTH, self.year, m) for m in self.month_numbers]

    def has_ended(self, today: date) -> bool:
        return self.end <= today


def month_key(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def quarter_key(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def local_midnight(day: date) -> datetime:
    """The start of a calendar day in the mechanism's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def year_bounds(year: int) -> tuple[datetime, datetime]:
    return local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))


def parse_period(text: str | None, *, today: date) -> Period:
    """A period from `2026`, `2026-Q1` or `2026-03`; InvalidInput (400) for
    anything else, and for a period that has not ended yet."""
    match = _PATTERN.match((text or "").strip())
    if not match:
        raise InvalidInput(
            _(
                "The period must be a calendar year (2026), quarter (2026-Q1) or "
                "month (2026-03)."
            ),
            detail={"period": [_("Use YYYY, YYYY-Qn or YYYY-MM.")]},
        )
    year = int(match.group(1))
    if match.group(2):
        period = Period(MONTH, year, int(match.group(2)))
    elif match.group(3):
        period = Period(QUARTER, year, int(match.group(3)))
    else:
        period = Period(YEAR, year)
    if year < EARLIEST_YEAR:
        raise InvalidInput(
            _("Statistics start in %(year)s.") % {"year": EARLIEST_YEAR},
            detail={"period": [_("Too early.")]},
        )
    if year > today.year:
        # Refused before its dates are computed (9999 has no next year).
        raise InvalidInput(
            _("Only periods that have ended are published."),
            detail={"period": [_("This period has not ended yet.")]},
        )
    if not period.has_ended(today):
        raise InvalidInput(
            _("Only periods that have ended are published: %(period)s ends on %(day)s.")
            % {"period": period.key, "day": period.last_day.isoformat()},
            detail={"period": [_("This period has not ended yet.")]},
        )
    return period


def default_period(today: date) -> Period:
    """The last quarter that has ended."""
    quarter = (today.month - 1) // 3  # the current quarter's number, minus one
    if quarter == 0:
        return Period(QUARTER, today.year - 1, 4)
    return Period(QUARTER, today.year, quarter)


def last_complete_year(today: date) -> Period:
    return Period(YEAR, today.year - 1)
