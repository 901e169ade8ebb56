"""Validation and normalisation of lead fields, shared by the API, forms, import and services.

Everything here is pure: it reads the workspace's defaults and returns clean values or the list of
problems per field, so an entry point can report every bad field at once.
"""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from leadfollow.errors import InvalidInput
from leadfollow.models import Workspace
from leads.phones import PhoneInvalid, parse_phone

TEXT_LIMITS = {"first_name": 100, "last_name": 100, "title": 150, "company": 200}
MAX_CUSTOM_FIELDS = 50
MAX_CUSTOM_VALUE = 2000


class InvalidLead(InvalidInput):
    """One or more lead fields are wrong; `errors` maps each field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        field, messages = next(iter(errors.items()))
        super().__init__(messages[0], code="invalid_lead", field=field)
        self.errors = errors


def normalize_email(raw: str | None) -> str | None:
    if raw is None:
        return None
    email = raw.strip().lower()
    if not email:
        return None
    validate_email(email)
    return email


def _clean_custom_fields(value: object) -> dict:
    if not isinstance(value, dict):
        raise ValidationError("Send custom fields as a JSON object of names to values.")
    if len(value) > MAX_CUSTOM_FIELDS:
        raise ValidationError(f"At most {MAX_CUSTOM_FIELDS} custom fields.")
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool) and item is not None:
            raise ValidationError(f"“{key}” must be text, a number, true/false or null.")
        if len(str(key)) > 100 or len(str(item)) > MAX_CUSTOM_VALUE:
            raise ValidationError(f"“{str(key)[:40]}” is too long.")
    return value


def clean_lead_fields(workspace: Workspace, data: dict, *, require_contact: bool = True) -> dict:
    """Return normalised fields from `data`, or raise InvalidLead naming every bad field."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    for field, limit in TEXT_LIMITS.items():
        if field in data:
            value = (data[field] or "").strip()
            if len(value) > limit:
                errors[field] = [f"Keep it under {limit} characters."]
            clean[field] = value
    if "email" in data:
        try:
            clean["email"] = normalize_email(data["email"])
        except ValidationError:
            errors["email"] = [f"“{data['email']}” is not a valid email address."]
    if "phone" in data:
        raw = (data["phone"] or "").strip()
        clean["phone"], clean["phone_region"] = None, ""
        if raw:
            try:
                parsed = parse_phone(raw, default_region=workspace.default_region)
                clean["phone"], clean["phone_region"] = parsed.e164, parsed.region
            except PhoneInvalid as exc:
                errors["phone"] = [str(exc)]
    if data.get("time_zone"):
        if data["time_zone"] not in zoneinfo.available_timezones():
            errors["time_zone"] = [f"“{data['time_zone']}” is not a time zone like Europe/Paris."]
        clean["time_zone"] = data["time_zone"]
    if "custom_fields" in data:
        try:
            clean["custom_fields"] = _clean_custom_fields(data["custom_fields"] or {})
        except ValidationError as exc:
            errors["custom_fields"] = exc.messages
    has_contact = clean.get("email") or clean.get("phone")
    if require_contact and not has_contact and not {"email", "phone"} & errors.keys():
        errors["non_field_errors"] = ["Give at least an email address or a phone number."]
    if errors:
        raise InvalidLead(errors)
    return clean
