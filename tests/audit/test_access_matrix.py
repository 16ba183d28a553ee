"""The access matrix, generated from the OpenAPI schema.

Every API operation of the schema must have an entry in ENDPOINTS (the test
fails when a new endpoint arrives without one). Each entry says which object
the path names and which capability of the role table the operation needs.
For every role and every operation, the test calls it on an object the
role's organisation holds and on one of a foreign organisation, and asserts
the policy's answer:

- a foreign object is 404, the same as an absent one, and leaks no field;
- an object the role cannot see is 404; one it can see but whose operation
  its role lacks is 403; otherwise the operation is allowed (2xx, or a 400 or
  409 that is about the input or the state, never about access);
- `rapporteur` and `administrator` get no personal data anywhere;
- a receiving organisation that has not accepted sees no name or narrative;
- no response, anywhere, is a 500.

Each request runs in a transaction that is rolled back, so every check sees
the same world.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from django.db import transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from nrm.roles import Capability, Role, role_may
from referral import services
from referral.models import Case, Consent, DuplicateReview, Referral
from referral.policy import Rule
from referral.statistics import releases
from referral.statistics.periods import default_period
from referral.steps import STEPS
from tests.support.mechanism import (
    Mechanism,
    child_payload,
    client_for,
    person_payload,
    presumed_adult_codes,
)

C = Capability
pytestmark = pytest.mark.django_db

ALLOW, FORBID, HIDDEN = "allow", "forbid", "hidden"


@dataclass(frozen=True)
class Endpoint:
    obj: str | None  # "case", "referral", "consent", "duplicate_review",
    # "catalogue", "table" or None
    capability: str | None = None  # None: any signed-in user
    rule: str = ""  # a policy rule beyond the role table


# The policy for every operation of the API.
ENDPOINTS: dict[tuple[str, str], Endpoint] = {
    ("get", "/api/v1/cases/"): Endpoint(None),
    ("post", "/api/v1/cases/"): Endpoint(None, C.PERSON_REGISTER),
    ("get", "/api/v1/cases/{case_id}/"): Endpoint("case", C.CASE_VIEW),
    ("get", "/api/v1/cases/{case_id}/consents/"): Endpoint("case", C.CASE_VIEW),
    ("get", "/api/v1/cases/{case_id}/decisions/"): Endpoint("case", C.CASE_VIEW),
    ("post", "/api/v1/cases/{case_id}/erase-person/"): Endpoint(
        "case", C.PERSON_ERASE, "registering"
    ),
    ("get", "/api/v1/cases/{case_id}/history/"): Endpoint("case", C.CASE_VIEW),
    ("get", "/api/v1/cases/{case_id}/handovers/"): Endpoint("case", C.CASE_VIEW),
    ("get", "/api/v1/cases/{case_id}/handover-package/"): Endpoint(
        "case", C.HANDOVER_EXPORT, "registering"
    ),
    ("get", "/api/v1/cases/{case_id}/referrals/"): Endpoint("case", C.CASE_VIEW),
    ("get", "/api/v1/cases/{case_id}/screenings/"): Endpoint("case", C.CASE_VIEW),
    ("get", "/api/v1/cases/{case_id}/subject-access/"): Endpoint(
        "case", C.SUBJECT_ACCESS, "registering"
    ),
    ("get", "/api/v1/cases/{case_id}/transitions/"): Endpoint("case", C.CASE_VIEW),
    # Every declared step, each on its own route; its rule is its declaration's.
    **{
        ("post", f"/api/v1/cases/{{case_id}}/transitions/{name}/"): Endpoint(
            "case", rule="action"
        )
        for name in STEPS
    },
    ("post", "/api/v1/consents/{consent_id}/withdraw/"): Endpoint(
        "consent", C.CONSENT_RECORD, "consent_giver"
    ),
    ("get", "/api/v1/referrals/inbox/"): Endpoint(None, C.REFERRAL_INBOX),
    ("get", "/api/v1/referrals/outbox/"): Endpoint(None),
    ("get", "/api/v1/referrals/{referral_id}/"): Endpoint("referral"),
    ("post", "/api/v1/referrals/{referral_id}/accept/"): Endpoint(
        "referral", C.REFERRAL_ANSWER, "recipient"
    ),
    ("post", "/api/v1/referrals/{referral_id}/decline/"): Endpoint(
        "referral", C.REFERRAL_ANSWER, "recipient"
    ),
    ("post", "/api/v1/referrals/{referral_id}/complete/"): Endpoint(
        "referral", C.REFERRAL_ANSWER, "recipient"
    ),
    ("post", "/api/v1/referrals/{referral_id}/withdraw/"): Endpoint(
        "referral", C.REFERRAL_SEND, "sender"
    ),
    ("post", "/api/v1/referrals/{referral_id}/expire/"): Endpoint(
        "referral", C.REFERRAL_SEND, "sender"
    ),
    ("get", "/api/v1/anonymous-notifications/inbox/"): Endpoint(None, C.REFERRAL_INBOX),
    ("get", "/api/v1/deadlines/"): Endpoint(None, C.DEADLINES_VIEW),
    ("get", "/api/v1/organisations/"): Endpoint(None),
    ("get", "/api/v1/duplicate-reviews/"): Endpoint(None, C.DUPLICATE_REVIEW),
    ("get", "/api/v1/duplicate-reviews/{review_id}/"): Endpoint(
        "duplicate_review", C.DUPLICATE_REVIEW
    ),
    ("post", "/api/v1/duplicate-reviews/{review_id}/resolve/"): Endpoint(
        "duplicate_review", C.DUPLICATE_REVIEW
    ),
    ("get", "/api/v1/audit/events/"): Endpoint(None, C.AUDIT_READ),
    ("get", "/api/v1/indicator-catalogues/"): Endpoint(None),
    ("get", "/api/v1/indicator-catalogues/{catalogue_id}/"): Endpoint("catalogue"),
    ("post", "/api/v1/indicator-catalogues/{catalogue_id}/assess/"): Endpoint(
        "catalogue"
    ),
    ("get", "/api/v1/statistics/"): Endpoint(None, rule="statistics"),
    ("get", "/api/v1/statistics/{table}/"): Endpoint("table", rule="statistics"),
    ("get", "/api/v1/statistics/case-level/"): Endpoint(None, C.STATISTICS_CASE_LEVEL),
    ("get", "/api/v1/auth/me/"): Endpoint(None),
    ("post", "/api/v1/auth/token/"): Endpoint(None, rule="public"),
    ("post", "/api/v1/auth/token/revoke/"): Endpoint(None, rule="token_only"),
    ("post", "/api/v1/auth/token/revoke-all/"): Endpoint(None),
    # The transnational exchange: public keys, and the inbox partners post to
    # (authenticated by the package's signature, not by a session).
    ("get", "/api/v1/.well-known/jwks.json"): Endpoint(None, rule="public"),
    ("post", "/api/v1/transnational/inbox/"): Endpoint(None, rule="public"),
}

# One demo user per role (the guardian and the child-protection worker hold
# the child's case; the others the adult's).
USERS = {
    "reception": Role.RECEPTION_OFFICER,
    "caseworker": Role.CASE_WORKER,
    "idworker": Role.CASE_WORKER,
    "childworker": Role.CASE_WORKER,
    "decider": Role.DECISION_MAKER,
    "guardian": Role.GUARDIAN,
    "supervisor": Role.SUPERVISOR,
    "rapporteur": Role.RAPPORTEUR,
    "admin": Role.ADMINISTRATOR,
}


def schema_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    )


def test_every_api_operation_has_a_policy_entry():
    operations = schema_operations()
    missing = [op for op in operations if op not in ENDPOINTS]
    assert not missing, f"add these operations to ENDPOINTS: {missing}"
    stale = [op for op in ENDPOINTS if op not in operations]
    assert not stale, f"ENDPOINTS lists operations the API no longer has: {stale}"


class World:
    """Cases held by the demo organisations, and one held by a foreign one."""

    def __init__(self):
        m = self.m = Mechanism()
        reception, idworker = m.user["reception"], m.user["idworker"]
        childworker, caseworker = m.user["childworker"], m.user["caseworker"]
        # The adult's case, accepted by the authority and by the shelter.
        self.adult = self._register(reception, person_payload())
        services.screening_record(
            actor=reception,
            case_id=self.adult.pk,
            catalogue_id="ilo-2009-adult-labour",
            indicator_codes=presumed_adult_codes(),
        )
        self.adult_consent = self._consent(
            reception, self.adult, m.authority, "identification"
        )
        self.id_referral = services.referral_send(
            actor=reception,
            case_id=self.adult.pk,
            to_organisation_id=m.authority.pk,
            purpose="identification",
        )
        services.referral_accept(actor=idworker, referral_id=self.id_referral.pk)
        self._consent(reception, self.adult, m.shelter, "shelter")
        self.shelter_referral = services.referral_send(
            actor=reception,
            case_id=self.adult.pk,
            to_organisation_id=m.shelter.pk,
            purpose="shelter",
        )
        services.referral_accept(actor=caseworker, referral_id=self.shelter_referral.pk)
        # The child's case, with child protection and a guardian.
        self.child = self._register(reception, child_payload())
        result = services.screening_record(
            actor=reception,
            case_id=self.child.pk,
            catalogue_id="ilo-2009-adult-labour",
            indicator_codes=[],
        )
        self.child_referral = result.child_protection_referral
        services.referral_accept(actor=childworker, referral_id=self.child_referral.pk)
        services.guardian_appoint(
            actor=childworker, case_id=self.child.pk, guardian_id=m.user["guardian"].pk
        )
        self.child_consent = self._consent(
            m.user["guardian"], self.child, m.authority, "identification"
        )
        # A case sent to the authority and not yet accepted: its names must
        # not reach the authority's staff.
        self.pending = self._register(reception, person_payload())
        services.screening_record(
            actor=reception,
            case_id=self.pending.pk,
            catalogue_id="ilo-2009-adult-labour",
            indicator_codes=presumed_adult_codes(),
        )
        self._consent(reception, self.pending, m.authority, "identification")
        self.pending_referral = services.referral_send(
            actor=reception,
            case_id=self.pending.pk,
            to_organisation_id=m.authority.pk,
            purpose="identification",
        )
        # The foreign case: another reception centre's, shared with nobody here.
        south = m.user["south_reception"]
        foreign_person = person_payload()
        self.foreign = self._register(south, foreign_person)
        self.foreign_consent = self._consent(
            south, self.foreign, m.org["South Anti-Trafficking NGO"], "shelter"
        )
        self.foreign_referral = services.referral_send(
            actor=south,
            case_id=self.foreign.pk,
            to_organisation_id=m.org["South Anti-Trafficking NGO"].pk,
            purpose="shelter",
        )
        # Possible duplicates: one the North centre registered (its review),
        # one the South centre did (a foreign review).
        self._register(reception, foreign_person)
        self._register(south, {**foreign_person, "notes": "Synthetic."})
        self.review = DuplicateReview.objects.get(organisation=m.reception_centre)
        self.foreign_review = DuplicateReview.objects.exclude(pk=self.review.pk).get()
        self.people = {
            key: Case.objects.get(pk=case.pk).person
            for key, case in [
                ("adult", self.adult),
                ("child", self.child),
                ("pending", self.pending),
                ("foreign", self.foreign),
            ]
        }
        # The statistics serve stored releases: publish last year (the
        # case-level export's default) and the months of the period the
        # statistics endpoints answer by default.
        today = timezone.localdate()
        period = default_period(today)
        months = {(today.year - 1, m) for m in range(1, 13)}
        months |= {(period.year, m) for m in range(1, period.month_numbers[-1] + 1)}
        for year, month in sorted(months):
            releases.publish_month(year, month)

    @staticmethod
    def _register(actor, payload):
        payload = dict(payload)
        from datetime import date

        born = date.fromisoformat(payload.pop("date_of_birth"))
        child = payload["age_group"] in {"0-11", "12-14", "15-17"}
        return services.case_register(
            actor=actor, date_of_birth=born, is_child=child, **payload
        ).case

    @staticmethod
    def _consent(actor, case, organisation, purpose) -> Consent:
        services.rights_inform(
            actor=actor, case_id=case.pk, script="rights_script_v1", language="ru"
        )
        return services.consent_record(
            actor=actor,
            case_id=case.pk,
            to_organisation_id=organisation.pk,
            purpose=purpose,
            given=True,
            language="ru",
        )

    def own(self, username: str) -> dict:
        """The objects this user's organisation holds (or is sent)."""
        child_side = username in {"guardian", "childworker"}
        case = self.child if child_side else self.adult
        referral = {
            "caseworker": self.shelter_referral,
            "childworker": self.child_referral,
            "guardian": self.child_referral,
        }.get(username, self.id_referral)
        consent = self.child_consent if child_side else self.adult_consent
        return {
            "case": case,
            "referral": referral,
            "consent": consent,
            "duplicate_review": self.review,
        }

    def foreign_objects(self) -> dict:
        return {
            "case": self.foreign,
            "referral": self.foreign_referral,
            "consent": self.foreign_consent,
            "duplicate_review": self.foreign_review,
        }

    def secrets_hidden_from(self, username: str, role: str) -> list[str]:
        """Values that must never appear in this user's responses."""
        hidden = ["foreign", "pending"]
        if role in (Role.RAPPORTEUR, Role.ADMINISTRATOR):
            hidden += ["adult", "child"]
        elif username in {"guardian", "childworker"}:
            hidden += ["adult"]
        else:
            hidden += (
                ["child"]
                if username != "reception" and username != "supervisor"
                else []
            )
        values = [str(self.foreign.pk)]
        for key in hidden:
            person = self.people[key]
            values += [person.given_names, person.family_name, person.notes]
        return values


