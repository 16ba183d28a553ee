"""The trainer's pages, the band, the interview card on the screening page
and the debrief page, through the test client."""

from __future__ import annotations

import pytest
from django.test import Client

from core.training import BAND
from tests.support.auth import signed_in
from tests.support.training import trainee, trainer
from training.models import Exercise


@pytest.fixture
def control(training_mechanism):
    boss = trainer()
    return boss, signed_in(Client(), boss)


def _start(client) -> Exercise:
    response = client.post(
        "/training/start/", {"pack": "reception-mixed-arrival", "speed": "120"}
    )
    assert response.status_code == 200
    assert b"credentials" in response.content
    return Exercise.objects.get(state="running")


@pytest.mark.django_db
def test_the_trainer_starts_runs_and_debriefs_an_exercise(control):
    boss, client = control
    page = client.get("/training/")
    assert page.status_code == 200
    assert BAND in page.content.decode()
    exercise = _start(client)
    assert exercise.speed == 120 and exercise.paused
    assert "day 1 08:00" in client.get("/training/").content.decode()

    client.post(f"/training/{exercise.pk}/clock/", {"action": "next"})
    arrived = exercise.personas.exclude(case=None)
    assert arrived.count() == 3
    home = client.get("/training/").content.decode()
    assert "day 1 09:00" in home and "Fired" in home

    # A trainee screens the farmhand: each question shows the scripted answer.
    officer = signed_in(Client(), trainee(exercise, "reception", "reception_officer"))
    farmhand = exercise.personas.get(key="farmhand").case_id
    screening = officer.get(
        f"/cases/{farmhand}/screen/?catalogue=ilo-2009-adult-labour&lang=en"
    )
    text = screening.content.decode()
    assert screening.status_code == 200
    assert 'id="persona-card"' in text and BAND in text
    assert "Fourteen hours, every day, no Sunday." in text
    # With an actor in the room, the trainer hides the answers.
    hidden = officer.get(
        f"/cases/{farmhand}/screen/?catalogue=ilo-2009-adult-labour&lang=en&card=hide"
    ).content.decode()
    assert 'id="persona-card-show"' in hidden
    assert "Fourteen hours" not in hidden
    # In Russian, the pack's Russian answers.
    russian = officer.get(
        f"/cases/{farmhand}/screen/?catalogue=ilo-2009-adult-labour&lang=ru"
    ).content.decode()
    assert "Четырнадцать часов каждый день" in russian
    response = officer.post(
        f"/cases/{farmhand}/screen/?catalogue=ilo-2009-adult-labour&lang=en",
        {
            "catalogue_id": "ilo-2009-adult-labour",
            "codes": ["al.ec.excessive_hours", "al.cd.confiscation_of_documents"],
            "interpreter_language": "ru",
            "notes": "",
        },
    )
    assert response.status_code == 302

    debrief = client.get(f"/training/{exercise.pk}/debrief/")
    text = debrief.content.decode()
    assert debrief.status_code == 200
    assert '<dd id="fig-recognised">2 / 12</dd>' in text
    assert "<svg" in text and "screened (possible)" in text
    by_agency = client.get(f"/training/{exercise.pk}/debrief/?agency=reception")
    assert by_agency.status_code == 200
    assert (
        client.get(f"/training/{exercise.pk}/debrief/?agency=nobody").status_code == 404
    )

    # The foreign mechanism's hand-over fires from the page, through the
    # real inbox; firing it again is refused with its reason.
    handover = exercise.injects.get(key="foreign-handover")
    client.post(f"/training/injects/{handover.pk}/fire/", follow=True)
    handover.refresh_from_db()
    assert (handover.state, handover.outcome) == ("fired", "received")
    assert exercise.personas.get(key="farmhand").handover_case_id is not None
    refused = client.post(f"/training/injects/{handover.pk}/fire/", follow=True)
    assert "This inject has fired already." in refused.content.decode()

    client.post(f"/training/{exercise.pk}/reset/")
    exercise.refresh_from_db()
    assert exercise.state == "ended"
    assert not trainee(exercise, "reception", "reception_officer").is_active


