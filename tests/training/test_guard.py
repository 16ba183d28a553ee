"""A training mechanism refuses a database with real cases; production
refuses a training database. Both at start-up: the system check (management
commands, runserver) and the WSGI entry point."""

from __future__ import annotations

import importlib
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tests.support.journeys import register
from tests.support.mechanism import person_payload
from training import guard
from training.models import TrainingMarker


def _start_wsgi():
    sys.modules.pop("config.wsgi", None)
    return importlib.import_module("config.wsgi")


@pytest.mark.django_db
def test_a_training_mechanism_refuses_a_database_with_real_cases(mechanism, settings):
    register(mechanism.client("reception"), person_payload())  # a real case
    settings.NRM_TRAINING = True
    with pytest.raises(SystemCheckError, match="holds cases and is not marked"):
        call_command("check")
    with pytest.raises(ImproperlyConfigured, match="never runs on real cases"):
        _start_wsgi()
    with pytest.raises(ImproperlyConfigured, match="never runs on real cases"):
        guard.mark()
    assert not TrainingMarker.objects.exists()


@pytest.mark.django_db
def test_production_refuses_a_training_database(settings):
    settings.NRM_TRAINING = True
    guard.mark()
    call_command("check")  # the training mechanism starts on it
    _start_wsgi()
    settings.NRM_TRAINING = False
    with pytest.raises(
        SystemCheckError, match="production refuses a training database"
    ):
        call_command("check")
    with pytest.raises(
        ImproperlyConfigured, match="production refuses a training database"
    ):
        _start_wsgi()


@pytest.mark.django_db
def test_migrating_for_training_marks_an_empty_database(settings):
    settings.NRM_TRAINING = True
    guard.mark_new_training_database()
    assert guard.is_marked()
    settings.NRM_TRAINING = False
    assert guard.problem() == guard.TRAINING_DATABASE


@pytest.mark.django_db
def test_production_on_its_own_database_starts(mechanism):
    register(mechanism.client("reception"), person_payload())
    assert guard.problem() == ""
    call_command("check")
