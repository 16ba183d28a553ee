"""Reporting periods: whole calendar months, quarters and years that have ended.

Statistics are never asked for arbitrary dates, so two queries cannot differ
by a single day; and never for a period still running, so the same query
asked on two days cannot difference out what happened in between. A period's
figures are a slice of its calendar year's table (`year_dimension`), which
holds the year's ended months, its complete quarters and, once it is over,
the year itself: every month, quarter and year of a year is published with
one suppression pattern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from nrm.errors import InvalidInput
from referral.statistics.disclosure import Dimension

__all__ = [
    "EARLIEST_YEAR",
    "Period",
    "default_period",
    "parse_period",
    "year_dimension",
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


def ended_months(year: int, today: date) -> int:
    """How many months of `year` have ended by `today` (0 to 12)."""
    if year < today.year:
        return 12
    if year > today.year:
        return 0
    return today.month - 1


def year_dimension(year: int, today: date, *, months: bool = True) -> Dimension:
    """The year's time dimension: its ended months (unless `months` is
    False), its complete quarters and, once the year is over, the year, with
    the sums between them."""
    ended = ended_months(year, today)
    quarters = ended // 3
    month_nodes = [month_key(year, m) for m in range(1, ended + 1)] if months else []
    quarter_nodes = [quarter_key(year, q) for q in range(1, quarters + 1)]
    children: dict[str, tuple[str, ...]] = {}
    if months:
        children = {
            quarter_key(year, q): tuple(
                month_key(year, m) for m in range(3 * q - 2, 3 * q + 1)
            )
            for q in range(1, quarters + 1)
        }
    nodes = [*month_nodes, *quarter_nodes]
    if ended == 12:
        nodes.append(str(year))
        children[str(year)] = tuple(quarter_nodes)
    return Dimension("period", tuple(nodes), children)


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def month_index(value: datetime) -> tuple[int, int]:
    """The (year, month) of an aware datetime in the mechanism's time zone."""
    local = timezone.localtime(value)
    return local.year, local.month
