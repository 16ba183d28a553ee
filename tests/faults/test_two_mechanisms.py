"""Two mechanisms side by side: this test's instance (XA, the test database,
served by gunicorn) and a second one (XC: its own database, keys, partner
directory and gunicorn server; tests/support/peer.py). Nothing is mocked
between them: they exchange keys through their well-known URLs, the
package and the acknowledgements through their inboxes, over loopback HTTP.

A case transferred on XA arrives on XC, whose contact point opens the
person's name and accepts the hand-over; XC's signed acknowledgement closes
the loop on XA. A dump of either database holds none of the person's data
in clear."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from nrm.models import OutboxMessage
from nrm.outbox import deliver_pending
from referral.models import Case, Deadline, Handover
from referral.vault import exchangekeys
from tests.support.exchange import tamper
from tests.support.gunicorn import gunicorn
from tests.support.gunicorn import test_database_url as xa_database_url
from tests.support.journeys import consent, step, to_referral_pending
from tests.support.mechanism import Mechanism
from tests.support.peer import peer_instance, pg_dump

pytestmark = pytest.mark.django_db(transaction=True)

JWKS = "/api/v1/.well-known/jwks.json"
INBOX = "/api/v1/transnational/inbox/"


@pytest.fixture
def our_keys(settings, tmp_path):
    path = tmp_path / "xa-exchange.json"
    settings.TRANSNATIONAL_KEY_FILE = str(path)
    settings.TRANSNATIONAL_MECHANISM_ID = "XA"
    exchangekeys.create_exchange_keys(path)
    exchangekeys.reload_exchange_keys()
    return {"TRANSNATIONAL_KEY_FILE": str(path), "TRANSNATIONAL_MECHANISM_ID": "XA"}


def test_a_case_transferred_on_one_mechanism_arrives_and_is_acknowledged(
    our_keys, tmp_path
):
    mechanism = Mechanism()
    with (
        peer_instance(tmp_path, mechanism_id="XC") as xc,
        gunicorn(workers=2, environment=our_keys) as xa_server,
    ):
        xa = f"http://{xa_server.host}:{xa_server.port}"
        token = xc.call(
            "tests.support.peer:seed_contact_point",
            country="XC",
            partner_organisation="Mechanism of XA",
        )["token"]
        # Each directory imports the other's keys from its well-known URL.
        out = io.StringIO()
        call_command(
            "transnational_partner",
            "--mechanism-id",
            "XC",
            "--country",
            "XC",
            "--name",
            "Mechanism of XC",
            "--keys",
            xc.url + JWKS,
            "--inbox-url",
            xc.url + INBOX,
            "--organisation",
            mechanism.foreign_nrm.name,
            stdout=out,
        )
        assert out.getvalue().count(" new") == 2
        imported = xc.manage(
            "transnational_partner",
            "--mechanism-id",
            "XA",
            "--country",
            "XA",
            "--name",
            "Mechanism of XA",
            "--keys",
            xa + JWKS,
            "--inbox-url",
            xa + INBOX,
            "--organisation",
            "Mechanism of XA",
        )
        assert imported.count(" new") == 2

        # XA: the transfer queues the package in the outbox, as ciphertext.
        reception, case_id = to_referral_pending(mechanism)
        consent(reception, case_id, mechanism.foreign_nrm, "transnational")
        step(reception, case_id, "transfer", {"country": "XC"})
        case = Case.objects.get(pk=case_id)
        given, family = case.person.given_names, case.person.family_name
        queued = OutboxMessage.objects.get(kind="transnational.handover")
        package = queued.payload["package"]
        assert len(package.split(".")) == 5
        assert given not in package and family not in package

        # XA's relay posts it to XC's inbox; XC answers "received".
        assert deliver_pending() >= 1, list(
            OutboxMessage.objects.values_list("kind", "last_error")
        )
        handover = Handover.objects.get(case_id=case_id, direction="outbound")
        assert handover.status == "received"
        queued.refresh_from_db()
        assert queued.delivered_at is not None and queued.attempts == 1

        # XC: the contact point finds the inbound case and opens the name.
        status, cases = xc.server.request("GET", "/api/v1/cases/", token=token)
        assert status == 200, cases
        [inbound] = cases["results"]
        status, detail = xc.server.request(
            "GET", f"/api/v1/cases/{inbound['id']}/", token=token
        )
        assert status == 200, detail
        assert (detail["person"]["given_names"], detail["person"]["family_name"]) == (
            given,
            family,
        )
        status, listed = xc.server.request(
            "GET", f"/api/v1/cases/{inbound['id']}/handovers/", token=token
        )
        [received] = listed["results"]
        assert received["partner_reference"] == str(case_id)
        assert received["partner"]["mechanism_id"] == "XA"

        # XC accepts; its relay posts the signed acknowledgement to XA.
        status, answered = xc.server.request(
            "POST",
            f"/api/v1/cases/{inbound['id']}/transitions/answer-handover/",
            {"accept": True},
            token=token,
        )
        assert status == 200, answered
        assert xc.manage("deliver_outbox").startswith("1 ")
        handover.refresh_from_db()
        assert handover.status == "accepted"
        assert handover.partner_reference == inbound["id"]
        ack_deadline = Deadline.objects.get(case_id=case_id, kind="handover_ack")
        assert ack_deadline.met_at is not None

        # The same package again opens no second case on XC.
        status, replay = xc.server.request("POST", INBOX, {"package": package})
        assert status == 409 and replay["code"] == "package_replayed"
        # One byte changed is refused by XC; XC's package is refused by XA.
        status, tampered = xc.server.request(
            "POST", INBOX, {"package": tamper(package)}
        )
        assert (status, tampered["code"]) == (400, "package_tampered")
        status, misdirected = xa_server.request("POST", INBOX, {"package": package})
        assert (status, misdirected["code"]) == (400, "package_not_addressed_to_us")
        rows = xc.call("tests.support.peer:handover_rows")
        assert rows["cases"] == 1 and rows["persons"] == 1
        assert rows["handovers"] == [["inbound", "accepted", str(case_id)]]

        # Neither database holds the person's data in clear.
        for dump in (pg_dump(xa_database_url()), pg_dump(xc.database_url)):
            assert "handover" in dump
            for value in (given, family, "Synthetic narrative", "interview note"):
                assert value not in dump
