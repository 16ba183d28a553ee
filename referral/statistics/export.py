"""The case-level anonymised export for researchers: one row per case
registered in a calendar year, k-anonymised (`kanon`), streamed.

Field names follow the IOM Human Trafficking Case Data Standard (HTCDS)
where it has the field (Gender, Nationality, TypeOfExploitation,
TraffickingStatus, Status); the others are this mechanism's and say so
("source": "NRM"). No identifier, date or free text is exported; rows come
in the order of the cases' random ids, which says nothing about them.

Generalisation hierarchy (level 0 first; the top level publishes "*"):
    RegistrationPeriod          quarter (2026-Q1) > year > *
    Gender                      Female / Male / Other / Unknown > *
    AgeGroup                    band (0-11 ... 50+, unknown) > Child / Adult /
                                Unknown > *
    Nationality                 ISO 3166 code > National / Foreign /
                                Stateless / Unknown > *
    TypeOfExploitation          form (or "Several forms") > Sexual
                                exploitation / Forced labour or services /
                                Other forms / Several forms / Unknown > *
    TraffickingStatus           Actual victim (recognised) / Possible victim
                                (presumed) / Not a victim (latest decision
                                negative) / Not yet determined > Victim
                                (possible or actual) / Not a victim / Not yet
                                determined > *
    Status                      Active / Closed / ClosedReferred > *
    RegisteringOrganisationType kind > *
    Region                      region > *
    ReceptionStage              stage > *
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    F,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from nrm.choices import CHILD_AGE_GROUPS, AgeGroup
from nrm.selectors import active_profile
from referral.models import (
    Case,
    CaseExploitationForm,
    CaseState,
    Decision,
    DecisionKind,
)
from referral.statistics.kanon import ANY, Attribute, Plan, generaliser, plan
from referral.statistics.periods import Period, local_midnight
from referral.statistics.queries import MULTIPLE_FORMS, NO_FORM

__all__ = ["CaseLevelExport", "attributes", "case_level_export"]

MAX_DROPPED_SHARE = 0.05
"""Generalise until at most this share of the records has to be dropped."""

_GENDER = {"female": "Female", "male": "Male", "other": "Other", "unknown": "Unknown"}
_FORM_GROUPS = {
    "sexual": "Sexual exploitation",
    "labour": "Forced labour or services",
    "domestic_servitude": "Forced labour or services",
    "criminality": "Forced labour or services",
    "begging": "Forced labour or services",
    "organ_removal": "Other forms",
    "forced_marriage": "Other forms",
    "illegal_adoption": "Other forms",
    "surrogacy": "Other forms",
    "other": "Other forms",
    MULTIPLE_FORMS: "Several forms",
    NO_FORM: "Unknown",
}
ACTUAL = "Actual victim of trafficking"
POSSIBLE = "Possible victim of trafficking"
NOT_A_VICTIM = "Not a victim of trafficking"
UNDETERMINED = "Not yet determined"
_STATUS_GROUPS = {
    ACTUAL: "Victim (possible or actual)",
    POSSIBLE: "Victim (possible or actual)",
    NOT_A_VICTIM: NOT_A_VICTIM,
    UNDETERMINED: UNDETERMINED,
}


def _identity(value: str) -> str:
    return value


def _anything(value: str) -> str:
    return ANY


def _quarter(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def _age_broad(band: str) -> str:
    if band in CHILD_AGE_GROUPS:
        return "Child"
    return "Unknown" if band == AgeGroup.UNKNOWN else "Adult"


def _nationality(code: str) -> str:
    return {"": "Unknown", "XX": "Stateless"}.get(code, code)


def _nationality_group(country: str):
    def group(code: str) -> str:
        if code in ("", "XX"):
            return _nationality(code)
        return "National" if code == country else "Foreign"

    return group


def attributes(country: str) -> tuple[Attribute, ...]:
    """The published attributes; `country` is the mechanism's own (ISO code)."""
    return (
        Attribute(
            "RegistrationPeriod",
            (_quarter, lambda m: m.split("-")[0], _anything),
            ("quarter", "year", "suppressed"),
            source="NRM",
            description="When the case was registered.",
        ),
        Attribute(
            "Gender",
            (lambda s: _GENDER.get(s, "Unknown"), _anything),
            ("value", "suppressed"),
            description="HTCDS prs_Gender; 'Other' is outside the HTCDS picklist.",
        ),
        Attribute(
            "AgeGroup",
            (_identity, _age_broad, _anything),
            ("band", "child or adult", "suppressed"),
            source="NRM",
            description="Age group at registration (HTCDS records the birth date).",
        ),
        Attribute(
            "Nationality",
            (_nationality, _nationality_group(country), _anything),
            ("ISO 3166 code", "national or foreign", "suppressed"),
            description="HTCDS prs_Nationality (ISO 3166-1 alpha-2).",
        ),
        Attribute(
            "TypeOfExploitation",
            (_identity, lambda f: _FORM_GROUPS.get(f, "Other forms"), _anything),
            ("form", "broad form", "suppressed"),
            description="HTCDS Type of Exploitation.",
        ),
        Attribute(
            "TraffickingStatus",
            (_identity, lambda s: _STATUS_GROUPS.get(s, UNDETERMINED), _anything),
            ("status", "victim or not", "suppressed"),
            description=(
                "HTCDS Trafficking Status from the latest identification decision; "
                "'Not yet determined' is outside the HTCDS picklist."
            ),
        ),
        Attribute(
            "Status",
            (_identity, _anything),
            ("value", "suppressed"),
            description="HTCDS cas_Status.",
        ),
        Attribute(
            "RegisteringOrganisationType",
            (_identity, _anything),
            ("kind", "suppressed"),
            source="NRM",
            description="The kind of organisation that registered the case.",
        ),
        Attribute(
            "Region",
            (_identity, _anything),
            ("region", "suppressed"),
            source="NRM",
            description="The registering organisation's region.",
        ),
        Attribute(
            "ReceptionStage",
            (_identity, _anything),
            ("stage", "suppressed"),
            source="NRM",
            description="The reception stage at registration.",
        ),
    )


