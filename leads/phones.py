"""Phone numbers: parse what people type into E.164, and find the number's time zone."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import timezone as phone_timezones


@dataclass(frozen=True)
class ParsedPhone:
    e164: str
    region: str


class PhoneInvalid(ValueError):
    pass


def parse_phone(raw: str, *, default_region: str) -> ParsedPhone:
    """Read a number written any usual way; numbers without +country use `default_region`."""
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise PhoneInvalid(f"“{raw}” is not a phone number.") from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneInvalid(
            f"“{raw}” is not a valid phone number for {default_region}. "
            "Include the country code, e.g. +44 20 7946 0958."
        )
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return ParsedPhone(e164=e164, region=phonenumbers.region_code_for_number(number) or "")


def time_zone_for_phone(e164: str | None) -> str | None:
    """The number's time zone when the numbering plan pins it to exactly one."""
    if not e164:
        return None
    try:
        zones = phone_timezones.time_zones_for_number(phonenumbers.parse(e164))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None
