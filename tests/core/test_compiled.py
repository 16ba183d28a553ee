"""`core.compiled`: a queryset built once per shape and run with new values
gives what the ORM gives, with one query and no second build."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.db.models.sql.query import Query
from django.db.transaction import TransactionManagementError

from core.compiled import CompiledQuery, _prepared_as
from core.errors import NotVisible
from referral import policy
from referral.models import Case
from tests.support.journeys import to_referral_pending

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _by_pk(_shape, case_id):
    return (
        Case.objects.select_related("person", "organisation")
        .filter(pk=case_id)
        .order_by()
    )


def test_the_compiled_read_gives_what_the_orm_gives(mechanism):
    _, first = to_referral_pending(mechanism)
    _, second = to_referral_pending(mechanism)
    query = CompiledQuery(_by_pk)
    for case_id in (first, second):
        (compiled,) = query.run("by-pk", uuid.UUID(str(case_id)))
        orm = Case.objects.select_related("person", "organisation").get(pk=case_id)
        assert _fields(compiled) == _fields(orm)
        # The related rows came with it, converted as the ORM converts them
        # (the person's sealed fields are read through the vault).
        assert _fields(compiled.person) == _fields(orm.person)
        assert _fields(compiled.organisation) == _fields(orm.organisation)
        assert not compiled._state.adding


def test_a_shape_is_built_once_and_then_costs_one_query(
    mechanism, monkeypatch, django_assert_num_queries
):
    _, first = to_referral_pending(mechanism)
    _, second = to_referral_pending(mechanism)
    query = CompiledQuery(_by_pk)
    query.run("by-pk", uuid.UUID(str(first)))

    def no_second_build(*args, **kwargs):
        raise AssertionError("the shape was compiled again")

    monkeypatch.setattr(Query, "get_compiler", no_second_build)
    with django_assert_num_queries(1):
        (found,) = query.run("by-pk", uuid.UUID(str(second)))
    assert str(found.pk) == str(second)
    assert query.run("by-pk", uuid.uuid4()) == []


@pytest.mark.django_db(transaction=True)
def test_a_locking_read_is_refused_outside_a_transaction_every_time(mechanism):
    """The ORM checks this when it builds the SQL; a shape is built once."""
    _, case_id = to_referral_pending(mechanism)
    query = CompiledQuery(
        lambda _shape, case_id: Case.objects.select_for_update().filter(pk=case_id)
    )
    with transaction.atomic():
        assert query.run("lock", uuid.UUID(str(case_id)))
    with pytest.raises(TransactionManagementError):
        query.run("lock", uuid.UUID(str(case_id)))


def test_a_value_that_does_not_reach_the_parameters_is_refused_at_build(db):
    query = CompiledQuery(lambda _shape, case_id: Case.objects.all())
    with pytest.raises(ValueError, match="did not reach"):
        query.run("ignores-its-value", uuid.uuid4())


def test_only_querysets_of_instances_can_be_compiled(db):
    for build in (
        lambda _shape, case_id: Case.objects.filter(pk=case_id).values("state"),
        lambda _shape, case_id: Case.objects.filter(pk=case_id).prefetch_related(
            "referrals"
        ),
    ):
        with pytest.raises(ValueError, match="model instances"):
            CompiledQuery(build).run("shape", uuid.uuid4())


def test_a_flag_must_be_part_of_the_key_not_a_value(db):
    query = CompiledQuery(
        lambda _shape, flag: Case.objects.filter(person__is_child=flag)
    )
    with pytest.raises(TypeError, match="part of the key"):
        query.run("flag", True)


def test_a_uuid_prepared_as_hex_is_substituted_as_hex():
    placeholder = uuid.uuid4()
    prepare = _prepared_as(placeholder, placeholder.hex)
    value = uuid.uuid4()
    assert prepare(value) == value.hex
    assert prepare(str(value)) == value.hex
    assert _prepared_as(placeholder, uuid.uuid4().hex) is None


def test_the_visible_case_read_refuses_what_is_not_a_case_id(mechanism):
    _, case_id = to_referral_pending(mechanism)
    reception = mechanism.user["reception"]
    assert str(policy.get_visible_case(reception, str(case_id)).pk) == str(case_id)
    for malformed in ("not-a-uuid", "", "1' OR '1'='1"):
        with pytest.raises(NotVisible):
            policy.get_visible_case(reception, malformed)


def test_the_visible_case_read_answers_each_user_for_themselves(mechanism):
    """The shape is shared between users with as many organisations: the
    grant answers must be each user's own."""
    _, case_id = to_referral_pending(mechanism)
    case_id = uuid.UUID(str(case_id))
    assert policy.get_visible_case(mechanism.user["reception"], case_id)
    with pytest.raises(NotVisible):
        policy.get_visible_case(mechanism.user["south_reception"], case_id)
    assert policy.get_visible_case(mechanism.user["reception"], case_id)


def test_the_orm_converters_run_on_every_row(mechanism):
    """A JSON column comes back as text from the driver; the field's
    converter turns it into the dict the ORM would give."""
    from nrm.models import AuditEvent

    _, case_id = to_referral_pending(mechanism)
    query = CompiledQuery(
        lambda _shape, case_id: AuditEvent.objects.filter(case_id=case_id).order_by(
            "pk"
        )
    )
    compiled = query.run("events", uuid.UUID(str(case_id)))
    orm = list(AuditEvent.objects.filter(case_id=case_id).order_by("pk"))
    assert [_fields(e) for e in compiled] == [_fields(e) for e in orm]
    assert any(isinstance(e.extra, dict) and e.extra for e in compiled)
