"""Mixed journeys for bench/load_journeys.py (run by it; not on its own).

Reads its tokens and ids from the JSON file named by NRM_LOAD_CONFIG. Every
request is named by its endpoint, so the figures are per endpoint. A status
other than the expected ones is a failure; a 5xx is a failure named "5xx".
"""

from __future__ import annotations

import itertools
import json
import os
import random

from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["NRM_LOAD_CONFIG"]).read())  # noqa: PTH123, SIM115
_numbers = itertools.count(1)


def _check(response, expected: tuple[int, ...]) -> None:
    if response.status_code >= 500:
        response.failure("5xx")
    elif response.status_code not in expected:
        response.failure(f"unexpected status {response.status_code}")
    else:
        response.success()


class ReceptionJourneys(HttpUser):
    """A reception officer and the identification authority's case worker:
    reads most of the time, and whole referral journeys in between."""

    wait_time = between(0.05, 0.3)

    def on_start(self):
        self.reception = {"Authorization": f"Token {CONFIG['reception_token']}"}
        self.worker = {"Authorization": f"Token {CONFIG['worker_token']}"}
        self.cases = list(CONFIG["case_ids"])

    def call(self, method, path, name, headers, body=None, expected=(200,)):
        with self.client.request(
            method, path, json=body, headers=headers, name=name, catch_response=True
        ) as response:
            _check(response, expected)
            return response

    @task(6)
    def me(self):
        self.call("GET", "/api/v1/auth/me/", "GET /auth/me/", self.reception)

    @task(3)
    def case_list(self):
        self.call("GET", "/api/v1/cases/?limit=20", "GET /cases/", self.reception)

    @task(2)
    def case_detail(self):
        if not self.cases:
            return
        case_id = random.choice(self.cases)
        self.call(
            "GET", f"/api/v1/cases/{case_id}/", "GET /cases/{id}/", self.reception
        )

    @task(1)
    def deadlines(self):
        self.call("GET", "/api/v1/deadlines/", "GET /deadlines/", self.worker)

    @task(2)
    def journey(self):
        n = next(_numbers)
        person = {
            "given_names": f"Loadgiven{os.getpid()}x{n}",
            "family_name": f"Loadfamily{os.getpid()}x{n}",
            "date_of_birth": "1991-04-20",
            "sex": random.choice(["female", "male"]),
            "age_group": "25-34",
            "citizenship": "XB",
            "reception_stage": "registration_screening",
            "language": "ru",
            "asylum_status": "applied",
            "exploitation_forms": ["labour"],
            "notes": "Synthetic load-test narrative.",
        }
        response = self.call(
            "POST", "/api/v1/cases/", "POST /cases/", self.reception, person, (201,)
        )
        if response.status_code != 201:
            return
        case_id = response.json()["id"]
        self.cases.append(case_id)
        screening = {
            "catalogue_id": "ilo-2009-adult-labour",
            "indicator_codes": CONFIG["presumed_codes"],
            "interpreter_language": "ru",
            "notes": "Synthetic interview note.",
        }
        self.call(
            "POST",
            f"/api/v1/cases/{case_id}/transitions/screen/",
            "POST /cases/{id}/transitions/screen/",
            self.reception,
            screening,
        )
        target = {
            "to_organisation_id": CONFIG["authority_id"],
            "purpose": "identification",
        }
        self.call(
            "POST",
            f"/api/v1/cases/{case_id}/transitions/inform-of-rights/",
            "POST /cases/{id}/transitions/inform-of-rights/",
            self.reception,
            {"script": "rights_script_v1", "language": "ru"},
        )
        self.call(
            "POST",
            f"/api/v1/cases/{case_id}/transitions/record-consent/",
            "POST /cases/{id}/transitions/record-consent/",
            self.reception,
            {**target, "given": True, "language": "ru", "interpreter_used": True},
        )
        sent = self.call(
            "POST",
            f"/api/v1/cases/{case_id}/transitions/send-referral/",
            "POST /cases/{id}/transitions/send-referral/",
            self.reception,
            target,
        )
        if sent.status_code != 200:
            return
        self.call(
            "POST",
            f"/api/v1/referrals/{sent.json()['result']['id']}/accept/",
            "POST /referrals/{id}/accept/",
            self.worker,
        )
        for name, body in (("suspend", {"reason": "contact_lost"}), ("resume", {})):
            self.call(
                "POST",
                f"/api/v1/cases/{case_id}/transitions/{name}/",
                "POST /cases/{id}/transitions/{name}/",
                self.reception,
                body,
            )
