"""Serializer building blocks shared by every API: strict types and no silently dropped fields."""

from __future__ import annotations

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, lists and objects instead of turning them into text."""

    default_error_messages = {"invalid": "Send text here, not a {type}."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            kind = {"dict": "object", "list": "array"}.get(type(data).__name__, type(data).__name__)
            self.fail("invalid", type=kind)
        return super().to_internal_value(data)


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not know, naming them: a typo must not be dropped silently."""

    unknown_field_message = "Unknown field."

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {name: [self.unknown_field_message] for name in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors.update(exc.detail)
        if errors:
            raise serializers.ValidationError(errors)
        return value
