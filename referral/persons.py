"""People: the services that write them and the duplicate selector.

Personal values are sealed by the vault; these services create the data key
and the blind index with the person, and erase by destroying the key. They
write no audit rows: the workflow services that call them do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import clock
from core.errors import NotVisible
from nrm.choices import CHILD_AGE_GROUPS, AgeGroup
from nrm.models import OutboxMessage
from referral import vault
from referral.models import DataKey, Handover, Person
from referral.vault import PersonErased, SealedField

SEALED_FIELDS = (
    "given_names",
    "family_name",
    "aliases",
    "date_of_birth",
    "place_of_birth",
    "contact_details",
    "identity_documents",
    "notes",
)
CLEAR_FIELDS = ("sex", "age_group", "citizenship", "is_child")
_IDENTITY_FIELDS = frozenset({"given_names", "family_name", "date_of_birth"})


def _presume_minority(age_group: str, is_child: bool) -> tuple[str, bool]:
    """A child's age group makes a child; a child of unknown age is presumed
    one ("unknown_child"). An adult age group with is_child fails clean()."""
    if age_group in CHILD_AGE_GROUPS:
        is_child = True
    if is_child and age_group == AgeGroup.UNKNOWN:
        age_group = AgeGroup.UNKNOWN_PRESUMED_CHILD
    return age_group, is_child


def _check_date_of_birth(value: date | None) -> None:
    """A date of birth is not in the future (the sealed value is not seen by
    the model's clean(), so the rule lives here, for create and update)."""
    if value is not None and value > clock.today():
        raise ValidationError(
            {"date_of_birth": [_("A date of birth cannot be in the future.")]},
            code="future_date_of_birth",
        )


def _citizenship(value: str) -> str:
    return (value or "").strip().upper()


def person_build(
    *,
    given_names: str,
    family_name: str,
    date_of_birth: date | None,
    sex: str,
    age_group: str,
    citizenship: str,
    is_child: bool,
    aliases: str = "",
    place_of_birth: str = "",
    contact_details: str = "",
    identity_documents: str = "",
    notes: str = "",
    registered_at: Any = None,
) -> Person:
    """An unsaved, validated person with a new data key (`person.data_key`,
    also unsaved) and blind index. For bulk imports; else `person_create`."""
    _check_date_of_birth(date_of_birth)
    age_group, is_child = _presume_minority(age_group, is_child)
    person = Person(
        id=uuid4(),
        sex=sex,
        age_group=age_group,
        citizenship=_citizenship(citizenship),
        is_child=is_child,
        registered_at=registered_at or clock.now(),
    )
    vault.issue_data_key(person)
    person.given_names = given_names
    person.family_name = family_name
    person.date_of_birth = date_of_birth
    person.aliases = aliases
    person.place_of_birth = place_of_birth
    person.contact_details = contact_details
    person.identity_documents = identity_documents
    person.notes = notes
    person.blind_index = vault.blind_index(
        family_name=family_name, given_names=given_names, date_of_birth=date_of_birth
    )
    # Row rules only; the database enforces uniqueness and the constraints.
    person.full_clean(
        exclude=SEALED_FIELDS, validate_unique=False, validate_constraints=False
    )
    return person


@transaction.atomic
def person_create(
    *,
    given_names: str,
    family_name: str,
    date_of_birth: date | None,
    sex: str,
    age_group: str,
    citizenship: str,
    is_child: bool,
    aliases: str = "",
    place_of_birth: str = "",
    contact_details: str = "",
    identity_documents: str = "",
    notes: str = "",
) -> Person:
    """Register a person: their data key, sealed values and blind index."""
    person = person_build(
        given_names=given_names,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        age_group=age_group,
        citizenship=citizenship,
        is_child=is_child,
        aliases=aliases,
        place_of_birth=place_of_birth,
        contact_details=contact_details,
        identity_documents=identity_documents,
        notes=notes,
    )
    person.save(force_insert=True)
    person.data_key.save(force_insert=True)
    return person


@transaction.atomic
def person_bulk_create(
    *, people: Iterable[Mapping[str, Any]], batch_size: int = 1000
) -> list[Person]:
    """Create many people at once (imports, the demo, benchmarks): each
    mapping holds `person_create`'s arguments."""
    built = [person_build(**fields) for fields in people]
    Person.objects.bulk_create(built, batch_size=batch_size)
    DataKey.objects.bulk_create([p.data_key for p in built], batch_size=batch_size)
    return built


def _locked_person(person_id: UUID) -> Person:
    try:
        return (
            Person.objects.select_for_update(of=("self",)).with_keys().get(pk=person_id)
        )
    except (Person.DoesNotExist, ValueError):
        raise NotVisible() from None


@transaction.atomic
def person_update(*, person_id: UUID, **fields: Any) -> Person:
    """Change sealed or coarse fields; the blind index follows the names and
    date of birth. An erased person cannot be changed (PersonErased)."""
    unknown = set(fields) - set(SEALED_FIELDS) - set(CLEAR_FIELDS)
    if unknown:
        raise TypeError(f"person_update() got unknown fields: {sorted(unknown)}")
    person = _locked_person(person_id)
    if person.is_erased:
        raise PersonErased(person.pk)
    if "date_of_birth" in fields:
        _check_date_of_birth(fields["date_of_birth"])
    if "citizenship" in fields:
        fields["citizenship"] = _citizenship(fields["citizenship"])
    if "age_group" in fields or "is_child" in fields:
        age_group, is_child = _presume_minority(
            fields.get("age_group", person.age_group),
            fields.get("is_child", person.is_child),
        )
        fields.update(age_group=age_group, is_child=is_child)
    for name, value in fields.items():
        setattr(person, name, value)
    update_fields = list(fields)
    if _IDENTITY_FIELDS & fields.keys():
        person.blind_index = vault.blind_index(
            family_name=person.family_name,
            given_names=person.given_names,
            date_of_birth=person.date_of_birth,
        )
        update_fields.append("blind_index")
    person.full_clean(validate_unique=False)
    if update_fields:
        person.save(update_fields=update_fields)
    return person


@transaction.atomic
def person_erase(*, person_id: UUID) -> Person:
    """Crypto-shredding: destroy the person's data key. Their sealed values
    (on every model) become unrecoverable, here and in backups once the KEKs
    of those backups are retired; the coarse attributes remain. Idempotent."""
    person = _locked_person(person_id)
    if person.is_erased:
        return person
    now = timezone.now()
    data_key = DataKey.objects.select_for_update().filter(person_id=person.pk).first()
    if data_key is not None and data_key.wrapped is not None:
        vault.destroy_data_key(data_key, at=now)
        data_key.save(update_fields=["wrapped", "destroyed_at"])
    vault.forget(person)
    person.erased_at = now
    person.blind_index = None
    person.save(update_fields=["erased_at", "blind_index"])
    _drop_handover_packages(person.pk)
    if data_key is not None:
        person.data_key = data_key
    return person


def _drop_handover_packages(person_id: UUID) -> None:
    """Packages sent to partner mechanisms are encrypted to their keys, not
    under the person's data key: erasure drops the copies kept here (and in
    the outbox, which then has nothing left to send)."""
    handovers = Handover.objects.filter(case__person_id=person_id).exclude(package="")
    ids = [str(pk) for pk in handovers.values_list("pk", flat=True)]
    if not ids:
        return
    handovers.update(package="")
    for message in OutboxMessage.objects.select_for_update().filter(
        payload__handover_id__in=ids
    ):
        message.payload = {**message.payload, "package": ""}
        message.save(update_fields=["payload"])


def sealed_rows_of(person_id: UUID) -> list[tuple[Any, list[str]]]:
    """Every model with sealed fields, as (rows of this person, field names)."""
    found = []
    for model in apps.get_models():
        names = [
            f.name for f in model._meta.concrete_fields if isinstance(f, SealedField)
        ]
        if not names:
            continue
        subject = model._meta.get_field(names[0]).subject
        lookup = "pk" if subject == "self" else subject.replace(".", "__")
        found.append((model._default_manager.filter(**{lookup: person_id}), names))
    return found


@transaction.atomic
def person_remove_sealed_values(*, person_id: UUID) -> int:
    """After erasure, remove the person's (unopenable) ciphertext from every
    row, so not even it remains; the number of rows emptied. Reads of an
    erased person go through `is_erased` first and never see the empty values."""
    person = _locked_person(person_id)
    if not person.is_erased:
        raise ValueError("Erase the person before removing their sealed values.")
    emptied = 0
    for rows, names in sealed_rows_of(person.pk):
        emptied += rows.update(**dict.fromkeys(names, b""))
    return emptied


def possible_duplicates(
    *,
    family_name: str,
    given_names: str,
    date_of_birth: date | None,
    exclude_person_id: UUID | None = None,
) -> list[UUID]:
    """Ids of people (not erased) whose blind index matches: "this person may
    already be registered". No plaintext is searched."""
    index = vault.blind_index(
        family_name=family_name, given_names=given_names, date_of_birth=date_of_birth
    )
    if index is None:
        return []
    queryset = Person.objects.filter(blind_index=index, erased_at__isnull=True)
    if exclude_person_id is not None:
        queryset = queryset.exclude(pk=exclude_person_id)
    return list(queryset.order_by("registered_at", "id").values_list("id", flat=True))