@pytest.mark.django_db
def test_trainer_pages_are_absent_outside_a_training_mechanism(db):
    client = signed_in(Client(), trainer())
    assert client.get("/training/").status_code == 404


@pytest.mark.django_db
def test_only_a_trainer_runs_exercises(control):
    _boss, client = control
    exercise = _start(client)
    officer = signed_in(Client(), trainee(exercise, "reception", "reception_officer"))
    assert officer.get("/training/").status_code == 403
    assert (
        officer.post(f"/training/{exercise.pk}/clock/", {"action": "next"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_notifications_and_exports_say_training(control, mailoutbox):
    from nrm import outbox
    from nrm.models import Organisation

    organisation = Organisation.objects.get(name="Exercise control")
    organisation.email = "control@training.invalid"
    organisation.save(update_fields=["email"])
    outbox.enqueue("deadline.overdue", organisation=organisation, case_id="x")
    outbox.deliver_pending()
    (mail,) = mailoutbox
    assert mail.subject.startswith(f"[{BAND}]") and BAND in mail.body


def test_every_export_of_a_training_mechanism_is_marked(settings):
    from django.http import HttpResponse, StreamingHttpResponse

    from training.middleware import TrainingExportMiddleware

    settings.NRM_TRAINING = True
    csv = StreamingHttpResponse(iter([b"a,b\n"]), content_type="text/csv")
    csv["Content-Disposition"] = 'attachment; filename="audit.csv"'
    answer = TrainingExportMiddleware(lambda request: csv)(None)
    assert b"".join(answer.streaming_content) == f"# {BAND}\na,b\n".encode()
    assert answer["Content-Disposition"].endswith(
        'filename="TRAINING-NOT-REAL-PEOPLE-audit.csv"'
    )
    json_export = HttpResponse(b"{}", content_type="application/json")
    json_export["Content-Disposition"] = 'attachment; filename="subject-access.json"'
    answer = TrainingExportMiddleware(lambda request: json_export)(None)
    assert answer["X-NRM-Training"] == BAND
    assert (
        "TRAINING-NOT-REAL-PEOPLE-subject-access.json" in answer["Content-Disposition"]
    )


@pytest.mark.django_db
def test_a_clock_of_no_running_exercise_is_refused_with_a_message(control):
    _boss, client = control
    exercise = _start(client)
    client.post(f"/training/{exercise.pk}/reset/")
    answer = client.post(
        f"/training/{exercise.pk}/clock/",
        {"action": "speed", "speed": "5"},
        follow=True,
    )
    assert answer.status_code == 200
    assert "This exercise is not running." in answer.content.decode()
    answer = client.post(
        "/training/start/", {"pack": "no-such-pack", "speed": "5"}, follow=True
    )
    assert answer.status_code == 200
    assert "There is no scenario pack of this name." in answer.content.decode()
    answer = client.post("/training/start/", {"pack": "/etc/passwd"}, follow=True)
    assert "There is no scenario pack of this name." in answer.content.decode()


@pytest.mark.django_db
def test_the_admin_sign_in_page_carries_the_band_too(training_mechanism):
    page = Client().get("/admin/login/")
    assert BAND in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("speed", ["inf", "nan", "-5", "0", "1e9"])
def test_an_exercise_cannot_start_with_a_clock_that_cannot_run(control, speed):
    """Infinity, NaN, a negative or zero speed would stop every page of the
    mechanism (the exercise clock is everyone's clock): refused at the start
    with the clock's own message, nothing started."""
    _boss, client = control
    answer = client.post(
        "/training/start/",
        {"pack": "reception-mixed-arrival", "speed": speed},
        follow=True,
    )
    assert answer.status_code == 200
    assert "speed must be above 0 and at most 10,000" in answer.content.decode()
    assert not Exercise.objects.exists()
