"""The transnational exchange in one process: the inbox against a synthetic
partner holding its own keys (tests/support/exchange.py), the transfer step
queuing a signed, encrypted package, acknowledgements, the download, the
return kind, the relay's backoff and the overdue acknowledgement. The two
real instances side by side are tests/faults/test_two_mechanisms.py."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from nrm.models import AuditEvent, CountryProfile, OutboxMessage
from nrm.outbox import deliver_pending
from nrm.roles import Role
from referral import services
from referral.models import (
    Case,
    DataKey,
    Deadline,
    Handover,
    Person,
    Referral,
)
from referral.vault import jose
from tests.support.casework import page_client
from tests.support.exchange import ForeignMechanism, own_public, tamper, use_own_keys
from tests.support.journeys import consent, step, to_referral_pending

INBOX = "/api/v1/transnational/inbox/"


@pytest.fixture
def exchange(mechanism, settings, tmp_path):
    """Our keys, a contact point with a case worker, and partner XC standing
    for the directory's foreign contact point."""
    use_own_keys(settings, tmp_path)
    profile = CountryProfile.objects.get(is_active=True)
    profile.transnational_contact_point = mechanism.org["NRM Co-ordination Office"]
    profile.save(update_fields=["transnational_contact_point"])
    mechanism.user["contact"] = mechanism.add_user(
        "contact", Role.CASE_WORKER, profile.transnational_contact_point
    )
    return ForeignMechanism("XC", organisation=mechanism.foreign_nrm)


def post(sealed: str):
    return APIClient().post(INBOX, {"package": sealed}, format="json")


def rows() -> tuple[int, ...]:
    return (
        Case.objects.count(),
        Person.objects.count(),
        DataKey.objects.count(),
        Handover.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_our_public_keys_are_at_the_well_known_url(exchange):
    body = APIClient().get("/api/v1/.well-known/jwks.json").json()
    assert body["mechanism"] == "XA"
    assert {k["use"] for k in body["keys"]} == {"sig", "enc"}
    assert all("d" not in k for k in body["keys"])


def test_a_package_opens_an_inbound_case_at_the_contact_point(mechanism, exchange):
    response = post(exchange.seal(exchange.package(n=7)))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "received"
    ack = exchange.open(response.json()["acknowledgement"])
    assert (ack["typ"], ack["status"], ack["aud"]) == (
        "nrm-acknowledgement/1",
        "received",
        "XC",
    )
    handover = Handover.objects.get(direction="inbound")
    case = handover.case
    assert str(handover.package_id) == ack["handover"]
    assert case.organisation.name == "NRM Co-ordination Office"
    assert handover.partner_reference == "XC-CASE-7"
    assert handover.partner.mechanism_id == "XC" and handover.package == ""
    assert Deadline.objects.filter(case=case, kind="handover_onward").count() == 1
    # The contact point opens the person's name (sealed under our own keys).
    contact = mechanism.client("contact")
    listed = contact.get(f"/api/v1/cases/{case.pk}/handovers/").json()["results"]
    assert [(h["direction"], h["partner_reference"]) for h in listed] == [
        ("inbound", "XC-CASE-7")
    ]
    detail = contact.get(f"/api/v1/cases/{case.pk}/")
    assert detail.status_code == 200, detail.json()
    assert detail.json()["person"]["given_names"] == "Syntheticgiven7"
    raw = Person.objects.filter(pk=case.person_id).values_list("given_names", flat=True)
    assert b"Syntheticgiven7" not in bytes(raw[0])
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"handover.received", "person.registered"} <= actions


def _refused(response, code: str, before: tuple, events: int) -> None:
    assert 400 <= response.status_code < 500, response.content
    assert response.json()["code"] == code
    assert rows() == before
    new = AuditEvent.objects.order_by("-occurred_at", "-id")[
        : AuditEvent.objects.count() - events
    ]
    assert [(e.action, e.reason_code, e.case_id, e.extra) for e in new] == [
        ("handover.refused", code, None, {})
    ]


