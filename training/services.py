"""The trainer's writes: start an exercise from a pack, fire injects, run
the clock, reset. Each one transaction; only in a training mechanism, only
for a trainer (the role table's `exercise.run`, asked of referral.policy)."""

from __future__ import annotations

import secrets
from base64 import b32encode
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import clock as workflow_clock
from core.errors import ApplicationError, Conflict, InvalidInput, NotVisible
from core.training import is_training
from nrm import services as nrm_services
from nrm.choices import OrganisationKind, PersonGroup
from nrm.models import CountryProfile, Organisation, Pathway, Service, User
from nrm.roles import Capability, Role
from referral import policy
from training import clock, guard, injects, packs
from training.models import (
    Exercise,
    ExerciseAccount,
    ExerciseAgency,
    ExercisePersona,
    ExerciseState,
    Inject,
    InjectState,
)

CONTROL = "Exercise control"
DAY_STARTS = time(8, 0)


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    otp_key: str  # base32, for an authenticator app
    role: str
    organisation: str


@dataclass(frozen=True)
class Started:
    exercise: Exercise
    credentials: list[Credential]


def require_training() -> None:
    if not is_training():
        raise Conflict(
            _("Exercises run only in a training mechanism."), code="not_training"
        )


def require_trainer(actor: User | None) -> None:
    require_training()
    if actor is not None:
        policy.require_capability(actor, Capability.EXERCISE_RUN)


def _account(
    exercise: Exercise,
    *,
    username: str,
    role: str,
    organisation: Organisation,
    agency: ExerciseAgency | None,
) -> Credential:
    password = secrets.token_urlsafe(15)
    user = nrm_services.user_create(username=username, password=password)
    nrm_services.membership_create(user=user, organisation=organisation, role=role)
    key = secrets.token_hex(20)
    TOTPDevice.objects.create(user=user, name="training", key=key, confirmed=True)
    ExerciseAccount.objects.create(
        exercise=exercise, agency=agency, user=user, role=role
    )
    otp_key = b32encode(bytes.fromhex(key)).decode()
    return Credential(username, password, otp_key, role, organisation.name)


def _organisation(name: str, kind: str, region: str) -> Organisation:
    found = Organisation.objects.filter(name=name).first()
    if found is not None:
        return found
    return nrm_services.organisation_create(
        name=name,
        kind=kind,
        region=region,
        country=_profile().country,
        email=f"{secrets.token_hex(4)}@training.invalid",
    )


def _profile() -> CountryProfile:
    profile = CountryProfile.objects.filter(is_active=True).first()
    if profile is None:
        profile = CountryProfile.objects.create(
            country="XT", name="Training Republic", is_active=True
        )
    return profile


def _services(organisation: Organisation, kinds: list[str]) -> None:
    for kind in kinds:
        service, _created = Service.objects.get_or_create(
            organisation=organisation, kind=kind
        )
        group = PersonGroup.CHILD if kind == "child_protection" else PersonGroup.ANY
        if not Pathway.objects.filter(purpose=kind, is_active=True).exists():
            Pathway.objects.create(
                purpose=kind,
                region="",
                person_group=group,
                service=service,
                priority=1,
            )


