"""The message template language of cadence steps.

How managers write a message:

- Put a variable between double braces: ``Hi {{ lead.first_name }},``. Spaces inside the braces
  are optional. Only the names in ``VARIABLES`` exist; anything else is refused when the step is
  saved, with the line, the column and the closest real name.
- Add a fallback after a bar, in single or double quotes, for when the value is missing:
  ``Hi {{ lead.first_name | "there" }},``. The fallback is plain text. A variable with no value
  and no fallback stops that message from being sent, and the lead's timeline says why.
- Single braces, and braces outside ``{{ … }}``, are ordinary text.

There are no loops, conditions, filters or attributes: a template is text with holes, filled from
a flat dictionary of strings, so a template can neither reach into the database nor run code.
"""

from __future__ import annotations

import difflib
import functools
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from channels.compliance import lead_time_zone
from leadfollow.errors import InvalidInput
from leadfollow.models import Membership, Workspace
from leads.models import Lead
from scoring.models import RepAvailability, TimeOff
from scoring.selectors import holidays

VARIABLES: dict[str, str] = {
    "lead.first_name": "The lead's first name",
    "lead.last_name": "The lead's last name",
    "lead.full_name": "The lead's first and last name",
    "lead.email": "The lead's email address",
    "lead.phone": "The lead's phone number",
    "lead.title": "The lead's job title",
    "lead.company": "The lead's company (same as account.name)",
    "lead.local_time": "The time of day where the lead is, e.g. 2:30 PM",
    "account.name": "The name of the lead's company",
    "owner.first_name": "The first name of the rep who owns the lead",
    "owner.last_name": "The last name of the rep who owns the lead",
    "owner.full_name": "The full name of the rep who owns the lead",
    "owner.email": "The email address of the rep who owns the lead",
    "workspace.name": "Your company's name in LeadFollow",
    "meeting.option_1": "A meeting time in the rep's working hours, in the lead's time zone",
    "meeting.option_2": "A second meeting time, on another day",
    "unsubscribe_url": "The link that lets the lead stop these messages",
}

SLOT = timedelta(minutes=30)
MEETING_NOTICE = timedelta(hours=2)  # nobody should be offered a meeting that starts in minutes
SEARCH_DAYS = 21
MAX_ERRORS = 20  # past a screenful, more errors help nobody and cost time on huge input
_SPACES = re.compile(r"[ \t\r\n]*")
_NAME_STOPS = frozenset(" \t\r\n|{}\"'")
_EXAMPLE = '{{ lead.first_name | "there" }}'
_UNCLOSED = "“{{” is never closed: end the variable with “}}”."


@dataclass(frozen=True)
class TemplateError:
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}, column {self.column}: {self.message}"


class TemplateInvalid(InvalidInput):
    default_code = "template_invalid"

    def __init__(self, errors: list[TemplateError]):
        super().__init__(" ".join(str(error) for error in errors), field="template")
        self.template_errors = errors


@dataclass(frozen=True)
class Rendered:
    text: str
    missing: list[str]  # variables with no value and no fallback: the message must not go out


@dataclass(frozen=True)
class _Tag:
    name: str
    fallback: str | None


class _Bad(Exception):
    def __init__(self, at: int, message: str):
        self.at, self.message = at, message


def validate(text: str) -> list[TemplateError]:
    """Every mistake in the template, in reading order; empty when it is valid."""
    return list(_parsed(text)[1])


def variables_used(text: str) -> set[str]:
    """The known variables the template refers to (unknown names are errors, not variables)."""
    return {part.name for part in _parsed(text)[0] if isinstance(part, _Tag)}


def render(text: str, context: Mapping[str, str | None]) -> Rendered:
    """Fill the template as plain text (SMS, email text part). Raises TemplateInvalid."""
    filled, missing = _fill(text, context, lambda _name, value: value, str)
    return Rendered(text=filled, missing=missing)


def render_html(text: str, context: Mapping[str, str | None]) -> Rendered:
    """Fill the template for an email's HTML part: all text escaped, blank lines as paragraphs."""
    filled, missing = _fill(text, context, _html_value, html.escape)
    paragraphs = (part.strip() for part in re.split(r"\n[ \t]*\n", filled.replace("\r\n", "\n")))
    body = "\n".join("<p>" + "<br>\n".join(p.splitlines()) + "</p>" for p in paragraphs if p)
    return Rendered(text=body, missing=missing)


def _html_value(name: str, value: str) -> str:
    if name.endswith("_url") and value.startswith(("https://", "http://")):
        return f'<a href="{html.escape(value)}">{html.escape(value)}</a>'
    return html.escape(value)


