"""What the lead page shows: shared by the page view and every action that re-renders a part."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cadences.models import Enrollment
from cadences.selectors import lead_enrollments
from channels.compliance import channel_settings, lead_time_zone, next_window_opening
from channels.conversations import messages_by_id, reply_templates
from leadfollow.selectors import workspace_members
from leads import selectors
from leads.lead_forms import (
    CallLogForm,
    CallStartForm,
    LeadEditForm,
    LeadStateForm,
    MeetingForm,
    NoteForm,
    ReplyForm,
    TaskForm,
)
from leads.models import Activity, Lead
from leads.services.call_log import CALL_OUTCOMES
from leads.services.replies import default_subject

TIMELINE_PAGE = 100
CALL_CHANNELS = ("call", "voicemail")
# What is learnt about a call after it was placed; each shows on the call's own timeline entry.
CALL_FOLLOW_UPS = ("call_logged", "call_completed", "call_not_connected")
TASK_DEFAULT_HOUR = 9  # a new follow-up is due tomorrow morning unless the rep says otherwise


def page_context(request: HttpRequest, lead: Lead, **parts) -> dict:
    """Everything the page and its partials show. `parts` replaces a fresh form with a bound one
    and carries an action's result (e.g. `reply_result`)."""
    workspace = request.workspace
    activities = _calls_once(lead, selectors.lead_activities(lead=lead))
    timeline = Paginator(activities, TIMELINE_PAGE).get_page(request.GET.get("page"))
    shown = _with_messages(workspace, lead, list(timeline.object_list))
    timeline.object_list = _fold_calls(workspace, lead, shown)
    return {
        **header_context(
            request,
            lead,
            state_form=parts.pop("state_form", None),
            state_error=parts.pop("state_error", None),
        ),
        "timeline": timeline,
        "edit_form": parts.pop("edit_form", None) or LeadEditForm(lead=lead),
        "note_form": parts.pop("note_form", None) or NoteForm(),
        **action_forms(request, lead, **parts),
    }


def header_context(
    request: HttpRequest,
    lead: Lead,
    *,
    state_form: LeadStateForm | None = None,
    state_error: str | None = None,
) -> dict:
    """What the page's header shows: the lead, its live cadence, the status and owner form."""
    workspace = request.workspace
    if state_form is None:
        members = list(workspace_members(workspace=workspace))
        state_form = LeadStateForm(lead=lead, members=members)
    return {
        "lead": lead,
        "workspace": workspace,
        "account_url": _account_url(lead),
        "enrollment": live_enrollment(workspace=workspace, lead=lead),
        "lead_clock": lead_clock(workspace=workspace, lead=lead),
        "state_form": state_form,
        "state_error": state_error,
    }


def action_forms(request: HttpRequest, lead: Lead, **parts) -> dict:
    """The forms of the page's action panels, fresh unless `parts` passes a bound one."""
    workspace = request.workspace
    forms = {
        "reply_form": parts.pop("reply_form", None) or new_reply_form(request, lead),
        "call_form": parts.pop("call_form", None)
        or CallStartForm(initial={"rep_phone": _rep_phone(request)}),
        "log_form": parts.pop("log_form", None) or CallLogForm(),
        "task_form": parts.pop("task_form", None) or TaskForm(initial={"due_at": _tomorrow()}),
        "meeting_form": parts.pop("meeting_form", None) or MeetingForm(),
    }
    if "outcome_form" not in parts and parts.get("call_result") is not None:
        message = parts["call_result"].message
        forms["outcome_form"] = CallLogForm(prefix="outcome", initial={"call": message.pk})
    return {"workspace": workspace, **forms, **parts}


def new_reply_form(request: HttpRequest, lead: Lead, **initial) -> ReplyForm:
    workspace = request.workspace
    values = {
        # Text first: it is read fastest; email when texting is impossible.
        "channel": "email" if lead.email and (not lead.phone or lead.do_not_sms) else "sms",
        "subject": default_subject(workspace=workspace, lead=lead),
        "send_id": secrets.token_hex(10),
        **initial,
    }
    return ReplyForm(templates=reply_templates(workspace=workspace), initial=values)


@dataclass(frozen=True)
class LeadClock:
    """What time it is where the lead is, and whether a call may be placed now."""

    text: str
    zone: str
    place: str
    window: str  # the workspace's calling hours, "08:00–21:00"
    is_outside_window: bool


def lead_clock(*, workspace, lead: Lead, now: datetime | None = None) -> LeadClock:
    """The lead's local time, in the zone and against the quiet hours the send check uses, so
    the header says "outside calling hours" exactly when a call would be held."""
    now = now or timezone.now()
    settings = channel_settings(workspace)
    zone = lead_time_zone(lead, workspace)
    local = now.astimezone(zone)
    opening = next_window_opening(workspace=workspace, lead=lead, settings=settings, now=now)
    return LeadClock(
        text=local.strftime("%a %-I:%M %p"),
        zone=zone.key,
        place=zone.key.rsplit("/", 1)[-1].replace("_", " "),
        window=f"{settings.quiet_hours_start:%H:%M}–{settings.quiet_hours_end:%H:%M}",
        is_outside_window=opening is not None,
    )