BODIES = {
    "/api/v1/cases/": lambda w: person_payload(),
    "/api/v1/referrals/{referral_id}/decline/": lambda w: {"reason": "no_capacity"},
    "/api/v1/indicator-catalogues/{catalogue_id}/assess/": lambda w: {"codes": []},
    "/api/v1/auth/token/": lambda w: {},
    "/api/v1/duplicate-reviews/{review_id}/resolve/": lambda w: {
        "outcome": "different_people"
    },
}

ACTION_BODIES = {
    "screen": {"catalogue_id": "ilo-2009-adult-labour", "indicator_codes": []},
    "flag-for-referral": {"reason_code": "urgent_danger"},
    "record-consent": {
        "to_organisation_id": None,
        "purpose": "medical",
        "given": True,
        "language": "ru",
    },
    "send-referral": {"to_organisation_id": None, "purpose": "medical"},
    "notify-anonymously": {},
    "appoint-guardian": {"guardian_id": None},
    "record-best-interests": {"recommendation": "remain", "summary": "Synthetic."},
    "decide-reasonable-grounds": {"positive": True, "reasons": "Synthetic."},
    "decide-conclusive-grounds": {"positive": True, "reasons": "Synthetic."},
    "reconsider": {"positive": True, "reasons": "Synthetic."},
    "inform-of-rights": {"script": "rights_script_v1", "language": "ru"},
    "record-child-views": {"views": "Synthetic views.", "language": "ru"},
    "record-age-assessment": {
        "method": "interview",
        "result": "child",
        "assessed_on": "2020-01-01",
    },
    "request-reconsideration": {"by_person": True, "grounds": "Synthetic."},
    "suspend": {"reason": "contact_lost"},
    "resume": {},
    "transfer": {"country": "XC"},
    "close": {"reason": "no_indicators"},
    "record-person-request": {"kind": "return", "language": "ru", "text": "Synthetic."},
    "notify-non-punishment": {
        "notified_organisation_id": None,
        "notified_on": "2020-01-01",
    },
    "assess-risk": {
        "retrafficking_risk": "low",
        "return_risk": "low",
        "reasons": "Synthetic.",
    },
    "record-reintegration-follow-up": {"outcome": "in_contact"},
    "record-residence-permit": {"status": "applied", "status_on": "2020-01-01"},
    "answer-handover": {"accept": True},
}


