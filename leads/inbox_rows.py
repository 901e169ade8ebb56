"""What each inbox row shows, worked out once in Python for the row template.

A rep's queue holds up to sixty rows and is refreshed every few seconds. Done in the template,
each row's wording (the due time in the workspace's zone, "3 minutes overdue", which buttons)
took a few dozen tag evaluations and date lookups; here it is a handful of plain attribute
reads, which keeps the page fast as the queue fills up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from django.template.defaultfilters import slugify
from django.urls import reverse
from django.utils.dateformat import format as format_date
from django.utils.timesince import timesince, timeuntil

from leads.inbox import InboxItem

_WHY = {"sla": "New lead", "reply": "Replied", "meeting": "Meeting"}


@dataclass(frozen=True)
class When:
    """The row's time column: the machine-readable instant and what the rep reads."""

    iso: str
    text: str
    css: str = ""
    warn_iso: str = ""  # SLA rows: when the countdown turns amber


@dataclass(frozen=True)
class InboxRow:
    item: InboxItem
    is_new: bool
    url: str
    why: str
    reason: str
    when: When
    owner: str  # empty: unassigned
    band: str
    band_css: str
    done_url: str = ""  # task rows: close the task; meeting rows: confirm the meeting

    @property
    def css(self) -> str:
        classes = ["inboxrow", f"inboxrow--{self.item.section}"]
        if self.item.is_breached:
            classes.append("inboxrow--breached")
        if self.is_new:
            classes.append("inboxrow--new")
        return " ".join(classes)

    @property
    def is_call(self) -> bool:
        return self.item.task is not None and self.item.task.kind == "call"


def inbox_rows(
    items: list[InboxItem], *, new_keys: set[str], now: datetime, zone: tzinfo
) -> list[InboxRow]:
    today = now.astimezone(zone).date()
    return [_row(item, item.key in new_keys, now, zone, today) for item in items]


def _row(item: InboxItem, is_new: bool, now: datetime, zone: tzinfo, today) -> InboxRow:
    lead = item.lead
    score = getattr(lead, "score", None)
    band = score.band if score is not None else ""
    owner = lead.owner.user.display_name if lead.owner_id else ""
    done_url = ""
    if item.section == "task":
        why = "Call" if item.task.kind == "call" else "Task"
        done_url = reverse("leads:inbox-task-done", args=[item.task.pk])
    else:
        why = _WHY[item.section]
        if item.section == "meeting":
            done_url = reverse("leads:inbox-meeting-confirm", args=[lead.pk])
    return InboxRow(
        item=item,
        is_new=is_new,
        url=reverse("leads:lead-detail", args=[lead.pk]),
        why=why,
        reason=_reason(item, zone),
        when=_when(item, now, zone, today),
        owner=owner,
        band=f"{band} · {score.total}" if band else "",
        band_css=f"band band--{slugify(band)}" if band else "",
        done_url=done_url,
    )


def _reason(item: InboxItem, zone: tzinfo) -> str:
    if item.section == "sla":
        due = format_date(item.due_at.astimezone(zone), "g:i A")
        if item.is_breached:
            return f"No first touch yet: the SLA was due {due}"
        return f"First touch due by {due}"
    if item.section == "meeting":
        return "Booked: confirm it with the lead"
    return item.reason


def _when(item: InboxItem, now: datetime, zone: tzinfo, today) -> When:
    local = item.due_at.astimezone(zone)
    iso = local.isoformat()
    if item.section == "sla":
        warn_at = item.lead.sla.warn_at
        warn_iso = warn_at.astimezone(zone).isoformat()
        if item.is_breached:
            text, css = f"{timesince(item.due_at, now)} overdue", "countdown countdown--late"
        else:
            text = f"{timeuntil(item.due_at, now)} left"
            css = "countdown countdown--warn" if warn_at <= now else "countdown"
        return When(iso, text, css, warn_iso)
    if item.section == "reply":
        text = f"Waiting since {format_date(local, 'g:i A')}"
        if local.date() != today:
            text += f", {format_date(local, 'M j')}"
        return When(iso, text)
    if item.section == "task":
        if item.is_later:
            return When(iso, f"Later today, {format_date(local, 'g:i A')}", "muted")
        if local.date() != today:
            return When(iso, f"Overdue since {format_date(local, 'M j')}", "inboxrow__due")
        return When(iso, f"Due {format_date(local, 'g:i A')}", "inboxrow__due")
    return When(iso, format_date(local, "D M j, g:i A"))
