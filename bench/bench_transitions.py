"""Service transitions per second in one process on PostgreSQL, against the
raw-SQL floor (lock, UPDATE, audit INSERT, COMMIT through psycopg2), and the
cost of the audit write (a transition with and without it).

    .venv/bin/python bench/bench_transitions.py [--cases 100] [--rounds 10]
"""

from __future__ import annotations

import argparse
import operator
import time

from _django import setup


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    setup()

    from django.db import connection

    from nrm import audit
    from nrm.demo import load_directory
    from nrm.models import Organisation, User
    from referral import services
    from tests.support.mechanism import person_payload, presumed_adult_codes

    load_directory()
    reception = User.objects.get(username="reception")
    idworker = User.objects.get(username="idworker")
    authority = Organisation.objects.get(name="National Identification Authority")
    codes = presumed_adult_codes()
    case_ids = []
    for _ in range(args.cases):
        payload = person_payload()
        payload.pop("date_of_birth")
        registration = services.case_register(
            actor=reception, date_of_birth=None, is_child=False, **payload
        )
        case_id = registration.case.pk
        services.screening_record(
            actor=reception,
            case_id=case_id,
            catalogue_id="ilo-2009-adult-labour",
            indicator_codes=codes,
        )
        services.rights_inform(
            actor=reception,
            case_id=case_id,
            script="rights_script_v1",
            language="ru",
        )
        services.consent_record(
            actor=reception,
            case_id=case_id,
            to_organisation_id=authority.pk,
            purpose="identification",
            given=True,
            language="ru",
        )
        referral = services.referral_send(
            actor=reception,
            case_id=case_id,
            to_organisation_id=authority.pk,
            purpose="identification",
        )
        services.referral_accept(actor=idworker, referral_id=referral.pk)
        case_ids.append(case_id)

    def service_round() -> int:
        for case_id in case_ids:
            reception._active_memberships = None  # a request's first access
            services.case_suspend(
                actor=reception, case_id=case_id, reason="contact_lost"
            )
            services.case_resume(actor=reception, case_id=case_id)
        return 2 * len(case_ids)

    def service_round_without_audit() -> int:
        real_record = audit.record
        audit.record = lambda *a, **k: None
        try:
            return service_round()
        finally:
            audit.record = real_record

    # The raw floor: the same row lock, state UPDATE and an audit INSERT with a
    # hash, one transaction each, straight through psycopg2.
    raw = connection.connection
    org_id = str(authority.pk)
    user_id = str(reception.pk)

    def raw_round() -> int:
        raw.autocommit = False
        for case_id in case_ids:
            for state in ("suspended", "assessment"):
                with raw.cursor() as cur:
                    cur.execute(
                        "SELECT id, state FROM referral_case WHERE id = %s FOR UPDATE",
                        [str(case_id)],
                    )
                    cur.fetchone()
                    cur.execute(
                        "UPDATE referral_case SET state = %s, state_changed_at = now() "
                        "WHERE id = %s",
                        [state, str(case_id)],
                    )
                    cur.execute(
                        "INSERT INTO nrm_auditevent (occurred_at, actor_id, "
                        "organisation_id, role, action, object_type, object_id, "
                        "case_id, from_state, to_state, reason_code, extra, key_id, prev_hash, "
                        "hash) VALUES (now(), %s, %s, 'reception_officer', "
                        "'case.transition', 'case', %s, %s, 'assessment', %s, '', "
                        "'{}', '', '', md5(random()::text) || md5(random()::text))",
                        [user_id, org_id, str(case_id), str(case_id), state],
                    )
                raw.commit()
        raw.autocommit = True
        return 2 * len(case_ids)

    # The three are interleaved round by round, so that each sees the same
    # load on a shared machine and the ratio compares like with like.
    totals = {
        service_round: [0, 0.0],
        service_round_without_audit: [0, 0.0],
        raw_round: [0, 0.0],
    }
    for run in totals:
        run()  # warm up
    for _ in range(args.rounds):
        for run, total in totals.items():
            start = time.perf_counter()
            total[0] += run()
            total[1] += time.perf_counter() - start
    n = totals[service_round][0]
    service_rate = n / totals[service_round][1]
    no_audit_rate = operator.truediv(*totals[service_round_without_audit])
    raw_rate = operator.truediv(*totals[raw_round])

    print(f"cases: {len(case_ids)}, transitions per run: {n}")
    print(f"service transitions/s (with audit):    {service_rate:8.1f}")
    print(f"service transitions/s (without audit): {no_audit_rate:8.1f}")
    print(f"raw SQL floor transitions/s:           {raw_rate:8.1f}")
    print(f"ratio raw floor / service:             {raw_rate / service_rate:8.2f}")
    print(f"ratio service / raw floor:             {service_rate / raw_rate:8.3f}")
    print(
        f"audit cost: transition time with / without audit: "
        f"{no_audit_rate / service_rate:.2f}"
    )


if __name__ == "__main__":
    main()
