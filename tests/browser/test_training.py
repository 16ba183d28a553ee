"""A training exercise in a real browser: the trainer starts it and runs the
clock, a trainee screens a persona with the persona's answers beside each
question, and the trainer reads the debrief. Screenshots go to
docs/screenshots/ (training-trainer.png, training-screening.png,
training-debrief.png). Every page carries the training band."""

from __future__ import annotations

from base64 import b32decode

import pytest
from playwright.sync_api import expect

from core.training import BAND
from referral import services
from tests.support.browser import PASSWORD, SCREENSHOTS, code_for_key, screenshot
from tests.support.training import trainee, trainer
from training.models import Exercise

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def training_mechanism(settings, transactional_db):
    settings.NRM_TRAINING = True
    settings.NRM_CLOCK = "training.clock.exercise_now"
    return settings


def sign_in(page, username: str, password: str, otp_key: str | None = None) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    if otp_key:
        page.get_by_label("One-time password").fill(code_for_key(b32decode(otp_key)))
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(username)


def test_an_exercise_in_the_browser(browsing, training_mechanism):
    boss = trainer()
    boss.set_password(PASSWORD)
    boss.save(update_fields=["password"])
    control = browsing().page
    sign_in(control, boss.username, PASSWORD)
    expect(control.locator("#training-band")).to_have_text(BAND)
    control.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Exercise control"
    ).click()
    control.get_by_label("Scenario pack").select_option("reception-mixed-arrival")
    control.get_by_role("button", name="Start: create the trainees' accounts").click()
    expect(control.locator("#credentials")).to_be_visible()
    rows = control.locator("#credentials tbody tr")
    first = rows.filter(has_text="reception-reception1")
    username, password, otp_key = (
        first.locator("td").nth(i).inner_text() for i in (2, 3, 4)
    )
    control.get_by_role("link", name="To the exercise control").click()
    control.get_by_role("button", name="Jump to the next inject").click()
    expect(control.locator("#exercise-time")).to_contain_text("day 1 09:00")
    screenshot(control, "training-trainer")

    exercise = Exercise.objects.get(state="running")
    farmhand = exercise.personas.get(key="farmhand").case_id
    officer = browsing().page
    sign_in(officer, username, password, otp_key)
    officer.goto(f"/cases/{farmhand}/screen/?catalogue=ilo-2009-adult-labour&lang=en")
    expect(officer.locator("#persona-card")).to_be_visible()
    expect(officer.locator(".persona-answer").first).to_contain_text("packing house")
    # What the tablet shows (the interview is long): the card and the first
    # questions with the persona's answers.
    officer.locator("#persona-card").evaluate("card => card.scrollIntoView()")
    officer.screenshot(
        path=str(SCREENSHOTS / "training-screening.png"),
        animations="disabled",
        caret="hide",
    )
    for code in (
        "al.dr.nature_of_job",
        "al.dr.wages",
        "al.ec.excessive_hours",
        "al.cd.confiscation_of_documents",
        "al.cd.debt_bondage",
    ):
        officer.locator(f'[id="indicator-{code}"]').check()
    officer.get_by_role("button", name="Record the screening").click()
    expect(officer.locator("#training-band")).to_have_text(BAND)

    # The rest of the day, through the services the pages call.
    reception = trainee(exercise, "reception", "reception_officer")
    agencies = {a.key: a for a in exercise.agencies.all()}
    dancer = exercise.personas.get(key="dancer").case_id
    services.screening_record(
        actor=reception,
        case_id=dancer,
        catalogue_id="ilo-2009-adult-sexual",
        indicator_codes=[
            "as.dr.nature_of_job",
            "as.ec.excessive_hours",
            "as.cd.isolation",
            "as.cd.forced_tasks_or_clients",
        ],
        interpreter_language="ru",
    )
    for case_id in (farmhand, dancer):
        services.rights_inform(
            actor=reception,
            case_id=case_id,
            script="rights_script_v1",
            language="ru",
            interpreter_present=True,
        )
        services.consent_record(
            actor=reception,
            case_id=case_id,
            to_organisation_id=agencies["authority"].organisation_id,
            purpose="identification",
            given=True,
            language="ru",
            interpreter_used=True,
        )
        services.referral_send(
            actor=reception,
            case_id=case_id,
            to_organisation_id=agencies["authority"].organisation_id,
            purpose="identification",
        )
    control.goto("/training/")
    control.get_by_role("button", name="Jump to the next inject").click()
    control.get_by_role("link", name="Debrief (printable)").click()
    expect(control.locator("#fig-referrals")).to_have_text("2")
    screenshot(control, "training-debrief")
