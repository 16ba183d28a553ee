"""The case-level anonymised export for researchers: one row per case
registered in a calendar year, k-anonymised (`kanon`) and l-diverse in its
TraffickingStatus, built once when the year's last release is published and
stored with it (`releases.publish_month`).

Field names follow the IOM Human Trafficking Case Data Standard (HTCDS)
where it has the field (Gender, Nationality, TypeOfExploitation,
TraffickingStatus, Status); the others are this mechanism's and say so
("source": "NRM"). No identifier, date or free text is exported. The
attributes are those the case had when it was registered (its registration
milestone), so the export agrees with the published tables; only the
statuses are read at publication. Rows are shuffled afresh for each release.

Quasi-identifiers are every attribute but TraffickingStatus, the sensitive
one: the generalisation makes every combination of quasi-identifiers shared
by at least k records, and a combination whose records do not hold at least
l distinct TraffickingStatus values is dropped (and counted), so no class
tells its members' status.

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
import random
from collections import Counter, defaultdict
from collections.abc import Iterator

from django.db.models import CharField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from nrm.choices import CHILD_AGE_GROUPS, AgeGroup
from nrm.selectors import active_profile
from referral.models import Case, CaseState, Decision, DecisionKind, Milestone
from referral.statistics.kanon import ANY, Attribute, generaliser, plan
from referral.statistics.milestones import MULTIPLE_FORMS, NO_FORM

__all__ = ["attributes", "build", "csv_lines", "lower_bounds"]

SCOPE = "case-level"
"""The scope under which the export is stored as a release."""
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


def _rows(year: int) -> QuerySet:
    """The year's registrations with their recorded attributes and the
    case's current state and latest decision (one statement, one snapshot)."""
    latest = Decision.objects.filter(case=OuterRef("subject")).order_by("-decided_at")
    return (
        Milestone.objects.filter(measure="registered", year=year)
        .annotate(
            state=Subquery(
                Case.objects.filter(pk=OuterRef("subject")).values("state")[:1]
            ),
            latest_positive=Subquery(latest.values("positive")[:1]),
            latest_kind=Subquery(latest.values("kind")[:1]),
            latest_of_kind=Coalesce(
                Subquery(latest.values("reconsiders__kind")[:1]),
                Value(""),
                output_field=CharField(),
            ),
        )
        .order_by()
        .values_list(
            "month",
            "organisation_id",
            "sex",
            "age_group",
            "citizenship",
            "form",
            "latest_positive",
            "latest_kind",
            "latest_of_kind",
            "state",
            "reception_stage",
        )
    )


def _status(positive, kind, of_kind) -> str:
    if positive is None:
        return UNDETERMINED
    if not positive:
        return NOT_A_VICTIM
    if DecisionKind.CONCLUSIVE_GROUNDS in (kind, of_kind):
        return ACTUAL
    return POSSIBLE


def _raw(year: int, row: tuple, organisations: dict) -> tuple[str, ...]:
    (
        month,
        organisation,
        sex,
        age,
        citizenship,
        form,
        positive,
        kind,
        of_kind,
        state,
        stage,
    ) = row
    if state == CaseState.CLOSED:
        case_status = "Closed"
    elif state == CaseState.TRANSFERRED:
        case_status = "ClosedReferred"
    else:
        case_status = "Active"
    org_kind, region = organisations.get((month, str(organisation)), ("", ""))
    return (
        f"{year}-{month:02d}",
        sex,
        age,
        citizenship,
        form or NO_FORM,
        _status(positive, kind, of_kind),
        case_status,
        org_kind,
        region,
        stage,
    )


STATUS = 5  # the position of TraffickingStatus in `attributes()`


