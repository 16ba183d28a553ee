"""The person (data subject) and their data key.

Personal values are sealed by the vault (`referral/vault/`) under the
person's own data key; what statistics need is kept apart, coarse and in
clear. Create, update and erase people through `referral/persons.py`.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nrm.choices import CHILD_AGE_GROUPS, AgeGroup, Sex
from referral.vault import SealedField

__all__ = ["CITIZENSHIP_STATELESS", "CITIZENSHIP_UNKNOWN", "DataKey", "Person"]

CITIZENSHIP_UNKNOWN = ""
# ISO 3166-1 leaves XX to users; ICAO 9303 writes stateless as XXA.
CITIZENSHIP_STATELESS = "XX"


class PersonQuerySet(models.QuerySet):
    def with_keys(self) -> PersonQuerySet:
        """Fetch the wrapped data keys in the same query (for lists that open
        sealed values: one query, not one per person)."""
        return self.select_related("data_key")


class Person(models.Model):
    """A person met at reception. Sealed fields read and write as plain
    values (text; `date_of_birth` a `date` or None); they are opened on first
    read, once per instance."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    # Sealed under the person's data key.
    given_names = SealedField()
    family_name = SealedField()
    aliases = SealedField()
    date_of_birth = SealedField(kind=SealedField.DATE)
    place_of_birth = SealedField()
    contact_details = SealedField()
    identity_documents = SealedField()
    notes = SealedField()

    # Coarse, in clear, for statistics only.
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.UNKNOWN)
    age_group = models.CharField(
        max_length=16,
        choices=AgeGroup.choices,
        default=AgeGroup.UNKNOWN,
        help_text=_("Age group at registration."),
    )
    citizenship = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[A-Z]{2}$")],
        help_text=_("ISO 3166-1 alpha-2 code; empty when unknown; XX when stateless."),
    )
    is_child = models.BooleanField(
        default=False,
        help_text=_("A child, or presumed a child while the age is uncertain."),
    )
    registered_at = models.DateTimeField(default=timezone.now, editable=False)

    # Keyed HMAC of the normalised names and date of birth (vault.blind_index).
    blind_index = models.CharField(
        max_length=64, null=True, blank=True, db_index=True, editable=False
    )
    erased_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PersonQuerySet.as_manager()

    class Meta:
        constraints = [
            # Presumption of minority: a child's age group is always a child.
            models.CheckConstraint(
                condition=Q(is_child=True) | ~Q(age_group__in=sorted(CHILD_AGE_GROUPS)),
                name="person_child_age_group_is_child",
            ),
            models.CheckConstraint(
                condition=Q(erased_at__isnull=True) | Q(blind_index__isnull=True),
                name="person_erased_has_no_blind_index",
            ),
        ]

    def __str__(self) -> str:
        return f"person {self.pk}"

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None

    def clean(self) -> None:
        if self.age_group in CHILD_AGE_GROUPS and not self.is_child:
            raise ValidationError(
                {"is_child": _("A child's age group: the person is a child.")}
            )
        if self.is_child and self.age_group not in CHILD_AGE_GROUPS:
            raise ValidationError(
                {
                    "age_group": _(
                        "A child needs a child's age group (or 'unknown, presumed "
                        "child' while the age is assessed)."
                    )
                }
            )


class DataKey(models.Model):
    """The person's data key, wrapped by a key-encryption key (KEK).

    Never holds a key in clear. Destroying it (`wrapped` = NULL) erases every
    value sealed under it.
    """

    person = models.OneToOneField(
        Person,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="data_key",
        editable=False,
    )
    key_id = models.CharField(
        max_length=16, editable=False, help_text=_("Names this key in value headers.")
    )
    kek_id = models.CharField(max_length=32, editable=False, db_index=True)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    rewrapped_at = models.DateTimeField(null=True, blank=True, editable=False)
    destroyed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(wrapped__isnull=True) & Q(destroyed_at__isnull=False))
                | (Q(wrapped__isnull=False) & Q(destroyed_at__isnull=True)),
                name="datakey_wrapped_until_destroyed",
            )
        ]

    def __str__(self) -> str:
        return f"data key of person {self.person_id}"
