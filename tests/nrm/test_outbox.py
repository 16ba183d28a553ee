"""Notifications: every kind the services send is declared, with its subject."""

from __future__ import annotations

import uuid

import pytest

from nrm.demo import load_directory
from nrm.models import Organisation
from nrm.outbox import Notification, deliver_pending, enqueue


def test_every_kind_has_a_subject_of_its_own():
    subjects = [kind.label for kind in Notification]
    assert all(kind.label and kind.label != kind.value for kind in Notification)
    assert len(set(subjects)) == len(subjects)


@pytest.mark.django_db
def test_an_undeclared_kind_is_refused():
    load_directory()
    organisation = Organisation.objects.order_by("name").first()
    with pytest.raises(ValueError):
        enqueue("case.transferred", organisation=organisation, case_id=uuid.uuid4())


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind", [Notification.REFERRAL_WITHDRAWN, Notification.REFERRAL_EXPIRED]
)
def test_a_delivered_notification_carries_its_subject(mailoutbox, kind):
    load_directory()
    organisation = Organisation.objects.order_by("name").first()
    organisation.email = "inbox@demo.invalid"
    organisation.save(update_fields=["email"])
    enqueue(kind, organisation=organisation, referral_id=uuid.uuid4())
    assert deliver_pending() == 1
    assert [mail.subject for mail in mailoutbox] == [kind.label]
