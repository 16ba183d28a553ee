"""The audit trail: append-only in the database, hash-chained, verifiable;
reads of personal data are events; supervisors read their organisation's
trail and produce a data subject's history."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from nrm.models import AuditEvent
from referral.models import Case
from tests.support.journeys import to_assessment, to_referral_pending

pytestmark = pytest.mark.django_db


def test_the_database_refuses_update_and_delete_of_audit_rows(mechanism):
    to_referral_pending(mechanism)
    event = AuditEvent.objects.order_by("id").first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="case.transition")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE nrm_auditevent SET reason_code = 'x' WHERE id = %s", [event.pk]
        )


def _tamper(sql: str, params: list) -> None:
    """What an attacker with the database superuser's rights could do: switch
    the triggers off for the session, edit, switch them back on."""
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        try:
            cur.execute(sql, params)
        finally:
            cur.execute("SET session_replication_role = DEFAULT")


def test_verify_passes_on_an_intact_chain(mechanism):
    to_assessment(mechanism)
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "intact" in out.getvalue()


def test_verify_names_an_altered_row(mechanism):
    to_assessment(mechanism)
    victim = AuditEvent.objects.order_by("id")[3]
    _tamper(
        "UPDATE nrm_auditevent SET to_state = 'recognised' WHERE id = %s", [victim.pk]
    )
    with pytest.raises(
        CommandError, match=f"#{victim.pk}: content does not match its MAC"
    ):
        call_command("verify_audit")


def test_verify_names_the_link_after_a_removed_row(mechanism):
    to_assessment(mechanism)
    events = list(AuditEvent.objects.order_by("id").values_list("pk", flat=True))
    _tamper("DELETE FROM nrm_auditevent WHERE id = %s", [events[2]])
    with pytest.raises(CommandError, match=f"#{events[3]}: previous hash"):
        call_command("verify_audit")


def test_verify_notices_removal_at_the_end(mechanism):
    to_assessment(mechanism)
    last = AuditEvent.objects.order_by("-id").first()
    _tamper("DELETE FROM nrm_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError, match="head does not match"):
        call_command("verify_audit")


def test_reading_personal_data_writes_exactly_one_read_event(mechanism):
    reception, case_id = to_referral_pending(mechanism)
    before = AuditEvent.objects.filter(action="person.read").count()
    response = reception.get(f"/api/v1/cases/{case_id}/")
    assert response.status_code == 200
    reads = AuditEvent.objects.filter(action="person.read").order_by("id")
    assert reads.count() == before + 1
    event = reads.last()
    assert event.actor == mechanism.user["reception"]
    assert str(event.case_id) == case_id
    assert event.extra["fields"] == [
        "given_names",
        "family_name",
        "aliases",
        "date_of_birth",
        "place_of_birth",
        "contact_details",
        "identity_documents",
        "notes",
    ]
    # Lists and write responses decrypt nothing.
    reception.get("/api/v1/cases/")
    reception.post(
        f"/api/v1/cases/{case_id}/transitions/suspend/",
        {"reason": "contact_lost"},
        format="json",
    )
    assert AuditEvent.objects.filter(action="person.read").count() == before + 1


def test_no_personal_value_is_written_into_the_trail(mechanism):
    reception, case_id = to_assessment(mechanism)
    reception.get(f"/api/v1/cases/{case_id}/")
    person = Case.objects.get(pk=case_id).person
    secrets = [person.given_names, person.family_name, "Synthetic"]
    for event in AuditEvent.objects.all():
        text = repr(
            [
                event.action,
                event.object_id,
                event.reason_code,
                event.extra,
                event.from_state,
                event.to_state,
            ]
        )
        for secret in secrets:
            assert secret not in text


def test_supervisor_reads_the_organisations_trail_and_exports_csv(mechanism):
    _, case_id = to_assessment(mechanism)
    supervisor = mechanism.client("supervisor")
    response = supervisor.get(f"/api/v1/audit/events/?case={case_id}")
    assert response.status_code == 200
    actions = [e["action"] for e in response.json()["results"]]
    assert "case.transition" in actions and "referral.accepted" in actions
    filtered = supervisor.get("/api/v1/audit/events/?action=referral.sent").json()
    assert {e["action"] for e in filtered["results"]} == {"referral.sent"}
    export = supervisor.get(f"/api/v1/audit/events/?case={case_id}&format=csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][0] == "id" and len(rows) > 3
    assert AuditEvent.objects.filter(action="audit.exported").count() == 1


def test_audit_trail_refusals(mechanism):
    to_assessment(mechanism)
    for username in ("reception", "caseworker", "rapporteur", "admin", "decider"):
        response = mechanism.client(username).get("/api/v1/audit/events/")
        assert response.status_code == 403, username
    bad = mechanism.client("supervisor").get("/api/v1/audit/events/?since=yesterday")
    assert bad.status_code == 400


def test_a_supervisor_sees_no_other_organisations_events(mechanism):
    from nrm.roles import Role

    _, case_id = to_referral_pending(mechanism)
    mechanism.add_user(
        "south_supervisor", Role.SUPERVISOR, mechanism.org["South Reception Centre"]
    )
    other = mechanism.client("south_supervisor")
    body = other.get(f"/api/v1/audit/events/?case={case_id}").json()
    assert body["results"] == []


def test_subject_access_export(mechanism):
    reception, case_id = to_assessment(mechanism)
    supervisor = mechanism.client("supervisor")
    response = supervisor.get(f"/api/v1/cases/{case_id}/subject-access/")
    assert response.status_code == 200
    document = response.json()
    person = Case.objects.get(pk=case_id).person
    assert document["person"]["family_name"] == person.family_name
    [case] = document["cases"]
    assert case["screenings"][0]["notes"] == "Synthetic interview note."
    assert any(h["action"] == "case.transition" for h in case["history"])
    assert (
        AuditEvent.objects.filter(
            action="person.subject_access_exported", case_id=case_id
        ).count()
        == 1
    )
    # Only a supervisor of the registering organisation.
    assert reception.get(f"/api/v1/cases/{case_id}/subject-access/").status_code == 403
    idworker = mechanism.client("idworker")
    assert idworker.get(f"/api/v1/cases/{case_id}/subject-access/").status_code == 403