def _fill(
    text: str,
    context: Mapping[str, str | None],
    insert: Callable[[str, str], str],
    literal: Callable[[str], str],
) -> tuple[str, list[str]]:
    parts, errors = _parsed(text)
    if errors:
        raise TemplateInvalid(list(errors))
    out: list[str] = []
    missing: list[str] = []
    for part in parts:
        if isinstance(part, str):
            out.append(literal(part))
            continue
        value = context.get(part.name)
        if value is not None and value.strip():
            out.append(insert(part.name, value))
        elif part.fallback is not None:
            out.append(literal(part.fallback))
        elif part.name not in missing:
            missing.append(part.name)
    return "".join(out), missing


@functools.lru_cache(maxsize=512)
def _parsed(text: str) -> tuple[tuple[str | _Tag, ...], tuple[TemplateError, ...]]:
    """A step's few templates are filled for thousands of leads: each is read once."""
    parts, errors = _parse(text)
    return tuple(parts), tuple(errors)


def _parse(text: str) -> tuple[list[str | _Tag], list[TemplateError]]:
    parts: list[str | _Tag] = []
    errors: list[TemplateError] = []
    pos = 0
    while (start := text.find("{{", pos)) >= 0 and len(errors) < MAX_ERRORS:
        parts.append(text[pos:start])
        try:
            tag, name_at, pos = _parse_tag(text, start)
        except _Bad as bad:
            errors.append(_error(text, bad.at, bad.message))
            close = text.find("}}", bad.at)
            if close < 0:
                return parts, errors
            pos = close + 2
            continue
        if tag.name in VARIABLES:
            parts.append(tag)
        else:
            errors.append(_error(text, name_at, _unknown(tag.name)))
    parts.append(text[pos:])
    return parts, errors


def _parse_tag(text: str, start: int) -> tuple[_Tag, int, int]:
    """Read one `{{ name | "fallback" }}` at `start`: the tag, where its name starts, its end."""
    if text.find("}}", start + 2) < 0:
        raise _Bad(start, _UNCLOSED)
    name_at = i = _skip_spaces(text, start + 2)
    while i < len(text) and text[i] not in _NAME_STOPS:
        i += 1
    name, i, fallback = text[name_at:i], _skip_spaces(text, i), None
    if not name and text.startswith("}}", i):
        raise _Bad(start, f"“{{{{ }}}}” is empty: put a variable inside, e.g. {_EXAMPLE}.")
    if not name and text[i : i + 1] in ("|", "'", '"'):
        raise _Bad(i, f"Start with a variable name, e.g. {_EXAMPLE}.")
    if name and text.startswith("|", i):
        i = _skip_spaces(text, i + 1)
        quote = text[i : i + 1]
        if quote not in ("'", '"'):
            raise _Bad(i, f"After “|” write the fallback in quotes, e.g. {_EXAMPLE}.")
        close = text.find(quote, i + 1)
        if close < 0 or "\n" in text[i:close]:
            raise _Bad(i, f"The fallback’s quote {quote} is never closed on this line.")
        fallback, i = text[i + 1 : close], _skip_spaces(text, close + 1)
    if name and text.startswith("}}", i):
        return _Tag(name, fallback), name_at, i + 2
    if i >= len(text):
        raise _Bad(start, _UNCLOSED)
    if text[i] == "{":
        raise _Bad(i, "Braces cannot be nested: close “{{” with “}}” before opening another.")
    found = text[i:].split(maxsplit=1)[0]
    raise _Bad(i, f"Expected “}}}}” to close the variable, but found “{found}”.")


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), VARIABLES, n=1, cutoff=0.6)
    hint = (
        f" Did you mean {close[0]}?" if close else " The list of variables is next to the editor."
    )
    return f"“{name}” is not a variable.{hint}"


def _skip_spaces(text: str, i: int) -> int:
    return _SPACES.match(text, i).end()


def _error(text: str, at: int, message: str) -> TemplateError:
    line_start = text.rfind("\n", 0, at) + 1
    return TemplateError(
        line=text.count("\n", 0, at) + 1, column=at - line_start + 1, message=message
    )