def _visible(world: World, username: str, role: str, case: Case) -> bool:
    if role in (Role.RAPPORTEUR, Role.ADMINISTRATOR):
        return False
    return case.pk in (world.own(username)["case"].pk,) or (
        username in {"reception", "supervisor"} and case.pk in (world.child.pk,)
    )


def expected(world, username, role, op, endpoint: Endpoint, action=None) -> str:
    """The policy's answer for this role on its own organisation's object."""
    method, path = op
    rule, capability = endpoint.rule, endpoint.capability
    if rule == "public":
        return ALLOW
    if rule == "token_only":
        return FORBID
    if rule == "statistics":
        return ALLOW if role in (Role.RAPPORTEUR, Role.SUPERVISOR) else FORBID
    if endpoint.obj in ("case", "consent"):
        own = world.own(username)
        if role in (Role.RAPPORTEUR, Role.ADMINISTRATOR):
            return HIDDEN
        case = own["case"]
        if rule == "action":
            capability = STEPS[action].capability
            if action == "record-consent":
                rule = "consent_giver"
            elif STEPS[action].rule != Rule.CASE:
                rule = STEPS[action].rule
        if rule in ("decision_maker", "reconsidering"):
            return ALLOW if username == "decider" else FORBID
        if rule == "child_protection":
            # The child-protection or guardianship authority holding the
            # case only: not the registering centre (its supervisor), not
            # the shelter that accepted a referral.
            may = role_may(role, capability)
            return ALLOW if may and username == "childworker" else FORBID
        if rule == "age_assessor":
            may = role_may(role, capability)
            holders = {"idworker", "decider", "childworker"}
            return ALLOW if may and username in holders else FORBID
        if rule == "assisting":
            may = role_may(role, capability)
            holders = {"reception", "supervisor", "caseworker", "childworker"}
            return ALLOW if may and username in holders else FORBID
        if rule == "registering":
            at_registering = username in {"reception", "supervisor"}
            return ALLOW if role_may(role, capability) and at_registering else FORBID
        if rule == "consent_giver" and case.person.is_child:
            return ALLOW if role == Role.GUARDIAN else FORBID
        if rule == "consent_giver" and role == Role.GUARDIAN:
            return FORBID
        return ALLOW if role_may(role, capability) else FORBID
    if endpoint.obj == "referral":
        referral = world.own(username)["referral"]
        if role in (Role.RAPPORTEUR, Role.ADMINISTRATOR, Role.GUARDIAN):
            return HIDDEN
        if rule == "recipient":
            at_recipient = username in {
                "idworker",
                "decider",
                "caseworker",
                "childworker",
            }
            return ALLOW if role_may(role, capability) and at_recipient else FORBID
        if rule == "sender":
            at_sender = username in {"reception", "supervisor"}
            return ALLOW if role_may(role, capability) and at_sender else FORBID
        del referral
        return ALLOW
    if capability is None:
        return ALLOW
    return ALLOW if role_may(role, capability) else FORBID


