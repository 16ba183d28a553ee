"""Serializer bases every app's API shares."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import ValidationError


def _json_types(field) -> tuple[type, ...] | None:
    """The JSON types a writable field takes (None: whatever DRF accepts)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return (int, float)
    if isinstance(field, serializers.ListField | serializers.ListSerializer):
        return (list,)
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return (dict,)
    if isinstance(field, serializers.JSONField):
        return None
    if isinstance(field, serializers.CharField | serializers.ChoiceField):
        return (str,)
    if isinstance(
        field,
        serializers.UUIDField | serializers.DateField | serializers.DateTimeField,
    ):
        return (str,)
    return None


class StrictSerializer(serializers.Serializer):
    # No docstring: the schema would show it on every subclass.
    # Refuses keys it does not know, so a client writing a read-only field
    # (state, organisation, ids) is told so instead of silently ignored, and
    # values of another JSON type than the field's (DRF would take "true" or 1
    # for a boolean, 5 for a text). The schema says so too
    # (`additionalProperties: false`, config/schema.py).

    refuses_unknown_keys = True

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                value, types = data[name], _json_types(field)
                if value is None or types is None:
                    continue
                wrong = not isinstance(value, types) or (
                    bool not in types and isinstance(value, bool)
                )
                if wrong:
                    errors[name] = [f"Must be a JSON {_TYPE_NAMES[types[0]]}."]
            if errors:
                raise ValidationError(errors)
        return super().to_internal_value(data)

    def validate(self, attrs):
        unknown = set(self.initial_data or {}) - set(self.fields)
        if isinstance(self.initial_data, dict) and unknown:
            raise serializers.ValidationError(
                {key: ["Unknown or read-only field."] for key in sorted(unknown)}
            )
        return attrs


_TYPE_NAMES = {
    bool: "boolean",
    int: "number",
    list: "array",
    dict: "object",
    str: "string",
}


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (config/api.py), for views that name an
    error status of their own in the schema."""

    code = serializers.CharField()
    message = serializers.CharField()
    detail = serializers.JSONField(allow_null=True)


class QuerySerializer(serializers.Serializer):
    # No docstring (the schema would show it). The query parameters of one
    # operation (`core.api.Api.query_serializer`): listed in the schema with
    # their types, enums and bounds, and parsed by `parse`, a malformed value
    # being a 400 with field messages.

    @classmethod
    def parse(cls, request) -> dict:
        values = {
            name: request.query_params.get(name)
            for name in cls().fields
            if name in request.query_params
        }
        serializer = cls(data=values)
        if not serializer.is_valid():
            raise ValidationError(serializer.errors)
        return dict(serializer.validated_data)


class OptionalBooleanField(serializers.BooleanField):
    """A yes/no filter: "true"/"false" (also 1/0, yes/no); absent is None,
    and an empty value is not a yes or a no (400)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if data is None or data == "":
            self.fail("invalid", input=data)
        return super().to_internal_value(data)