def build_context(
    *,
    lead: Lead,
    owner_membership: Membership | None = None,
    workspace: Workspace,
    unsubscribe_url: str = "",
    now: datetime | None = None,
    meeting_slots: Sequence[datetime] | None = None,
) -> dict[str, str | None]:
    """Every variable's value for one lead; None where there is none.

    Finding meeting times takes a few queries: pass `meeting_slots=()` when the template uses none.
    """
    now = now or timezone.now()
    zone = lead_time_zone(lead, workspace)
    if meeting_slots is None:
        meeting_slots = meeting_options(
            workspace=workspace, owner_membership=owner_membership, now=now
        )
    options = [_day_and_time(slot.astimezone(zone)) for slot in meeting_slots[:2]] + ["", ""]
    user = owner_membership.user if owner_membership is not None else None
    company = lead.account.name if lead.account_id else ""
    values = {
        "lead.first_name": lead.first_name,
        "lead.last_name": lead.last_name,
        "lead.full_name": lead.full_name,
        "lead.email": lead.email,
        "lead.phone": lead.phone,
        "lead.title": lead.title,
        "lead.company": company,
        "lead.local_time": _clock(now.astimezone(zone)),
        "account.name": company,
        "owner.first_name": user and user.first_name,
        "owner.last_name": user and user.last_name,
        "owner.full_name": user and user.get_full_name(),
        "owner.email": user and user.email,
        "workspace.name": workspace.name,
        "meeting.option_1": options[0],
        "meeting.option_2": options[1],
        "unsubscribe_url": unsubscribe_url,
    }
    return {name: value or None for name, value in values.items()}


def meeting_options(
    *, workspace: Workspace, owner_membership: Membership | None = None, now: datetime
) -> list[datetime]:
    """Up to two 30-minute slots on different days inside the owner's working hours (else the
    workspace's business hours), skipping holidays and the owner's time off; UTC instants."""
    zone, weekly = workspace.tzinfo, _business_week(workspace)
    away: list[tuple[datetime, datetime]] = []
    if owner_membership is not None:
        mine = RepAvailability.objects.filter(workspace=workspace, membership=owner_membership)
        if (availability := mine.first()) is not None:
            zone = ZoneInfo(availability.time_zone or workspace.time_zone)
            weekly = availability.working_hours or {}
        away = list(
            TimeOff.objects.filter(
                workspace=workspace, membership=owner_membership, ends_at__gt=now
            ).values_list("starts_at", "ends_at")
        )
    closed = {holiday.date for holiday in holidays(workspace=workspace)}
    return _slots(zone, weekly, closed, away, now)


def _business_week(workspace: Workspace) -> dict[str, list[list[str]]]:
    span = [workspace.business_hours_start.isoformat(), workspace.business_hours_end.isoformat()]
    return {str(day): [span] for day in workspace.business_days}


def _slots(zone: ZoneInfo, weekly: dict, closed: set[date], away: list, now: datetime) -> list:
    earliest = now.astimezone(UTC) + MEETING_NOTICE
    found: list[datetime] = []
    day = earliest.astimezone(zone).date()
    for _ in range(SEARCH_DAYS):
        spans = [] if day in closed else sorted(weekly.get(str(day.weekday()), []))
        for start, end in spans:
            closes = datetime.combine(day, time.fromisoformat(end), zone).astimezone(UTC)
            opens = datetime.combine(day, time.fromisoformat(start), zone).astimezone(UTC)
            slot = _on_the_half_hour(max(opens, earliest), zone)
            while slot + SLOT <= closes and any(s < slot + SLOT and e > slot for s, e in away):
                slot += SLOT
            if slot + SLOT <= closes:
                found.append(slot)
                break
        if len(found) == 2:
            break
        day += timedelta(days=1)
    return found


def _on_the_half_hour(at: datetime, zone) -> datetime:
    local = at.astimezone(zone)
    past = timedelta(
        minutes=local.minute % 30, seconds=local.second, microseconds=local.microsecond
    )
    return at + (SLOT - past) if past else at


def _clock(local: datetime) -> str:
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def _day_and_time(local: datetime) -> str:
    return f"{local:%a} {local.day} {local:%b} at {_clock(local)}"


def preview_sample_context(*, now: datetime | None = None) -> dict[str, str | None]:
    """Believable values for the builder's preview when no lead is chosen."""
    now = now or timezone.now()
    zone = ZoneInfo("America/New_York")
    weekdays = {str(day): [["09:00", "17:00"]] for day in range(5)}
    slots = _slots(zone, weekdays, set(), [], now)
    return {
        "lead.first_name": "Jordan",
        "lead.last_name": "Rivera",
        "lead.full_name": "Jordan Rivera",
        "lead.email": "jordan.rivera@brightsidedental.example",
        "lead.phone": "+1 212 555 0147",
        "lead.title": "Practice Manager",
        "lead.company": "Brightside Dental",
        "lead.local_time": _clock(now.astimezone(zone)),
        "account.name": "Brightside Dental",
        "owner.first_name": "Sam",
        "owner.last_name": "Okafor",
        "owner.full_name": "Sam Okafor",
        "owner.email": "sam.okafor@yourcompany.example",
        "workspace.name": "Your Company",
        "meeting.option_1": _day_and_time(slots[0].astimezone(zone)),
        "meeting.option_2": _day_and_time(slots[1].astimezone(zone)),
        "unsubscribe_url": "https://app.leadfollow.example/u/sample",
    }
