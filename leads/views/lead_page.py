"""What the lead page shows: shared by the page view and every action that re-renders a part."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cadences.models import Enrollment
from cadences.selectors import lead_enrollments
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
from leads.services.replies import default_subject

TIMELINE_PAGE = 100
TASK_DEFAULT_HOUR = 9  # a new follow-up is due tomorrow morning unless the rep says otherwise


def page_context(request: HttpRequest, lead: Lead, **parts) -> dict:
    """Everything the page and its partials show. `parts` replaces a fresh form with a bound one
    and carries an action's result (e.g. `reply_result`)."""
    workspace = request.workspace
    activities = selectors.lead_activities(lead=lead)
    timeline = Paginator(activities, TIMELINE_PAGE).get_page(request.GET.get("page"))
    timeline.object_list = _with_messages(workspace, lead, list(timeline.object_list))
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
