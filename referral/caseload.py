"""A synthetic caseload, bulk-inserted, for the statistics' tests, demos and
benchmarks (`manage.py generate_caseload`, `bench/bench_caseload.py`).

Synthetic throughout: people have no personal data at all (every sealed
column is empty, so nothing is encrypted and the vault is never asked), and
their coarse columns (sex, age group, citizenship) follow made-up but
plausible distributions. Each case's journey is simulated in memory:
registration, first screening, identification referrals (accepted, declined
or expired, sometimes a second one), the reasonable-grounds decision, the
recovery and reflection period, the conclusive decision, the odd
reconsideration, transfer, suspension or closure. Its Referral, Decision and
Deadline rows (due dates by the country profile's working days) and the
registering organisation's (and, once it accepted, the competent
authority's) access grants (rows the access policy describes,
`policy.bulk_grants`) are written consistently with it.

The simulation is not a second workflow: every move of a case or a referral
fires the model's own `@transition` method on an unsaved instance
(`Journey`), so a path the declared graph does not allow cannot be generated
(`DisallowedPath`), and each transition writes the fields it declares. Only
the choice among the allowed moves, and when, is made here. The rows then go
in through PostgreSQL COPY (or a plain INSERT on other databases), the one
place where a case's `state` column is written without a service: no audit
events and no screenings are written, since the caseload is for the
statistics, which read neither; its milestones are recorded at the end by
`milestones.backfill()`, as for a mechanism that predates them.
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import random
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, connections, models, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from nrm.choices import CHILD_AGE_GROUPS, OrganisationKind
from nrm.models import CountryProfile, Organisation, User
from nrm.selectors import active_profile
from referral import policy
from referral.deadlines import add_working_days, end_of_day
from referral.models import (
    Case,
    CaseExploitationForm,
    CaseState,
    CloseReason,
    Deadline,
    DeadlineKind,
    Decision,
    DecisionKind,
    DeclineReason,
    Person,
    Referral,
    ReferralState,
)
from referral.statistics import milestones

__all__ = ["GENERATOR_USERNAME", "DisallowedPath", "Journey", "Summary", "generate"]

GENERATOR_USERNAME = "synthetic-caseload"
S = CaseState

# Made-up distributions (weights), loosely shaped like published NRM figures.
SEXES = (("female", 55), ("male", 42), ("other", 1), ("unknown", 2))
AGE_GROUPS = (
    ("0-11", 3),
    ("12-14", 5),
    ("15-17", 11),
    ("unknown_child", 3),
    ("18-24", 24),
    ("25-34", 26),
    ("35-49", 17),
    ("50+", 5),
    ("unknown", 6),
)
# A long tail: a few frequent citizenships and many rare ones (Zipf-like);
# "" is unknown, "XX" stateless. Codes are ISO 3166-1 alpha-2.
_CITIZENSHIP_CODES = (
    "NG UA SY AF VN RO AL ER IQ MA BG SD PK CN ET GH PH IN BD SN GN ML CI CM "
    "TR GE MD BY RU UZ TJ KG EG TN DZ LY SO YE IR LK NP TH ID BR CO VE PE DO "
    "HN GT SV NI MX CU HT JM KE UG TZ RW CD CG GA BJ TG BF NE TD CF SS LR SL"
)
CITIZENSHIPS = tuple(_CITIZENSHIP_CODES.split())
FORMS = (
    ("sexual", 38),
    ("labour", 30),
    ("domestic_servitude", 8),
    ("criminality", 8),
    ("begging", 4),
    ("organ_removal", 0.4),
    ("forced_marriage", 2),
    ("illegal_adoption", 0.3),
    ("surrogacy", 0.3),
    ("other", 3),
    ("unknown", 6),
)
STAGES = (
    ("first_contact", 20),
    ("registration_screening", 45),
    ("accommodation", 15),
    ("asylum_procedure", 15),
    ("transit", 5),
)
ASYLUM = (
    ("none", 30),
    ("intends_to_apply", 15),
    ("applied", 35),
    ("granted", 5),
    ("rejected", 5),
    ("unknown", 10),
)
LANGUAGES = ("en", "fr", "ar", "ru", "uk", "ti", "fa", "vi", "ro", "es")
REGISTERING_KINDS = {
    OrganisationKind.RECEPTION_CENTRE: 60,
    OrganisationKind.POLICE_BORDER: 15,
    OrganisationKind.NGO: 12,
    OrganisationKind.SOCIAL_SERVICES: 6,
    OrganisationKind.CHILD_PROTECTION: 4,
    OrganisationKind.HEALTH: 3,
}
DECLINES = (
    (DeclineReason.NO_CAPACITY, 40),
    (DeclineReason.NOT_COMPETENT, 25),
    (DeclineReason.INCOMPLETE, 20),
    (DeclineReason.PERSON_UNREACHABLE, 10),
    (DeclineReason.OTHER, 5),
)
DAY = timedelta(days=1)


@dataclass
class Summary:
    cases: int = 0
    referrals: int = 0
    decisions: int = 0
    deadlines: int = 0
    states: dict[str, int] = field(default_factory=dict)


def _weighted(rng: random.Random, pairs) -> Callable[[], Any]:
    values = [v for v, _w in pairs]
    cumulative, total = [], 0.0
    for _v, weight in pairs:
        total += weight
        cumulative.append(total)

    def pick() -> Any:
        return rng.choices(values, cum_weights=cumulative, k=1)[0]

    return pick


class _Rows:
    """Rows of one model in its concrete columns' order (the auto-increment
    primary key left to the database), starting from each field's default."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, models.AutoField))
        ]
        self.names = [f.attname for f in self.fields]
        self.template = {}
        for f in self.fields:
            if isinstance(f, models.BinaryField):
                self.template[f.attname] = b""  # an empty sealed value
            else:
                self.template[f.attname] = f.get_default()
        self.formatters = [_formatter(f) for f in self.fields]
        self.rows: list[tuple] = []

    def add(self, **values) -> None:
        unknown = set(values) - set(self.template)
        if unknown:
            raise KeyError(f"{self.model.__name__} has no column {sorted(unknown)}")
        row = {**self.template, **values}
        self.rows.append(tuple(row[n] for n in self.names))

    def flush(self) -> int:
        written = len(self.rows)
        if written:
            if connection.vendor == "postgresql":
                self._copy()
            else:
                self._insert()
        self.rows = []
        return written

    def _copy(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        formatters = self.formatters
        for row in self.rows:
            writer.writerow(
                [
                    "\\N" if v is None else f(v)
                    for f, v in zip(formatters, row, strict=True)
                ]
            )
        buffer.seek(0)
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        sql = (
            f"COPY {qn(self.model._meta.db_table)} ({columns}) "  # noqa: S608
            "FROM STDIN WITH (FORMAT csv, NULL '\\N')"
        )
        with connection.cursor() as cursor:
            cursor.copy_expert(sql, buffer)

    def _insert(self) -> None:
        qn = connection.ops.quote_name
        columns = ", ".join(qn(f.column) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        sql = (
            f"INSERT INTO {qn(self.model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
        )
        params = [
            [
                f.get_db_prep_save(v, connection)
                for f, v in zip(self.fields, row, strict=True)
            ]
            for row in self.rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _bytea(value: Any) -> str:
    return "\\x" + bytes(value).hex()


def _boolean(value: Any) -> str:
    return "t" if value else "f"


def _iso(value: Any) -> str:
    return value.isoformat()


def _formatter(field: models.Field) -> Callable[[Any], str]:
    """How a column's (non-null) values are written for COPY ... CSV."""
    if isinstance(field, models.BinaryField):
        return _bytea
    if isinstance(field, models.BooleanField):
        return _boolean
    if isinstance(field, models.DateField):  # and DateTimeField
        return _iso
    if isinstance(field, models.JSONField):
        return json.dumps
    return str


@dataclass
class _Directory:
    registering: list[Organisation]
    registering_weights: list[float]
    authorities: list[Organisation]
    user: User
    profile: CountryProfile
    grants: policy.BulkGrants


def _directory() -> _Directory:
    organisations = list(Organisation.objects.filter(is_active=True).order_by("name"))
    registering = [o for o in organisations if o.kind in REGISTERING_KINDS]
    authorities = [
        o for o in organisations if o.kind == OrganisationKind.COMPETENT_AUTHORITY
    ]
    if not registering or not authorities:
        raise ValueError(
            "The caseload needs active registering organisations (reception "
            "centres, police, NGOs...) and a competent identification authority: "
            "load the demo directory first (manage.py load_demo)."
        )
    user, _created = User.objects.get_or_create(
        username=GENERATOR_USERNAME, defaults={"is_active": False}
    )
    if _created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    counts: dict[str, int] = {}
    for o in registering:
        counts[o.kind] = counts.get(o.kind, 0) + 1
    weights = [REGISTERING_KINDS[o.kind] / counts[o.kind] for o in registering]
    return _Directory(
        registering, weights, authorities, user, active_profile(), policy.bulk_grants()
    )


def _fast_bulk_load() -> None:
    """On PostgreSQL: no wait for the disk at commit and, where the role may
    (a superuser, as in the benchmark), no per-row foreign-key triggers: the
    rows are consistent by construction. Both for this transaction only."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            cursor.execute("SET LOCAL session_replication_role TO replica")


class DisallowedPath(ValueError):
    """The simulation asked for a move the declared graph does not allow."""


def _written(model: type[models.Model]) -> tuple[str, ...]:
    """The columns a model's transitions write: its state, and what each
    `@transition` declares as `custom={"writes": ...}` (what the services
    save, too)."""
    field = model._meta.get_field("state")
    names = {field.name}
    for declared in field.get_all_transitions(model):
        names.update(declared.custom.get("writes", ()))
    return tuple(sorted(model._meta.get_field(name).attname for name in names))


class Journey:
    """One case or referral walked through the declared graph, in memory.

    Every move fires the model's own `@transition` method on an unsaved
    instance: django-fsm refuses a move the graph does not allow from the
    current state (`DisallowedPath`), checks a computed target against the
    declared ones, and the transition writes its own fields. Nothing is
    saved; `columns()` are the values the bulk insert writes for them."""

    _templates: dict[type[models.Model], dict[str, Any]] = {}
    _columns: dict[type[models.Model], tuple[str, ...]] = {}

    def __init__(self, model: type[models.Model], **values: Any):
        template = self._templates.get(model)
        if template is None:
            # Model.__init__ would cost as much as the whole journey: build
            # the instance from a copy of one default instance's values.
            template = {k: v for k, v in vars(model()).items() if k != "_state"}
            self._templates[model] = template
            self._columns[model] = _written(model)
        subject = model.__new__(model)
        subject.__dict__.update(template)
        subject._state = models.base.ModelState()
        subject.__dict__.update(values)
        self.subject = subject
        self.model = model

    @property
    def state(self) -> str:
        return self.subject.__dict__["state"]

    def fire(self, transition: str, **arguments: Any) -> str:
        """Fire one declared transition; the new state."""
        method = getattr(self.subject, transition, None)
        if not hasattr(method, "_django_fsm"):
            raise DisallowedPath(f"{self.model.__name__} declares no {transition!r}")
        try:
            method(**arguments)
        except TransitionNotAllowed as exc:
            raise DisallowedPath(
                f"{self.model.__name__}.{transition} is not allowed from {self.state!r}"
            ) from exc
        return self.state

    def columns(self) -> dict[str, Any]:
        values = self.subject.__dict__
        return {name: values[name] for name in self._columns[self.model]}


class _Simulator:
    def __init__(self, rng: random.Random, directory: _Directory, now: datetime):
        self.rng = rng
        self.d = directory
        self.now = now
        self.tz = timezone.get_current_timezone()
        self._due: dict[tuple[date, int], datetime] = {}
        self.sex = _weighted(rng, SEXES)
        self.age = _weighted(rng, AGE_GROUPS)
        self.citizenship = _weighted(
            rng,
            [(c, 1.0 / (rank + 1) ** 1.1) for rank, c in enumerate(CITIZENSHIPS)]
            + [("", 0.5), ("XX", 0.1)],
        )
        self.form = _weighted(rng, FORMS)
        self.stage = _weighted(rng, STAGES)
        self.asylum = _weighted(rng, ASYLUM)
        self.decline = _weighted(rng, DECLINES)
        self.persons = _Rows(Person)
        self.cases = _Rows(Case)
        self.forms = _Rows(CaseExploitationForm)
        self.referrals = _Rows(Referral)
        self.decisions = _Rows(Decision)
        self.deadlines = _Rows(Deadline)
        self.grants = _Rows(directory.grants.model)
        self.summary = Summary()

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def recovery_end(self, decided_at: datetime) -> date:
        return self.local_date(decided_at) + timedelta(
            days=self.d.profile.recovery_period_days
        )

    def due(self, sent: datetime, working_days: int) -> datetime:
        """add_working_days, once per local day and number of days."""
        key = (self.local_date(sent), working_days)
        if key not in self._due:
            self._due[key] = add_working_days(sent, working_days, self.d.profile)
        return self._due[key]

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def later(
        self, at: datetime, mean_days: float, minimum_hours: float = 1
    ) -> datetime:
        hours = minimum_hours + self.rng.expovariate(1.0 / (mean_days * 24))
        return at + timedelta(hours=hours)

    def flush(self) -> None:
        with transaction.atomic():
            _fast_bulk_load()
            for rows in (
                self.persons,
                self.cases,
                self.forms,
                self.referrals,
                self.decisions,
                self.deadlines,
                self.grants,
            ):
                rows.flush()

    def grant(self, case_id: uuid.UUID, organisation: Organisation) -> None:
        self.grants.add(**self.d.grants.row(case_id, organisation))

    def deadline(
        self,
        case_id,
        referral_id,
        kind,
        organisation,
        due_at,
        *,
        met_at=None,
        cancelled_at=None,
    ) -> None:
        overdue = None
        if met_at is None and cancelled_at is None and due_at < self.now:
            overdue = due_at + timedelta(hours=1)
        self.deadlines.add(
            id=self.uuid(),
            case_id=case_id,
            referral_id=referral_id,
            kind=kind,
            organisation_id=organisation.pk,
            due_at=due_at,
            met_at=met_at,
            cancelled_at=cancelled_at,
            overdue_notified_at=overdue,
        )
        self.summary.deadlines += 1

    def case(self, registered_at: datetime) -> None:  # noqa: C901 - one journey
        rng, now, profile = self.rng, self.now, self.d.profile
        organisation = rng.choices(self.d.registering, self.d.registering_weights)[0]
        authority = rng.choice(self.d.authorities)
        age_group = self.age()
        is_child = age_group in CHILD_AGE_GROUPS
        person_id, case_id = self.uuid(), self.uuid()
        self.persons.add(
            id=person_id,
            sex=self.sex(),
            age_group=age_group,
            citizenship=self.citizenship(),
            is_child=is_child,
            registered_at=registered_at,
        )
        # Registered (the state field's default), then only declared moves.
        case = Journey(Case, id=case_id, state_changed_at=registered_at)

        forms = {self.form()}
        if rng.random() < 0.12:
            forms.add(self.form())
        for form in sorted(forms):
            self.forms.add(case_id=case_id, form=form)
        self.grant(case_id, organisation)  # as case_register does
        last = registered_at

        # Screening: most people are screened within days.
        at = self.later(registered_at, 3)
        if rng.random() < 0.92 and at < now:
            calls = rng.random() < (0.85 if is_child else 0.55)
            case.fire(
                "record_screening",
                at=at,
                outcome="presumed" if calls else "none",
                calls_for_referral=calls,
            )
            last = at

        # Identification referrals: a declined or expired one is sometimes
        # followed by another.
        accepted = rg = None
        for attempt in range(2):
            if case.state != S.REFERRAL_PENDING:
                break
            sent = self.later(last, 4 if attempt == 0 else 10)
            if sent >= now or (attempt and rng.random() < 0.3):
                break
            referral_id = self.uuid()
            answer_due = self.due(sent, profile.referral_answer_working_days)
            rg_due = self.due(sent, profile.rg_decision_working_days)
            roll = rng.random()
            outcome = (
                ReferralState.ACCEPTED
                if roll < 0.85
                else ReferralState.DECLINED
                if roll < 0.95
                else ReferralState.EXPIRED
            )
            answered = self.later(sent, 1.2, minimum_hours=0.5)
            if outcome == ReferralState.EXPIRED:
                answered = answer_due + timedelta(hours=rng.uniform(1, 48))
            if answered >= now:
                outcome, answered = ReferralState.SENT, None
            case.fire("send_identification_referral", at=sent)
            referral = Journey(Referral, id=referral_id)
            if outcome == ReferralState.ACCEPTED:
                referral.fire("accept", at=answered, by=self.d.user)
            elif outcome == ReferralState.DECLINED:
                referral.fire(
                    "decline", at=answered, reason=self.decline(), by=self.d.user
                )
            elif outcome == ReferralState.EXPIRED:
                referral.fire("expire", at=answered)
            self.referrals.add(
                id=referral_id,
                case_id=case_id,
                from_organisation_id=organisation.pk,
                to_organisation_id=authority.pk,
                purpose="identification",
                urgency="urgent" if is_child else "routine",
                sent_at=sent,
                sent_by_id=self.d.user.pk,
                answer_due_at=answer_due,
                **referral.columns(),
            )
            self.summary.referrals += 1
            answer_met = (
                answered
                if outcome in (ReferralState.ACCEPTED, ReferralState.DECLINED)
                else None
            )
            lapsed = (
                answered
                if outcome in (ReferralState.DECLINED, ReferralState.EXPIRED)
                else None
            )
            self.deadline(
                case_id,
                referral_id,
                DeadlineKind.REFERRAL_ANSWER,
                authority,
                answer_due,
                met_at=answer_met,
                cancelled_at=answered if outcome == ReferralState.EXPIRED else None,
            )
            rg = (referral_id, rg_due)
            if outcome == ReferralState.SENT:
                self.deadline(
                    case_id, referral_id, DeadlineKind.RG_DECISION, authority, rg_due
                )
                last = sent
                break
            if lapsed is not None:
                self.deadline(
                    case_id,
                    referral_id,
                    DeadlineKind.RG_DECISION,
                    authority,
                    rg_due,
                    cancelled_at=lapsed,
                )
                case.fire("identification_referral_lapsed", at=lapsed)
                last = lapsed
                continue
            accepted = referral_id
            case.fire("accept_identification_referral", at=answered)
            self.grant(case_id, authority)  # as referral_accept does
            last = answered
            break

        def decide(kind: str, positive: bool, at: datetime, reconsiders=None):
            decision_id = self.uuid()
            self.decisions.add(
                id=decision_id,
                case_id=case_id,
                kind=kind,
                reconsiders_id=reconsiders,
                positive=positive,
                referral_id=accepted,
                organisation_id=authority.pk,
                decided_by_id=self.d.user.pk,
                decided_at=at,
                person_request_id=None,
            )
            self.summary.decisions += 1
            return decision_id

        if case.state == S.ASSESSMENT:
            referral_id, rg_due = rg
            # Mostly within the profile's working days, with a late tail.
            at = self.later(last, 4 if rng.random() < 0.8 else 15, minimum_hours=4)
            if at >= now:
                self.deadline(
                    case_id, referral_id, DeadlineKind.RG_DECISION, authority, rg_due
                )
            else:
                self.deadline(
                    case_id,
                    referral_id,
                    DeadlineKind.RG_DECISION,
                    authority,
                    rg_due,
                    met_at=at,
                )
                positive = rng.random() < 0.75
                rg_decision = decide(DecisionKind.REASONABLE_GROUNDS, positive, at)
                case.fire(
                    "decide_reasonable_grounds",
                    at=at,
                    positive=positive,
                    recovery_ends_on=self.recovery_end(at) if positive else None,
                )
                last = at
                recon = None
                if not positive:
                    recon = self.later(at, 25)
                    if rng.random() < 0.12 and recon < now:
                        decide(DecisionKind.RECONSIDERATION, True, recon, rg_decision)
                        case.fire(
                            "reconsider",
                            at=recon,
                            positive=True,
                            of_kind=DecisionKind.REASONABLE_GROUNDS,
                            recovery_ends_on=self.recovery_end(recon),
                        )
                if case.state == S.PRESUMED_VICTIM:
                    self._conclusive(case, referral_id, authority, decide)
                    last = case.subject.state_changed_at

        # What happens next: transfer, suspension, closure, or nothing yet.
        roll = rng.random()
        after = self.later(last, 30)
        if after < now:
            state = case.state
            if roll < 0.03 and state in (
                S.REGISTERED,
                S.SCREENED,
                S.REFERRAL_PENDING,
                S.PRESUMED_VICTIM,
            ):
                case.fire("transfer", at=after, country="XC")
            elif roll < 0.05 and state in (S.REFERRAL_PENDING, S.PRESUMED_VICTIM):
                case.fire("suspend", at=after)
            elif state == S.NOT_IDENTIFIED and roll < 0.5:
                case.fire("close", at=after, reason=CloseReason.NOT_IDENTIFIED)
            elif state == S.SCREENED and roll < 0.4:
                case.fire("close", at=after, reason=CloseReason.NO_INDICATORS)
            elif state == S.RECOGNISED and roll < 0.25:
                case.fire("close", at=after, reason=CloseReason.DURABLE_SOLUTION)
        self.cases.add(
            person_id=person_id,
            organisation_id=organisation.pk,
            region=organisation.region,
            reception_stage=self.stage(),
            language=rng.choice(LANGUAGES),
            asylum_status=self.asylum(),
            registered_at=registered_at,
            registered_by_id=self.d.user.pk,
            id=case_id,
            **case.columns(),
        )
        self.summary.cases += 1
        self.summary.states[case.state] = self.summary.states.get(case.state, 0) + 1

    def _conclusive(self, case: Journey, referral_id, authority, decide) -> None:
        """From presumed victim: the recovery period, then (mostly) the
        conclusive decision, and now and then a positive reconsideration."""
        rng, now = self.rng, self.now
        due = end_of_day(case.subject.recovery_ends_on)
        case_id = case.subject.id
        cg_at = due + timedelta(hours=rng.uniform(1, 24 * 60))
        if rng.random() < 0.9 and cg_at < now:
            self.deadline(
                case_id,
                referral_id,
                DeadlineKind.RECOVERY_PERIOD_END,
                authority,
                due,
                met_at=cg_at,
            )
            positive = rng.random() < 0.85
            cg = decide(DecisionKind.CONCLUSIVE_GROUNDS, positive, cg_at)
            case.fire("decide_conclusive_grounds", at=cg_at, positive=positive)
            recon = self.later(cg_at, 30)
            if not positive and rng.random() < 0.1 and recon < now:
                decide(DecisionKind.RECONSIDERATION, True, recon, cg)
                case.fire(
                    "reconsider",
                    at=recon,
                    positive=True,
                    of_kind=DecisionKind.CONCLUSIVE_GROUNDS,
                    recovery_ends_on=None,
                )
        else:
            self.deadline(
                case_id, referral_id, DeadlineKind.RECOVERY_PERIOD_END, authority, due
            )


def registration_times(
    rng: random.Random, count: int, start: datetime, end: datetime
) -> Iterable[datetime]:
    """Registration times spread over [start, end), busier in summer."""
    span = (end - start).total_seconds()
    for _ in range(count):
        while True:
            at = start + timedelta(seconds=rng.random() * span)
            season = 1.0 + 0.3 * (1 if 5 <= at.month <= 9 else -1)
            if rng.random() * 1.3 < season:
                break
        yield at


def _run(
    count: int,
    seed: int,
    directory: _Directory,
    window: tuple[datetime, datetime, datetime],
    batch_size: int,
    progress: Callable[[int], None] | None,
) -> Summary:
    start_at, end, now = window
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    simulator = _Simulator(rng, directory, now)
    for number, registered_at in enumerate(
        registration_times(rng, count, start_at, end), start=1
    ):
        simulator.case(registered_at)
        if number % batch_size == 0:
            simulator.flush()
            if progress:
                progress(number)
    simulator.flush()
    return simulator.summary


def _worker(queue, *args) -> None:
    """One forked worker: its own connection, its share of the cases."""
    try:
        queue.put(_run(*args))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        queue.put(exc)
    finally:
        connections.close_all()


def generate(
    count: int,
    *,
    seed: int = 1,
    start: date | None = None,
    end: datetime | None = None,
    batch_size: int = 20_000,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Summary:
    """Create `count` synthetic people and cases registered in [start, end)
    (default: from January 1st two years ago up to now).

    `workers` > 1 forks that many processes, each with its own connection and
    seed, committing its own batches (PostgreSQL only, outside a transaction):
    on a 2-core machine, two workers keep both Python and PostgreSQL busy."""
    now = timezone.now()
    end = min(end or now, now)
    if start is None:
        start = date(timezone.localtime(end).year - 2, 1, 1)
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    if start_at >= end:
        raise ValueError("the start must be before the end")
    directory = _directory()
    window = (start_at, end, now)
    if workers <= 1:
        summary = _run(count, seed, directory, window, batch_size, progress)
        milestones.backfill()
        if progress:
            progress(count)
        return summary
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        raise ValueError("several workers need PostgreSQL and no open transaction")
    connections.close_all()  # the workers must not share the parent's socket
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    shares = [
        count // workers + (1 if i < count % workers else 0) for i in range(workers)
    ]
    processes = [
        context.Process(
            target=_worker,
            args=(
                queue,
                share,
                seed + 1000 * i,
                directory,
                window,
                batch_size,
                progress if i == 0 else None,
            ),
        )
        for i, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    results = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    failures = [r for r in results if isinstance(r, Exception)]
    if failures:
        raise RuntimeError("a caseload worker failed") from failures[0]
    total = Summary()
    for result in results:
        total.cases += result.cases
        total.referrals += result.referrals
        total.decisions += result.decisions
        total.deadlines += result.deadlines
        for state, n in result.states.items():
            total.states[state] = total.states.get(state, 0) + n
    milestones.backfill()
    if progress:
        progress(count)
    return total