@transaction.atomic
def exercise_start(
    *,
    actor: User | None,
    pack_name: str,
    speed: float = 60.0,
    allow_path: bool = False,
) -> Started:
    """Start an exercise: its agencies' organisations, trainee accounts
    (passwords and one-time-password keys, printed once), personas and
    injects, and a paused clock at day 1, 08:00. `actor` None: the command
    line, which also makes a trainer account."""
    require_trainer(actor)
    clock.require_speed(speed)
    guard.mark()  # refuses a database with real cases
    if clock.running() is not None:
        raise Conflict(
            _("An exercise is already running: reset it first."),
            code="exercise_running",
        )
    if not allow_path and pack_name not in packs.available():
        # The pages name a pack of the pack folders, never a file path.
        raise InvalidInput(
            _("There is no scenario pack of this name."),
            code="unknown_pack",
            detail={"pack": ["Unknown pack."]},
        )
    pack = packs.load(packs.find(pack_name))
    _profile()
    real = timezone.now()
    start_day = timezone.localdate(max(real, workflow_clock.now()))
    day_zero = timezone.make_aware(
        datetime.combine(start_day, DAY_STARTS), timezone.get_current_timezone()
    )
    exercise = Exercise.objects.create(
        pack_id=pack.id,
        pack_title=pack.title,
        started_by=actor,
        started_at=real,
        day_zero=day_zero,
        anchor_real=real,
        anchor_exercise=day_zero,
        speed=speed,
        paused=True,
    )
    tag = exercise.pk.hex[:4]
    credentials: list[Credential] = []
    if actor is None:
        control = _organisation(CONTROL, OrganisationKind.NRM_COORDINATOR, "national")
        credentials.append(
            _account(
                exercise,
                username=f"trainer-{tag}",
                role=Role.TRAINER,
                organisation=control,
                agency=None,
            )
        )
    for spec in pack.data["agencies"]:
        organisation = _organisation(spec["name"], spec["kind"], spec["region"])
        _services(organisation, spec.get("services", []))
        agency = ExerciseAgency.objects.create(
            exercise=exercise, key=spec["key"], organisation=organisation
        )
        for trainees in spec["trainees"]:
            for n in range(1, trainees["count"] + 1):
                credentials.append(
                    _account(
                        exercise,
                        username=f"{spec['key']}-{trainees['role'].split('_')[0]}{n}-{tag}",
                        role=trainees["role"],
                        organisation=organisation,
                        agency=agency,
                    )
                )
    for persona in pack.data["personas"]:
        ExercisePersona.objects.create(exercise=exercise, key=persona["key"])
    _contact_point(exercise, pack)
    for spec in pack.data["injects"]:
        hour, minute = (int(x) for x in spec.get("at", "09:00").split(":"))
        due = day_zero + timedelta(days=spec["day"] - 1, hours=hour - 8, minutes=minute)
        fields = {
            k: v for k, v in spec.items() if k in ("agency", "persona", "personas")
        }
        Inject.objects.create(
            exercise=exercise,
            key=spec["key"],
            kind=spec["kind"],
            spec=fields,
            due_at=due,
        )
    return Started(exercise=exercise, credentials=credentials)


def _contact_point(exercise: Exercise, pack) -> None:
    """A pack whose foreign mechanism sends a hand-over names the agency
    receiving it (the `handover_received` inject's `agency`): it becomes the
    profile's transnational contact point, where the real inbox opens
    inbound cases."""
    keys = [
        spec["agency"]
        for spec in pack.data["injects"]
        if spec["kind"] == "handover_received" and "agency" in spec
    ]
    if not keys:
        return
    profile = _profile()
    profile.transnational_contact_point = exercise.agencies.get(
        key=keys[0]
    ).organisation
    profile.save(update_fields=["transnational_contact_point"])


def _running(exercise_id) -> Exercise:
    exercise = Exercise.objects.select_for_update().filter(pk=exercise_id).first()
    if exercise is None or exercise.state != ExerciseState.RUNNING:
        raise Conflict(_("This exercise is not running."), code="exercise_not_running")
    return exercise


def inject_fire(*, actor: User | None, inject_id: int) -> Inject:
    """Fire one inject now, through the real services. A kind the workflow
    cannot play yet is refused with its reason (and stays pending). A
    refusal is passed to the kind's `on_refusal` after the rollback (the inbox
    audits a refused package as for a real partner's)."""
    require_trainer(actor)
    kind = injects.KINDS.get(Inject.objects.get(pk=inject_id).kind)
    try:
        return _inject_fire(inject_id)
    except ApplicationError as refusal:
        if kind is not None and kind.on_refusal is not None:
            kind.on_refusal(refusal)
        raise