def test_a_package_with_one_byte_changed_is_refused(exchange):
    sealed = exchange.seal(exchange.package())
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(tamper(sealed)), "package_tampered", before, events)


def test_a_replayed_package_is_refused_and_opens_one_case(exchange):
    sealed = exchange.seal(exchange.package())
    assert post(sealed).status_code == 200
    before, events = rows(), AuditEvent.objects.count()
    replay = post(sealed)
    _refused(replay, "package_replayed", before, events)
    # The sender whose first answer was lost still gets its acknowledgement.
    again = exchange.open(replay.json()["detail"]["acknowledgement"])
    assert again["status"] == "received"
    assert Case.objects.filter(handovers__direction="inbound").count() == 1


def test_an_expired_package_is_refused(exchange):
    old = timezone.now() - timedelta(days=15)
    sealed = exchange.seal(exchange.package(made_at=old))
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(sealed), "package_expired", before, events)


def test_a_package_signed_by_an_unknown_key_is_refused(exchange):
    stranger = ForeignMechanism("XD", listed=False)
    sealed = exchange.seal(exchange.package(), signing_key=stranger.signing)
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(sealed), "unknown_partner_key", before, events)


def test_a_package_signed_by_an_expired_partner_key_is_refused(exchange):
    PartnerKeyRows = exchange.partner.keys.filter(use="sig")
    PartnerKeyRows.update(valid_until=timezone.now() - timedelta(minutes=1))
    sealed = exchange.seal(exchange.package())
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(sealed), "unknown_partner_key", before, events)


def test_a_package_encrypted_to_another_mechanism_is_refused(exchange):
    other = ForeignMechanism("XE", listed=False)
    sealed = exchange.seal(exchange.package(aud="XE"), to_key=other.encryption)
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(sealed), "package_not_addressed_to_us", before, events)


def test_a_package_for_another_mechanism_encrypted_to_us_is_refused(exchange):
    sealed = exchange.seal(exchange.package(aud="XE"))
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(sealed), "package_not_addressed_to_us", before, events)


def test_garbage_is_refused_without_a_500(exchange):
    before, events = rows(), AuditEvent.objects.count()
    _refused(post("not.a.jwe"), "package_malformed", before, events)


# Sending


def _transfer(mechanism) -> tuple[str, Handover]:
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    step(reception, case_id, "transfer", {"country": "XC"})
    return case_id, Handover.objects.get(case_id=case_id, direction="outbound")


def test_the_transfer_queues_a_signed_encrypted_package(mechanism, exchange):
    case_id, handover = _transfer(mechanism)
    case = Case.objects.get(pk=case_id)
    assert case.state == "transferred" and handover.status == "queued"
    name = case.person.family_name
    message = OutboxMessage.objects.get(kind="transnational.handover")
    assert message.payload == {
        "handover_id": str(handover.pk),
        "package": handover.package,
    }
    assert len(handover.package.split(".")) == 5 and name not in handover.package
    claims = exchange.open(message.payload["package"])
    assert (claims["iss"], claims["aud"], claims["kind"]) == ("XA", "XC", "transfer")
    assert claims["jti"] == str(handover.package_id)
    assert claims["exp"] - claims["iat"] == 14 * 86400
    assert claims["case"]["prs_SecondName"] == name
    assert claims["case"]["nrm_sender_case_number"] == str(case_id)
    assert claims["case"]["nrm_screening"]["outcome"] == "presumed"
    assert Deadline.objects.filter(case=case, kind="handover_ack").count() == 1
    assert AuditEvent.objects.filter(action="handover.sent", case_id=case_id).exists()