def outcome(status: int) -> str:
    assert status < 500, f"server error {status}"
    if status == 404:
        return HIDDEN
    if status in (401, 403):
        return FORBID
    return ALLOW


def _call(client, method: str, url: str, body: dict | None):
    with transaction.atomic():
        if method == "get":
            response = client.get(url)
        else:
            response = client.post(url, body or {}, format="json")
        transaction.set_rollback(True)
    content = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    return response.status_code, content.decode(errors="replace")


def _url(path: str, objects: dict, action: str | None = None) -> str:
    return (
        path.replace("{case_id}", str(objects["case"].pk))
        .replace("{referral_id}", str(objects["referral"].pk))
        .replace("{consent_id}", str(objects["consent"].pk))
        .replace("{review_id}", str(objects["duplicate_review"].pk))
        .replace("{catalogue_id}", "ilo-2009-adult-labour")
        .replace("{table}", "overview")
    )


def _step_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _body(world, path, action):
    if action is not None:
        body = dict(ACTION_BODIES[action])
        if "to_organisation_id" in body:
            body["to_organisation_id"] = str(world.m.org["North Health Centre"].pk)
        if "notified_organisation_id" in body:
            police = world.m.org["North Border Police"]
            body["notified_organisation_id"] = str(police.pk)
        if "guardian_id" in body:
            body["guardian_id"] = str(world.m.user["guardian"].pk)
        return body
    factory = BODIES.get(path)
    return factory(world) if factory else {}