def _inject_fire(inject_id: int) -> Inject:
    with transaction.atomic():
        inject = Inject.objects.select_for_update().get(pk=inject_id)
        exercise = _running(inject.exercise_id)
        if inject.state == InjectState.FIRED:
            raise Conflict(_("This inject has fired already."), code="inject_fired")
        kind = injects.KINDS.get(inject.kind)
        if kind is None or kind.fire is None:
            # Checked in the pack, not playable yet: the trainer plays it on
            # paper (the inject's row on the page says why).
            raise Conflict(
                _(
                    "This mechanism cannot play this kind of inject yet: "
                    "play it on paper."
                ),
                code="inject_kind_unavailable",
                detail={"kind": inject.kind},
            )
        pack = packs.load(packs.find(exercise.pack_id))
        try:
            inject.outcome = kind.fire(exercise, inject.spec, pack)
        except NotVisible:
            raise Conflict(
                _(
                    "The agency of this inject cannot see the persona's case "
                    "yet (it has not accepted a referral)."
                ),
                code="inject_case_not_visible",
                detail={"inject": inject.key},
            ) from None
        inject.state = InjectState.FIRED
        inject.fired_at = workflow_clock.now()
        inject.save(update_fields=["outcome", "state", "fired_at"])
    return inject


def injects_fire_due(*, actor: User | None = None) -> list[Inject]:
    """Fire every pending inject whose time has come on the exercise clock
    (the trainer's schedule; `manage.py fire_injects`, or the sweep). One
    that cannot fire is marked refused with its code, so the schedule goes
    on."""
    require_trainer(actor)
    exercise = clock.running()
    if exercise is None:
        return []
    done = []
    due = exercise.injects.filter(
        state=InjectState.PENDING, due_at__lte=workflow_clock.now()
    )
    for inject in list(due):
        try:
            done.append(inject_fire(actor=actor, inject_id=inject.pk))
        except ApplicationError as refusal:
            Inject.objects.filter(pk=inject.pk).update(
                state=InjectState.REFUSED, outcome=refusal.code[:64]
            )
    return done


def clock_set(*, actor: User | None, exercise_id, speed=None, paused=None) -> Exercise:
    require_trainer(actor)
    return clock.clock_set(exercise_id=exercise_id, speed=speed, paused=paused)


def clock_jump(*, actor: User | None, exercise_id, to: datetime) -> Exercise:
    require_trainer(actor)
    return clock.clock_jump(exercise_id=exercise_id, to=to)


def clock_jump_to_next_inject(*, actor: User | None, exercise_id) -> list[Inject]:
    """Jump to the next pending inject's time and fire what is due."""
    require_trainer(actor)
    nxt = (
        Inject.objects.filter(exercise_id=exercise_id, state=InjectState.PENDING)
        .order_by("due_at")
        .first()
    )
    if nxt is None:
        raise Conflict(_("No inject is left to jump to."), code="no_inject_left")
    clock.clock_jump(exercise_id=exercise_id, to=nxt.due_at)
    return injects_fire_due(actor=actor)


@transaction.atomic
def exercise_reset(*, actor: User | None, exercise_id) -> Exercise:
    """End the exercise: its accounts are disabled and the clock is the real
    one again; its cases stay for the debrief. Start the pack again for a new
    run (a fresh database, for a clean slate: docs/training.md)."""
    require_trainer(actor)
    exercise = _running(exercise_id)
    real = timezone.now()
    exercise.anchor_exercise = exercise.exercise_time(real)
    exercise.anchor_real = real
    exercise.paused = True
    exercise.state = ExerciseState.ENDED
    exercise.ended_at = real
    exercise.save(
        update_fields=["anchor_exercise", "anchor_real", "paused", "state", "ended_at"]
    )
    from training import exchange  # it builds on these services

    exchange.partners_retire(exercise)
    for account in exercise.accounts.select_related("user"):
        if actor is not None and account.user_id == actor.pk:
            continue
        account.user.is_active = False
        account.user.save(update_fields=["is_active"])
    return exercise