def _cases(period: Period) -> QuerySet:
    """Cases registered in the period, with each attribute's raw value."""
    forms = CaseExploitationForm.objects.filter(case=OuterRef("pk")).order_by()
    latest = Decision.objects.filter(case=OuterRef("pk")).order_by("-decided_at")
    return (
        Case.objects.filter(
            registered_at__gte=local_midnight(period.first_day),
            registered_at__lt=local_midnight(period.end),
        )
        .annotate(
            month=TruncMonth("registered_at", tzinfo=timezone.get_current_timezone()),
            form_count=Subquery(
                forms.values("case").annotate(n=Count("pk")).values("n")[:1]
            ),
            first_form=Subquery(
                forms.values("case").annotate(f=Min("form")).values("f")[:1]
            ),
            latest_positive=Subquery(latest.values("positive")[:1]),
            latest_kind=Subquery(latest.values("kind")[:1]),
            latest_of_kind=Coalesce(
                Subquery(latest.values("reconsiders__kind")[:1]),
                Value(""),
                output_field=CharField(),
            ),
            organisation_kind=F("organisation__kind"),
        )
        .order_by()
    )


_COLUMNS = (
    "month",
    "person__sex",
    "person__age_group",
    "person__citizenship",
    "form_count",
    "first_form",
    "latest_positive",
    "latest_kind",
    "latest_of_kind",
    "state",
    "organisation_kind",
    "region",
    "reception_stage",
)


def _raw(row: tuple) -> tuple[str, ...]:
    (month, sex, age, citizenship, form_count, first_form, positive, kind,
     of_kind, state, organisation_kind, region, stage) = row  # fmt: skip
    if not form_count:
        form = NO_FORM
    elif form_count > 1:
        form = MULTIPLE_FORMS
    else:
        form = first_form
    if positive is None:
        status = UNDETERMINED
    elif not positive:
        status = NOT_A_VICTIM
    elif DecisionKind.CONCLUSIVE_GROUNDS in (kind, of_kind):
        status = ACTUAL
    else:
        status = POSSIBLE
    if state == CaseState.CLOSED:
        case_status = "Closed"
    elif state == CaseState.TRANSFERRED:
        case_status = "ClosedReferred"
    else:
        case_status = "Active"
    return (
        f"{month.year}-{month.month:02d}",
        sex,
        age,
        citizenship,
        form,
        status,
        case_status,
        organisation_kind,
        region,
        stage,
    )


@dataclass(frozen=True)
class CaseLevelExport:
    period: Period
    plan: Plan
    attributes: tuple[Attribute, ...]

    @property
    def fields(self) -> list[dict]:
        return [
            {
                "name": a.field,
                "source": a.source,
                "level": level,
                "level_name": a.level_names[level],
                "description": a.description,
            }
            for a, level in zip(self.attributes, self.plan.levels, strict=True)
        ]

    @property
    def levels(self) -> dict[str, str]:
        return {
            a.field: a.level_names[level]
            for a, level in zip(self.attributes, self.plan.levels, strict=True)
        }

    def records(self) -> Iterator[tuple[str, ...]]:
        """The published records, streamed from the database."""
        apply = generaliser(self.attributes, self.plan.levels)
        rows = _cases(self.period).order_by("pk").values_list(*_COLUMNS)
        for row in rows.iterator(chunk_size=2000):
            generalised = apply(_raw(row))
            if self.plan.keeps(generalised):
                yield generalised

    def csv_lines(self) -> Iterator[str]:
        writer = csv.writer(_Line(), lineterminator="\n")
        yield writer.writerow([a.field for a in self.attributes])
        for record in self.records():
            yield writer.writerow(record)

    def json_chunks(self, envelope: dict) -> Iterator[str]:
        """The envelope as JSON with its "records" streamed in."""
        head = json.dumps({**envelope, "records": []})
        yield head[: -len("[]}")] + "["
        names = [a.field for a in self.attributes]
        first = True
        for record in self.records():
            item = json.dumps(dict(zip(names, record, strict=True)))
            yield item if first else "," + item
            first = False
        yield "]}"


class _Line:
    """A file-like object whose write returns the line, for streaming."""

    def write(self, value: str) -> str:
        return value


def case_level_export(period: Period, *, k: int | None = None) -> CaseLevelExport:
    """Plan the generalisation from the counts of the recorded combinations
    (one GROUP BY in the database); the records are streamed afterwards."""
    profile = active_profile()
    if k is None:
        k = profile.k_anonymity
    published = attributes(profile.country)
    grouped = _cases(period).values_list(*_COLUMNS).annotate(n=Count("pk"))
    counts = ((_raw(row[:-1]), row[-1]) for row in grouped.iterator(chunk_size=5000))
    return CaseLevelExport(
        period=period,
        plan=plan(counts, published, k=k, max_dropped_share=MAX_DROPPED_SHARE),
        attributes=published,
    )