@pytest.mark.parametrize("username", sorted(USERS))
def test_access_matrix(username, record_property):
    world = World()
    role = USERS[username]
    client = client_for(world.m.user[username])
    secrets = [s for s in world.secrets_hidden_from(username, role) if s]
    checks = 0
    failures = []
    for op in schema_operations():
        method, path = op
        endpoint = ENDPOINTS[op]
        actions = [_step_of(path)] if endpoint.rule == "action" else [None]
        for action in actions:
            body = _body(world, path, action)
            own = world.own(username)
            status, text = _call(client, method, _url(path, own, action), body)
            want = expected(world, username, role, op, endpoint, action)
            got = outcome(status)
            if got != want:
                failures.append((method, path, action, "own", want, got, status))
            for secret in secrets:
                if secret in text:
                    failures.append((method, path, action, "leak", "", "", status))
            checks += 1
            reviews_duplicates = role_may(role, C.DUPLICATE_REVIEW)
            if endpoint.obj in ("case", "referral", "consent") or (
                endpoint.obj == "duplicate_review" and reviews_duplicates
            ):
                foreign = world.foreign_objects()
                status, text = _call(client, method, _url(path, foreign, action), body)
                if status != 404:
                    failures.append(
                        (
                            method,
                            path,
                            action,
                            "foreign",
                            HIDDEN,
                            outcome(status),
                            status,
                        )
                    )
                else:
                    assert json.loads(text) == {
                        "code": "not_found",
                        "message": "Not found.",
                        "detail": None,
                    }
                checks += 1
    record_property("checks", checks)
    print(f"access matrix, {username}: {checks} checks")  # noqa: T201
    assert not failures, "\n".join(map(str, failures))