def live_enrollment(*, workspace, lead: Lead) -> Enrollment | None:
    """The lead's active or paused cadence, with its next touch, for the header."""
    live = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)
    return lead_enrollments(workspace=workspace, lead=lead).filter(status__in=live).first()


def _with_messages(workspace, lead: Lead, activities: list[Activity]) -> list[Activity]:
    """Attach each activity's message (email, text, call) from one query for the whole page."""
    ids = [activity.payload.get("message_id") for activity in activities]
    found = messages_by_id(workspace=workspace, lead_id=lead.pk, ids=ids)
    for activity in activities:
        activity.message = found.get(activity.payload.get("message_id"))
    return activities


def _calls_once(lead: Lead, activities: QuerySet[Activity]) -> QuerySet[Activity]:
    """The timeline without the separate entries of a placed call's outcome: the rep's logged
    outcome and the provider's end-of-call report show on the call's entry (`_fold_calls`).
    A call logged by hand, with no placed call to join, keeps its own entry.

    The lead's call entries are few: one small query finds the ones to hide, and the timeline
    (and its count, over hundreds of items) leaves them out by id."""
    calls = Activity.objects.filter(
        Q(kind="sent", channel__in=CALL_CHANNELS) | Q(kind__in=CALL_FOLLOW_UPS),
        workspace_id=lead.workspace_id,
        lead_id=lead.pk,
    ).values_list("pk", "kind", "payload__message_id")
    placed, follow_ups = set(), []
    for pk, kind, message_id in calls:
        if message_id is None:
            continue
        if kind == "sent":
            placed.add(message_id)
        else:
            follow_ups.append((pk, message_id))
    hidden = [pk for pk, message_id in follow_ups if message_id in placed]
    return activities.exclude(pk__in=hidden) if hidden else activities


def _fold_calls(workspace, lead: Lead, activities: list[Activity]) -> list[Activity]:
    """Put on each placed call's entry what came after it, read in one query for the page: the
    outcome (the rep's words first, else the provider's), the duration, the rep's notes and the
    recording. The stored activities stay as they are (reports count them)."""
    placed = {
        activity.payload["message_id"]: activity
        for activity in activities
        if activity.kind == "sent"
        and activity.channel in CALL_CHANNELS
        and activity.payload.get("message_id")
    }
    if not placed:
        return activities
    later: dict[int, dict[str, Activity]] = {}
    for follow_up in Activity.objects.filter(
        workspace=workspace,
        lead_id=lead.pk,
        kind__in=CALL_FOLLOW_UPS,
        payload__message_id__in=list(placed),
    ).order_by("occurred_at", "pk"):
        later.setdefault(follow_up.payload["message_id"], {})[follow_up.kind] = follow_up
    for message_id, activity in placed.items():
        _fold_call(activity, later.get(message_id, {}))
    return activities


def _fold_call(activity: Activity, later: dict[str, Activity]) -> None:
    logged, ended = later.get("call_logged"), later.get("call_completed")
    unconnected = later.get("call_not_connected")
    message = getattr(activity, "message", None)
    details = message.details if message is not None else {}
    found = {**(ended.payload if ended else {}), **(logged.payload if logged else {})}
    duration = (logged and logged.payload.get("duration_seconds")) or (
        ended and ended.payload.get("duration_seconds")
    )
    if logged:
        words = f"Call: {CALL_OUTCOMES.get(logged.payload.get('outcome'), 'logged').lower()}"
    elif ended:  # the provider's words, without the duration it added to them
        reported = ended.payload.get("duration_seconds")
        words = ended.summary.removesuffix(f", {_duration_text(reported)}" if reported else "")
    else:
        words = activity.summary
    notes = [text for text in (found.get("notes"), unconnected and unconnected.summary) if text]
    activity.summary = f"{words}, {_duration_text(duration)}" if duration else words
    activity.payload = {
        **activity.payload,
        "outcome": found.get("outcome", ""),
        "duration_seconds": duration,
        "notes": "\n\n".join(notes),
        "recording_url": found.get("recording_url") or details.get("recording_url", ""),
    }


def _duration_text(seconds: int | None) -> str:
    """ "38 s", "4 min", "3 min 12 s": how the provider's end-of-call report words it."""
    minutes, rest = divmod(int(seconds or 0), 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def _account_url(lead: Lead) -> str:
    """The company page, once the accounts page is installed; until then the name is plain."""
    if not lead.account_id:
        return ""
    try:
        return reverse("leads:account-detail", args=[lead.account_id])
    except NoReverseMatch:
        return ""


def _rep_phone(request: HttpRequest) -> str:
    try:
        return request.membership.availability.mobile_phone
    except ObjectDoesNotExist:
        return ""


def _tomorrow() -> datetime:
    day = timezone.localdate() + timedelta(days=1)
    return datetime.combine(day, time(TASK_DEFAULT_HOUR), tzinfo=timezone.get_current_timezone())
