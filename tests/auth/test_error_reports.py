"""An error while handling personal data: no log line and no e-mail carries it."""

import io
import logging

import pytest
from django.core import mail
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.auth.error_urls")]

# Synthetic values standing for personal data in the request.
GIVEN_NAME = "Zynthetica"
QUERY = "Quorvald"
COOKIE = "Cookievalue7"


@pytest.fixture
def console_output():
    """The configured console handler (JSON lines), writing into a buffer."""
    handler = next(
        h for h in logging.getLogger("django").handlers if h.get_name() == "console"
    )
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_error_reports_carry_no_personal_data(settings, caplog, console_output):
    settings.ADMINS = [("Administrators", "admins@example.invalid")]
    settings.DEBUG = False
    logging.getLogger("django").addHandler(caplog.handler)
    try:
        client = Client(raise_request_exception=False)
        client.cookies["preference"] = COOKIE
        response = client.post(
            f"/test-only/fail/?q={QUERY}",
            {"given_name": GIVEN_NAME, "note": f"{GIVEN_NAME} {QUERY}"},
            HTTP_REFERER=f"https://nrm.example.org/search/?q={QUERY}",
        )
    finally:
        logging.getLogger("django").removeHandler(caplog.handler)

    assert response.status_code == 500
    outputs = {
        "response": response.content.decode(),
        "caplog": caplog.text,
        "console": console_output.getvalue(),
    }
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    outputs["mail subject"] = message.subject
    outputs["mail body"] = message.body
    for index, (content, _mimetype) in enumerate(message.alternatives):
        outputs[f"mail alternative {index}"] = str(content)
    for where, text in outputs.items():
        for value in (GIVEN_NAME, QUERY, COOKIE):
            assert value not in text, f"{where} carries a personal value"
    # The report still locates the fault.
    assert "ValueError" in message.body
    assert "fail_with_personal_data" in message.body
    assert "given_name" in message.body  # the name of the field, not its value
    assert "ValueError" in outputs["console"]
    assert "fail_with_personal_data" in outputs["console"]


def test_the_debug_page_withholds_the_same(settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.post(f"/test-only/fail/?q={QUERY}", {"given_name": GIVEN_NAME})
    page = response.content.decode()
    assert response.status_code == 500
    assert "fail_with_personal_data" in page
    assert GIVEN_NAME not in page
    assert QUERY not in page