READ_ONLY = {
    "id": "00000000-0000-4000-8000-000000000001",
    "state": "recognised",
    "case": "00000000-0000-4000-8000-000000000002",
    "person": "00000000-0000-4000-8000-000000000003",
    "registered_by": "00000000-0000-4000-8000-000000000004",
    "owner": "00000000-0000-4000-8000-000000000005",
    "from_organisation": "00000000-0000-4000-8000-000000000006",
    "recovery_ends_on": "2000-01-01",
}


def _fingerprint(world: World) -> list:
    return [
        list(
            Case.objects.order_by("pk").values_list(
                "pk", "state", "organisation_id", "registered_by_id", "person_id"
            )
        ),
        list(
            Referral.objects.order_by("pk").values_list(
                "pk", "state", "case_id", "from_organisation_id"
            )
        ),
        list(Consent.objects.order_by("pk").values_list("pk", "case_id", "given")),
    ]


def test_no_write_endpoint_accepts_a_read_only_field():
    """Every write endpoint, given a valid body plus read-only fields (state,
    ids, owner, organisation), refuses it and changes nothing."""
    world = World()
    client = client_for(world.m.user["reception"])
    before = _fingerprint(world)
    tried = 0
    for method, path in schema_operations():
        if method != "post" or path.startswith("/api/v1/auth/"):
            continue  # sign-in endpoints take credentials, not records
        if ENDPOINTS[(method, path)].obj == "catalogue":
            continue  # the stateless assessment writes nothing
        endpoint = ENDPOINTS[(method, path)]
        actions = [_step_of(path)] if endpoint.rule == "action" else [None]
        for action in actions:
            body = {**_body(world, path, action), **READ_ONLY}
            url = _url(path, world.own("reception"), action)
            status, text = _call(client, "post", url, body)
            assert status in (400, 403, 404), (path, action, status, text)
            tried += 1
    # The registering organisation is an input, but never one the user is
    # not a member of.
    foreign_org = world.m.org["South Reception Centre"].pk
    response = client.post(
        "/api/v1/cases/",
        {**person_payload(), "organisation_id": str(foreign_org)},
        format="json",
    )
    assert response.status_code == 403
    assert _fingerprint(world) == before
    assert tried > 20
