"""Tamper evidence that survives the database's owner: the chain is keyed
(HMAC, key outside the database), TRUNCATE is refused, and anchors kept
outside the database show the removal of the newest events."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from nrm import audit, audit_keys
from nrm.models import AuditChainHead, AuditEvent
from tests.referral.test_journeys import step, to_assessment

pytestmark = pytest.mark.django_db


def _as_owner(*statements: tuple[str, list]) -> None:
    """What the tables' owner (or a superuser) can do: switch the triggers off
    for the session, rewrite, switch them back on."""
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        try:
            for sql, params in statements:
                cur.execute(sql, params)
        finally:
            cur.execute("SET session_replication_role = DEFAULT")


def _plain_hash(prev: str, event: AuditEvent) -> str:
    """The unkeyed SHA-256 an attacker can recompute (the chain's old form)."""
    body = {n: audit._canonical(getattr(event, n)) for n in audit._HASHED_FIELDS}
    body["key_id"] = event.key_id
    body["prev_hash"] = prev
    encoded = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def _anchor(tmp_path) -> str:
    path = tmp_path / "anchors.jsonl"
    out = io.StringIO()
    call_command("audit_anchor", file=str(path), stdout=out)
    printed = json.loads(out.getvalue())
    assert json.loads(path.read_text().splitlines()[-1]) == printed
    head = AuditChainHead.objects.get(pk=1)
    assert printed["sequence"] == head.last_id and printed["mac"] == head.last_hash
    return str(path)


def test_events_carry_the_key_id_and_a_mac_of_a_key_outside_the_database(mechanism):
    to_assessment(mechanism)
    keyset = audit_keys.keys()
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {keyset.active}
    first = AuditEvent.objects.order_by("id").first()
    assert first.hash != _plain_hash(first.prev_hash, first)


def test_an_edit_with_recomputed_plain_hashes_is_detected(mechanism):
    to_assessment(mechanism)
    events = list(AuditEvent.objects.order_by("id"))
    victim = events[3]
    # The attacker edits one event and rebuilds every later link and the head
    # with the (public) unkeyed algorithm.
    victim.to_state = "recognised"
    prev = victim.prev_hash
    rewrites = []
    for event in events[3:]:
        event.prev_hash = prev
        event.hash = _plain_hash(prev, event)
        rewrites.append(
            (
                "UPDATE nrm_auditevent SET to_state = %s, prev_hash = %s, hash = %s "
                "WHERE id = %s",
                [event.to_state, event.prev_hash, event.hash, event.pk],
            )
        )
        prev = event.hash
    rewrites.append(("UPDATE nrm_auditchainhead SET last_hash = %s", [prev]))
    _as_owner(*rewrites)
    with pytest.raises(
        CommandError, match=f"#{victim.pk}: content does not match its MAC"
    ):
        call_command("verify_audit")


def test_truncation_is_refused_and_detected_against_an_anchor(mechanism, tmp_path):
    to_assessment(mechanism)
    anchors = _anchor(tmp_path)
    with connection.cursor() as cur:  # no deferred checks pending in this test
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in ("nrm_auditevent", "nrm_auditchainhead"):
        with (
            pytest.raises(DatabaseError, match="cannot be truncated"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(f"TRUNCATE {table}")  # noqa: S608 - a fixed table name
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditChainHead.objects.all().delete()
    # The owner switches the triggers off and empties both tables: the chain
    # alone is "intact: 0 events"; the anchor shows what was there.
    _as_owner(("TRUNCATE nrm_auditevent, nrm_auditchainhead", []))
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact: 0 events" in out.getvalue()
    with pytest.raises(CommandError, match="no longer reach the head anchored"):
        call_command("verify_audit", anchor=anchors)


def test_removing_the_newest_events_after_an_anchor_is_detected(mechanism, tmp_path):
    reception, case_id = to_assessment(mechanism)
    anchors = _anchor(tmp_path)
    step(reception, case_id, "suspend", {"reason": "contact_lost"})
    call_command("verify_audit", anchor=anchors, stdout=io.StringIO())
    # Remove the anchored event and everything after it; set the head back to
    # the event before, whose MAC is genuine: the chain itself verifies.
    anchored = json.loads(open(anchors).read())["sequence"]  # noqa: PTH123, SIM115
    keep = AuditEvent.objects.filter(id__lt=anchored).order_by("-id").first()
    _as_owner(
        ("DELETE FROM nrm_auditevent WHERE id >= %s", [anchored]),
        (
            "UPDATE nrm_auditchainhead SET last_id = %s, last_hash = %s",
            [keep.pk, keep.hash],
        ),
    )
    call_command("verify_audit", stdout=io.StringIO())
    with pytest.raises(CommandError, match=f"#{anchored}: the events no longer"):
        call_command("verify_audit", anchor=anchors)


def test_an_anchor_can_be_mailed_outside_the_service(mechanism, tmp_path, mailoutbox):
    to_assessment(mechanism)
    out = io.StringIO()
    call_command("audit_anchor", file="-", mail=["oversight@example.org"], stdout=out)
    [message] = mailoutbox
    assert message.to == ["oversight@example.org"]
    assert json.loads(message.body) == json.loads(out.getvalue())
    path = tmp_path / "mailed.jsonl"
    path.write_text(message.body)
    call_command("verify_audit", anchor=str(path), stdout=io.StringIO())


def test_anchor_file_refusals(mechanism, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(CommandError, match="line 1 is not an audit anchor"):
        call_command("verify_audit", anchor=str(bad))
    with pytest.raises(CommandError, match="Cannot read the anchor file"):
        call_command("verify_audit", anchor=str(tmp_path / "absent.jsonl"))


@pytest.fixture
def own_key_file(settings, tmp_path):
    """A key file of this test's own, made by the command, before any event."""
    path = tmp_path / "audit-keys.json"
    settings.AUDIT_KEY_FILE = str(path)
    settings.AUDIT_CREATE_KEY_FILE = False
    out = io.StringIO()
    call_command("audit_keygen", stdout=out)
    assert "Created" in out.getvalue()
    return path


def test_rotated_keys_verify_old_and_new_events(own_key_file, mechanism):
    path = own_key_file
    reception, case_id = to_assessment(mechanism)
    first = audit_keys.keys().active
    call_command("audit_keygen", stdout=io.StringIO())
    second = audit_keys.keys().active
    assert second != first and path.stat().st_mode & 0o077 == 0
    step(reception, case_id, "suspend", {"reason": "contact_lost"})
    assert AuditEvent.objects.order_by("-id").first().key_id == second
    call_command("verify_audit", stdout=io.StringIO())
    # Without the older key, its events cannot be checked: said, not passed.
    data = json.loads(path.read_text())
    del data["keys"][first]
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="a key the key file does not hold"):
        call_command("verify_audit")


def test_the_system_check_names_a_missing_or_open_key_file(settings, tmp_path):
    from django.core import checks

    settings.AUDIT_KEY_FILE = str(tmp_path / "absent.json")
    settings.AUDIT_CREATE_KEY_FILE = False
    [error] = [m for m in checks.run_checks() if m.id.startswith("audit.")]
    assert error.id == "audit.E001" and "AUDIT_KEY_FILE" in error.msg
    path = tmp_path / "keys.json"
    audit_keys.create_key_file(path)
    settings.AUDIT_KEY_FILE = str(path)
    assert not [m for m in checks.run_checks() if m.id.startswith("audit.")]
    path.chmod(0o644)
    [warning] = [m for m in checks.run_checks() if m.id.startswith("audit.")]
    assert warning.id == "audit.W001"
