"""Acting from the lead page: reply, call, log a call, add a task, book a meeting, and pause,
resume or stop the lead's cadence.

Each action is an htmx form with a plain-form fallback. With htmx, the action's panel comes
back (its errors, or a fresh form and what happened) with the header and the timeline swapped
out of band; without it, success redirects to the page and an error re-renders it with a 400.
"""

from __future__ import annotations

import secrets
from functools import partial

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cadences.services import enrollment as enrollments
from cadences.services.tasks import create_task
from channels.compliance import check_send
from channels.conversations import get_lead_call, reply_templates
from channels.models import Channel, Message
from channels.services.calls import start_click_to_call
from channels.services.reply_templates import get_reply_template
from channels.services.sending import ALREADY_SENT, FAILED, SENT, SendOutcome
from channels.sms import count_segments
from leadfollow.errors import DomainError
from leadfollow.forms import add_domain_error
from leadfollow.roles import member_required
from leads import selectors
from leads.lead_forms import CallLogForm, CallStartForm, MeetingForm, ReplyForm, TaskForm
from leads.models import Lead
from leads.services.call_log import log_call
from leads.services.meetings import book_meeting
from leads.services.replies import render_reply, send_reply
from leads.views.lead_page import header_context, new_reply_form, page_context

PANELS = {
    "reply": "leads/_composer.html",
    "call": "leads/_call.html",
    "task": "leads/_task_form.html",
    "meeting": "leads/_meeting_form.html",
}
ENROLLMENT_ACTIONS = {
    "pause": enrollments.pause,
    "resume": enrollments.resume,
    "stop": partial(enrollments.stop, reason="manual"),
}


def _respond(
    request: HttpRequest, lead: Lead, panel: str, *, done: str = "", stay: bool = False, **parts
) -> HttpResponse:
    """Success (`done`): a redirect to the page, or with htmx the panel (fresh) with the header
    and timeline out of band. Otherwise (`parts` carry the bound form, or `stay` keeps the rep
    on a next step) the panel or, without htmx, the whole page: a 400 when it failed."""
    if done and not request.htmx:
        messages.success(request, done)
        return redirect(reverse("leads:lead-detail", args=[lead.pk]) + f"#{panel}")
    # The action may have changed the lead (status, SLA, first touch): read it again.
    lead = selectors.get_lead(workspace=request.workspace, lead_id=lead.pk)
    context = page_context(request, lead, **{f"{panel}_done": done, **parts})
    if not request.htmx:
        return render(request, "leads/lead_detail.html", context, status=200 if stay else 400)
    # htmx swaps only 2xx answers: a form with its errors comes back as a 200.
    context["panel"] = PANELS[panel]
    return render(request, "leads/_action_response.html", context)