@pytest.mark.parametrize(
    ("status", "reason", "shown"),
    [("accepted", "", "accepted"), ("declined", "person_not_found", "declined")],
)
def test_the_partners_acknowledgement_closes_the_loop(
    mechanism, exchange, status, reason, shown
):
    case_id, handover = _transfer(mechanism)
    received = exchange.acknowledgement(handover.package_id, "received")
    assert post(exchange.seal(received)).json()["status"] == "received"
    answer = exchange.acknowledgement(handover.package_id, status, reason_code=reason)
    assert post(exchange.seal(answer)).status_code == 200
    handover.refresh_from_db()
    assert (handover.status, handover.reason_code) == (shown, reason)
    assert handover.partner_reference == "XC-INBOUND-1"
    deadline = Deadline.objects.get(case_id=case_id, kind="handover_ack")
    assert deadline.met_at is not None
    shown_to = mechanism.client("reception").get(f"/api/v1/cases/{case_id}/handovers/")
    [listed] = shown_to.json()["results"]
    assert listed["status"] == shown
    assert [d["attempts"] for d in listed["deliveries"]] == [0]
    # The case page says so.
    page = page_client("reception").get(f"/cases/{case_id}/").content.decode()
    assert {"accepted": "Hand-over confirmed", "declined": "Hand-over declined"}[
        shown
    ] in page
    # A late or repeated "received" does not undo the answer.
    post(exchange.seal(exchange.acknowledgement(handover.package_id, "received")))
    handover.refresh_from_db()
    assert handover.status == shown


def test_an_acknowledgement_of_an_unknown_handover_is_refused(exchange):
    before, events = rows(), AuditEvent.objects.count()
    ack = exchange.acknowledgement("00000000-0000-4000-8000-000000000000", "accepted")
    _refused(post(exchange.seal(ack)), "unknown_handover", before, events)


def test_an_unacknowledged_handover_raises_an_overdue_deadline(mechanism, exchange):
    case_id, _ = _transfer(mechanism)
    services.deadlines_sweep(now=timezone.now() + timedelta(days=30))
    assert AuditEvent.objects.filter(
        action="deadline.overdue", case_id=case_id, reason_code="handover_ack"
    ).exists()


def test_the_relay_retries_with_backoff_and_shows_the_attempts(mechanism, exchange):
    case_id, handover = _transfer(mechanism)
    # Nothing listens on the partner's inbox (the discard port of loopback).
    assert deliver_pending() < OutboxMessage.objects.count()
    message = OutboxMessage.objects.get(kind="transnational.handover")
    assert message.attempts == 1 and message.delivered_at is None
    assert message.next_attempt_at > timezone.now()
    deliver_pending()
    message.refresh_from_db()
    assert message.attempts == 1  # not before its backoff ends
    listed = mechanism.client("reception").get(f"/api/v1/cases/{case_id}/handovers/")
    [delivery] = listed.json()["results"][0]["deliveries"]
    assert delivery["attempts"] == 1 and delivery["last_error"]


def test_the_supervisor_downloads_the_package_audited(mechanism, exchange):
    case_id, handover = _transfer(mechanism)
    url = f"/api/v1/cases/{case_id}/handover-package/"
    refused = mechanism.client("reception").get(url)
    assert refused.status_code == 403
    response = mechanism.client("supervisor").get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert response.json()["package"] == handover.package
    assert (
        AuditEvent.objects.filter(action="handover.downloaded", case_id=case_id).count()
        == 1
    )


