"""Template helpers of the leads pages: phone display, relative time, activity icons."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import phonenumbers
from django import template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from leads.models import Activity, Channel

register = template.Library()


@register.simple_tag
def url_if_exists(name: str) -> str:
    """The URL of a route, or "" while the app that provides it is not installed."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


@register.filter
def phone_display(e164: str | None, region: str = "") -> str:
    """National format for numbers of the workspace's region, international for the rest."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


@register.filter
def ago(value: datetime | None) -> str:
    """ "5 min ago", "3 days ago": one short unit, so a table column stays narrow and scannable."""
    if value is None:
        return ""
    elapsed = timezone.now() - value
    minutes = int(elapsed.total_seconds() // 60)
    if minutes < 1:
        return "just now"
    for limit, size, unit in _AGO_UNITS:
        if minutes < limit:
            count = minutes // size
            plural = "s" if count != 1 and unit in ("day", "week") else ""
            return f"{count} {unit}{plural} ago"
    local = timezone.localtime(value)
    same_year = local.year == timezone.localdate().year
    return local.strftime("%b %-d" if same_year else "%b %-d, %Y")


# (below this many minutes, count in units of this many minutes, unit name)
_AGO_UNITS = [
    (60, 1, "min"),
    (24 * 60, 60, "h"),
    (14 * 24 * 60, 24 * 60, "day"),
    (9 * 7 * 24 * 60, 7 * 24 * 60, "week"),
]


@register.filter
def day_heading(day: str) -> str:
    """ "Today", "Yesterday" or the date, for a "YYYY-MM-DD" in the active time zone."""
    when = date.fromisoformat(day)
    today = timezone.localdate()
    if when == today:
        return "Today"
    if when == today - timedelta(days=1):
        return "Yesterday"
    return when.strftime("%a, %b %-d" if when.year == today.year else "%a, %b %-d, %Y")


# kind -> icon in static/img/lead-icons.svg. Kinds other apps add fall back to their channel.
_KIND_ICONS = {
    Activity.Kind.CREATED: "plus",
    Activity.Kind.RE_INQUIRY: "repeat",
    Activity.Kind.UPDATED: "pencil",
    Activity.Kind.STATUS_CHANGED: "flag",
    Activity.Kind.OWNER_CHANGED: "user",
    Activity.Kind.NOTE: "note",
    Activity.Kind.CONSENT: "shield",
    Activity.Kind.FORM_SUBMITTED: "form",
    Activity.Kind.IMPORTED: "upload",
    Activity.Kind.ERASED: "eraser",
    Activity.Kind.STEP_FAILED: "alert",
}
_CHANNEL_ICONS = {
    Channel.EMAIL: "mail",
    Channel.SMS: "chat",
    Channel.CALL: "phone",
    Channel.VOICEMAIL: "voicemail",
}


@register.filter
def activity_icon(activity: Activity) -> str:
    if activity.kind in _KIND_ICONS:
        return _KIND_ICONS[activity.kind]
    return _CHANNEL_ICONS.get(activity.channel, "dot")


# Read once: an enum's `.values` builds a new list at every call, and a timeline page asks for
# a label two hundred times.
_CHANNEL_LABELS = dict(Channel.choices)
_KIND_LABELS = dict(Activity.Kind.choices)


@register.filter
def channel_label(channel: str) -> str:
    return _CHANNEL_LABELS.get(channel, channel)


@register.filter
def activity_label(activity: Activity) -> str:
    if activity.kind in _KIND_LABELS:
        return _KIND_LABELS[activity.kind]
    return activity.kind.replace("_", " ").capitalize()


@register.filter
def initials(name: str) -> str:
    letters = [word[0] for word in name.split() if word[:1].isalpha()]
    return "".join(letters[:1] + letters[1:][-1:]).upper() or "?"


@register.filter
def field_label(name: str) -> str:
    """ "first_name" → "First name"; "custom_fields.budget" → "budget"."""
    if name.startswith("custom_fields."):
        return name.removeprefix("custom_fields.")
    return name.replace("_", " ").capitalize()


# First click on a column: names and statuses read A→Z, times newest first.
_FIRST_DIRECTION = {"name": "", "status": "", "created": "-", "activity": "-"}


@register.inclusion_tag("leads/_sort_header.html", takes_context=True)
def sort_header(context: template.Context, key: str, label: str) -> dict:
    """A sortable column heading: a link that flips the order, and aria-sort when active."""
    current = context["sort"]
    is_active = current.lstrip("-") == key
    descending = current.startswith("-")
    flipped = key if descending else f"-{key}"
    next_sort = flipped if is_active else _FIRST_DIRECTION[key] + key
    return {
        "request": context["request"],
        "label": label,
        "next_sort": next_sort,
        "aria_sort": ("descending" if descending else "ascending") if is_active else "",
        "css_class": f"col-{key}",
    }