@member_required()
def lead_reply(request: HttpRequest, lead_id: int) -> HttpResponse:
    """GET: the composer, started from a template when one is picked. POST: send it."""
    workspace = request.workspace
    lead = selectors.get_lead(workspace=workspace, lead_id=lead_id)
    if request.method != "POST":
        return _composer_with_template(request, lead)
    form = ReplyForm(request.POST, templates=reply_templates(workspace=workspace))
    result = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            draft = render_reply(
                workspace=workspace,
                lead=lead,
                channel=data["channel"],
                subject=data["subject"],
                body=data["body"],
            )
            result = send_reply(
                workspace=workspace,
                lead=lead,
                draft=draft,
                actor=request.membership,
                send_id=data["send_id"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    if result is not None and result.status in (SENT, ALREADY_SENT):
        if result.message.status != Message.Status.FAILED:
            label = "Email" if result.message.channel == Channel.EMAIL else "Text"
            return _respond(request, lead, "reply", done=f"{label} sent.")
        result = SendOutcome(FAILED, result.message, reason=result.message.error)
    if result is not None and result.status == FAILED:
        # A new id, so sending again is a new attempt, not "already sent".
        form.data = form.data.copy()
        form.data["send_id"] = secrets.token_hex(10)
    return _respond(request, lead, "reply", reply_form=form, reply_result=result)


def _composer_with_template(request: HttpRequest, lead: Lead) -> HttpResponse:
    initial = {
        key: request.GET[key] for key in ("channel", "subject", "body") if key in request.GET
    }
    template_id = request.GET.get("template", "")
    error = ""
    if template_id.isdigit():
        try:
            saved = get_reply_template(workspace=request.workspace, template_id=int(template_id))
        except DomainError as exc:
            error = exc.message
        else:
            initial.update(
                channel=saved.channel, subject=saved.subject, body=saved.body, template=saved.pk
            )
    form = new_reply_form(request, lead, **initial)
    context = page_context(request, lead, reply_form=form, reply_template_error=error)
    if request.htmx:
        return render(request, "leads/_composer.html", context)
    return render(request, "leads/lead_detail.html", context)


@member_required()
@require_GET
def lead_reply_preview(request: HttpRequest, lead_id: int) -> HttpResponse:
    """While the rep types: the compliance verdict, the text's segments and the filled message."""
    workspace = request.workspace
    lead = selectors.get_lead(workspace=workspace, lead_id=lead_id)
    channel = request.GET.get("channel", "")
    body = request.GET.get("body", "")
    context: dict = {"lead": lead, "workspace": workspace}
    if channel not in (Channel.EMAIL, Channel.SMS):
        return render(request, "leads/_composer_preview.html", context)
    context["verdict"] = check_send(workspace=workspace, lead=lead, channel=channel)
    if body.strip():
        try:
            context["draft"] = render_reply(
                workspace=workspace,
                lead=lead,
                channel=channel,
                subject=request.GET.get("subject", ""),
                body=body,
            )
        except DomainError as exc:
            context["preview_error"] = exc.message
    if channel == Channel.SMS:
        filled = context["draft"].text if "draft" in context else body
        context["segments"] = count_segments(filled) if filled else None
    return render(request, "leads/_composer_preview.html", context)


@member_required()
@require_POST
def lead_call(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Click-to-call: ring the rep's phone, then connect the lead. The outcome form follows."""
    workspace = request.workspace
    lead = selectors.get_lead(workspace=workspace, lead_id=lead_id)
    form = CallStartForm(request.POST)
    result = None
    if form.is_valid():
        try:
            result = start_click_to_call(
                workspace=workspace,
                lead=lead,
                rep=request.membership,
                rep_phone=form.cleaned_data["rep_phone"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
    if result is not None and result.status == SENT:
        # The outcome form must be filled after the call: the page stays on it, with or
        # without htmx.
        return _respond(request, lead, "call", stay=True, call_form=form, call_result=result)
    return _respond(request, lead, "call", call_form=form, call_refused=result)


@member_required()
@require_POST
def lead_call_log(request: HttpRequest, lead_id: int) -> HttpResponse:
    """How a call went: the outcome after a click-to-call, or a call made from another phone."""
    workspace = request.workspace
    lead = selectors.get_lead(workspace=workspace, lead_id=lead_id)
    after_click = request.POST.get("form") == "outcome"
    form = CallLogForm(request.POST, prefix="outcome" if after_click else "log")
    if form.is_valid():
        data = form.cleaned_data
        try:
            call = None
            if data["call"]:
                call = get_lead_call(workspace=workspace, lead_id=lead.pk, message_id=data["call"])
            log_call(
                workspace=workspace,
                lead_id=lead.pk,
                outcome=data["outcome"],
                actor=request.membership,
                duration_seconds=form.duration_seconds,
                notes=data["notes"],
                message_id=call.pk if call else None,
                meeting_at=data["meeting_at"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _respond(request, lead, "call", done="Call logged.")
    bound = {"outcome_form": form} if after_click else {"log_form": form}
    return _respond(request, lead, "call", **bound)


@member_required()
@require_POST
def lead_task(request: HttpRequest, lead_id: int) -> HttpResponse:
    """A follow-up task for the rep, due when they say (in the workspace's time zone)."""
    lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            create_task(
                workspace=request.workspace,
                lead_id=lead.pk,
                title=form.cleaned_data["title"],
                due_at=form.cleaned_data["due_at"],
                notes=form.cleaned_data["notes"],
                assignee=request.membership,
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _respond(request, lead, "task", done="Task added.")
    return _respond(request, lead, "task", task_form=form)


@member_required()
@require_POST
def lead_meeting(request: HttpRequest, lead_id: int) -> HttpResponse:
    """Book a meeting at its time: the lead's status becomes "Meeting booked", cadences stop."""
    lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
    form = MeetingForm(request.POST)
    if form.is_valid():
        try:
            book_meeting(
                workspace=request.workspace,
                lead_id=lead.pk,
                at=form.cleaned_data["at"],
                note=form.cleaned_data["note"],
                confirmed=form.cleaned_data["confirmed"],
                actor=request.membership,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return _respond(request, lead, "meeting", done="Meeting booked.")
    return _respond(request, lead, "meeting", meeting_form=form)


@member_required()
@require_POST
def lead_enrollment_action(request: HttpRequest, enrollment_id: int, action: str) -> HttpResponse:
    """Pause, resume or stop the lead's cadence from its header."""
    workspace = request.workspace
    found = enrollments.get_enrollment(workspace=workspace, enrollment_id=enrollment_id)
    error = ""
    try:
        ENROLLMENT_ACTIONS[action](workspace=workspace, enrollment=found, actor=request.membership)
    except DomainError as exc:
        error = exc.message
    if not request.htmx:
        (messages.error if error else messages.success)(request, error or "Cadence updated.")
        return redirect("leads:lead-detail", lead_id=found.lead_id)
    lead = selectors.get_lead(workspace=workspace, lead_id=found.lead_id)
    context = page_context(request, lead, enrollment_error=error)
    return render(request, "leads/_enrollment_response.html", context)


@member_required()
@require_GET
def lead_header(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The page's header alone: the cadence card reloads it after enrolling the lead."""
    lead = selectors.get_lead(workspace=request.workspace, lead_id=lead_id)
    return render(request, "leads/_lead_header.html", header_context(request, lead))