def build(year: int, *, k: int, l: int, organisations: dict) -> dict:  # noqa: E741
    """The year's export as a document: fields, levels and shuffled records.

    `organisations` maps (month, organisation id) to the organisation's kind
    and region as that month's release recorded them."""
    country = active_profile().country
    published = attributes(country)
    raw = [
        _raw(year, row, organisations) for row in _rows(year).iterator(chunk_size=5000)
    ]
    quasi = [a for i, a in enumerate(published) if i != STATUS]

    def qi(values: tuple[str, ...]) -> tuple[str, ...]:
        return values[:STATUS] + values[STATUS + 1 :]

    chosen = plan(
        Counter(qi(r) for r in raw), quasi, k=k, max_dropped_share=MAX_DROPPED_SHARE
    )
    apply = generaliser(quasi, chosen.levels)
    statuses: dict[tuple, set] = defaultdict(set)
    generalised = []
    for record in raw:
        g = apply(qi(record))
        if chosen.keeps(g):
            statuses[g].add(record[STATUS])
            generalised.append((g, record[STATUS]))
    records = [
        [*g[:STATUS], status, *g[STATUS:]]
        for g, status in generalised
        if len(statuses[g]) >= l
    ]
    random.SystemRandom().shuffle(records)
    levels = [*chosen.levels[:STATUS], 0, *chosen.levels[STATUS:]]
    return {
        "period": str(year),
        "k": k,
        "l": l,
        "records_published": len(records),
        "records_dropped": len(raw) - len(records),
        "rule": (
            f"Every combination of the published attributes other than "
            f"TraffickingStatus is shared by at least {k} records holding at least "
            f"{l} distinct TraffickingStatus values; records that could not be "
            f"generalised enough are dropped and counted."
        ),
        "fields": [
            {
                "name": a.field,
                "source": a.source,
                "level": level,
                "level_name": a.level_names[level],
                "description": a.description,
            }
            for a, level in zip(published, levels, strict=True)
        ],
        "records": records,
    }


def csv_lines(document: dict) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\n")
    yield writer.writerow([f["name"] for f in document["fields"]])
    for record in document["records"]:
        yield writer.writerow(record)


def json_chunks(document: dict) -> Iterator[str]:
    """The document as JSON with its records as objects, streamed."""
    names = [f["name"] for f in document["fields"]]
    head = json.dumps(
        {k: v for k, v in document.items() if k != "records"} | {"records": []}
    )
    yield head[: -len("[]}")] + "["
    for index, record in enumerate(document["records"]):
        item = json.dumps(dict(zip(names, record, strict=True)))
        yield item if index == 0 else "," + item
    yield "]}"


class _Line:
    """A file-like object whose write returns the line, for streaming."""

    def write(self, value: str) -> str:
        return value


_GENDER_ROW = {v: k for k, v in _GENDER.items()}
_AGE_ROW = {"Child": "child", "Adult": "adult", "Unknown": "unknown"}


def _rows_of(
    field: str, level: int, value: str, display: dict
) -> tuple[str, str] | None:
    """The (table, row) of the published tables that contains every record
    with this value, if the value determines one."""
    if value == ANY:
        return None
    if field == "Gender" and level == 0:
        return "by-sex", _GENDER_ROW.get(value, "unknown")
    if field == "AgeGroup":
        return "by-age-group", value if level == 0 else _AGE_ROW.get(value, "unknown")
    if field == "Nationality" and level == 0:
        row = {"Unknown": "unknown", "Stateless": "stateless"}.get(value)
        if row is None:
            row = value if value in display["citizenship"] else "other"
        return "by-citizenship", row
    if field == "TypeOfExploitation" and level == 0:
        return "by-exploitation-form", value
    if field == "RegisteringOrganisationType":
        return "by-organisation-kind", value
    if field == "Region":
        return "by-region", value
    if field == "ReceptionStage":
        return "by-reception-stage", value
    return None


def lower_bounds(
    document: dict, display: dict, *, key, national: str
) -> dict[str, int]:
    """What the export tells of the national registered cells: each cell
    holds at least the records of the classes it contains."""
    fields = document["fields"]
    year = document["period"]
    bounds: Counter = Counter()
    for record in document["records"]:
        period = record[0] if record[0] != ANY else year
        bounds[key(national, "overview", "total", "registered", period)] += 1
        for field, value in zip(fields[1:], record[1:], strict=True):
            found = _rows_of(field["name"], field["level"], value, display)
            if found:
                table, row = found
                bounds[key(national, table, row, "registered", period)] += 1
    return dict(bounds)