def test_the_contact_point_answers_and_the_acknowledgement_is_queued(
    mechanism, exchange
):
    post(exchange.seal(exchange.package(n=3)))
    case = Handover.objects.get(direction="inbound").case
    contact = mechanism.client("contact")
    path = f"/api/v1/cases/{case.pk}/transitions/answer-handover/"
    refused = contact.post(path, {"accept": False}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "reason_required"
    done = contact.post(
        path, {"accept": False, "reason_code": "not_competent"}, format="json"
    )
    assert done.status_code == 200, done.json()
    message = OutboxMessage.objects.get(kind="transnational.acknowledgement")
    ack = exchange.open(message.payload["package"])
    assert (ack["status"], ack["reason_code"]) == ("declined", "not_competent")
    again = contact.post(path, {"accept": True}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "no_handover_to_answer"


def test_a_return_is_the_same_exchange(mechanism, exchange):
    reception, case_id = to_referral_pending(mechanism)
    case = Case.objects.select_related("person", "organisation").get(pk=case_id)
    with transaction.atomic():
        handover = services.handover_send(
            case=case,
            partner=exchange.partner,
            kind="return",
            actor=mechanism.user["reception"],
            membership=None,
            now=timezone.now(),
            details={
                "risk_assessment": "Synthetic: low risk on return.",
                "receiving_organisation": "Synthetic shelter of XC",
            },
        )
    claims = exchange.open(handover.package)
    assert claims["kind"] == "return"
    assert claims["case"]["nrm_return"]["receiving_organisation"] == (
        "Synthetic shelter of XC"
    )


def test_the_key_commands_create_rotate_and_list(settings, tmp_path, db):
    settings.TRANSNATIONAL_KEY_FILE = str(tmp_path / "keys.json")
    settings.TRANSNATIONAL_CREATE_KEY_FILE = False
    out = io.StringIO()
    call_command("transnational_keygen", stdout=out)
    call_command("transnational_keygen", "--rotate", stdout=out)
    listed = io.StringIO()
    call_command("transnational_keygen", "--list", stdout=listed)
    lines = listed.getvalue().split("\n")
    assert sum(" active" in line for line in lines) == 2
    assert sum(line.endswith(" old") for line in lines) == 2
    assert own_public("sig")["kid"] in listed.getvalue()


def test_a_partner_is_imported_from_its_key_set_with_fingerprints(
    mechanism, settings, tmp_path
):
    use_own_keys(settings, tmp_path)
    key_set = tmp_path / "jwks.json"
    key_set.write_text(
        APIClient().get("/api/v1/.well-known/jwks.json").content.decode()
    )
    out = io.StringIO()
    call_command(
        "transnational_partner",
        "--mechanism-id",
        "XF",
        "--country",
        "XF",
        "--name",
        "Synthetic mechanism XF",
        "--keys",
        str(key_set),
        "--inbox-url",
        "https://xf.invalid/api/v1/transnational/inbox/",
        stdout=out,
    )
    assert out.getvalue().count(" new") == 2
    fingerprints = sorted(line.split()[2] for line in out.getvalue().splitlines())
    listed = io.StringIO()
    call_command("transnational_keygen", "--list", stdout=listed)
    ours = sorted(line.split()[2] for line in listed.getvalue().splitlines())
    assert fingerprints == ours


def test_erasing_the_person_drops_the_packages_kept_for_partners(mechanism, exchange):
    case_id, handover = _transfer(mechanism)
    erased = mechanism.client("supervisor").post(
        f"/api/v1/cases/{case_id}/erase-person/"
    )
    assert erased.status_code == 200, erased.json()
    handover.refresh_from_db()
    message = OutboxMessage.objects.get(kind="transnational.handover")
    assert handover.package == "" and message.payload["package"] == ""
    deliver_pending()
    message.refresh_from_db()
    assert message.delivered_at is not None and message.attempts == 1


def test_a_package_with_codes_outside_our_lists_is_refused(exchange):
    claims = exchange.package()
    claims["case"]["nrm_age_group"] = "not-a-group"
    before, events = rows(), AuditEvent.objects.count()
    _refused(post(exchange.seal(claims)), "package_malformed", before, events)


def test_rotating_keys_loses_no_package_in_flight(mechanism, exchange):
    old_encryption = own_public("enc")
    case_id, handover = _transfer(mechanism)
    # We rotate while the partner still holds our old public keys.
    call_command("transnational_keygen", "--rotate", stdout=io.StringIO())
    assert own_public("enc")["kid"] != old_encryption["kid"]
    ack = exchange.acknowledgement(handover.package_id, "received")
    late = post(exchange.seal(ack, to_key=old_encryption))
    assert late.status_code == 200, late.json()
    # The partner rotates too: a new signing key beside the old one.
    new_signing = jose.new_key_pair(use="sig", kid="XC-sig-2")
    exchange.list_key(new_signing, "sig")
    answer = exchange.acknowledgement(handover.package_id, "accepted")
    assert post(exchange.seal(answer, signing_key=new_signing)).status_code == 200
    handover.refresh_from_db()
    assert handover.status == "accepted"


def test_a_transfer_to_a_partner_without_a_valid_key_writes_nothing(
    mechanism, exchange
):
    exchange.partner.keys.filter(use="enc").update(
        valid_until=timezone.now() - timedelta(minutes=1)
    )
    reception, case_id = to_referral_pending(mechanism)
    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    before = (rows(), Referral.objects.count(), AuditEvent.objects.count())
    refused = step(reception, case_id, "transfer", {"country": "XC"}, expect=409)
    assert refused["code"] == "partner_key_missing"
    assert (rows(), Referral.objects.count(), AuditEvent.objects.count()) == before
    assert Case.objects.get(pk=case_id).state == "referral_pending"


def test_a_return_to_a_partner_mechanism_is_sent_and_acknowledged(mechanism, exchange):
    """Item 6: the close for return to an organisation that stands for a
    partner mechanism sends the return through the same exchange (with the
    return's kind and risk levels, never the sealed reasons), after consent."""
    reception, case_id = to_referral_pending(mechanism)
    step(
        reception,
        case_id,
        "assess-risk",
        {"retrafficking_risk": "medium", "return_risk": "low", "reasons": "Synthetic."},
    )
    body = {
        "reason": "return",
        "return_kind": "voluntary",
        "partner_organisation_id": str(mechanism.foreign_nrm.pk),
        "partner_name": "",
    }
    before = (rows(), AuditEvent.objects.count())
    refused = step(reception, case_id, "close", body, expect=409)
    assert refused["code"] == "return_consent_required"
    assert (rows(), AuditEvent.objects.count()) == before
    assert Case.objects.get(pk=case_id).state == "referral_pending"

    consent(reception, case_id, mechanism.foreign_nrm, "transnational")
    step(reception, case_id, "close", body)
    handover = Handover.objects.get(case_id=case_id)
    assert (handover.kind, handover.direction) == ("return", "outbound")
    claims = exchange.open(handover.package)
    assert claims["kind"] == "return"
    assert claims["case"]["nrm_return"] == {
        "return_kind": "voluntary",
        "receiving_organisation": mechanism.foreign_nrm.name,
        "retrafficking_risk": "medium",
        "return_risk": "low",
    }
    assert "Synthetic." not in json.dumps(claims)
    assert OutboxMessage.objects.filter(kind="transnational.handover").count() == 1
    # The acknowledgement is owed: its deadline stays open after the close.
    assert Deadline.objects.filter(
        case_id=case_id, kind="handover_ack", met_at__isnull=True
    ).exists()


def test_the_inbox_answers_a_flood_with_429_and_audits_no_more(exchange, monkeypatch):
    """Anyone may post to the inbox and every refusal is audited: past the
    per-address rate the inbox answers 429 and writes nothing."""
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    cache.clear()
    monkeypatch.setattr(
        ScopedRateThrottle, "THROTTLE_RATES", {"transnational-inbox": "3/minute"}
    )
    answers = [post("not-a-package").status_code for _ in range(3)]
    assert answers == [400, 400, 400]
    events = AuditEvent.objects.count()
    flooded = post("not-a-package")
    assert flooded.status_code == 429
    assert flooded.json()["code"] == "throttled"
    assert AuditEvent.objects.count() == events
    cache.clear()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("iat", 1e20),
        ("iat", float("nan")),
        ("iat", 253402300799),
        ("exp", 1e11),
        ("exp", float("inf")),
    ],
)
def test_a_package_with_an_impossible_time_is_malformed(exchange, field, value):
    """A partner-signed time that overflows, is not a number, or outlives any
    package is a 400 and an audited refusal, never a 500."""
    sealed = exchange.seal({**exchange.package(), field: value})
    before = rows()
    events = AuditEvent.objects.count()
    answer = post(sealed)
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "package_malformed"
    assert rows() == before
    assert AuditEvent.objects.count() == events + 1
