"""The inbox page: the rep's queue, its live refresh, and the one-key actions on a row."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cadences.models import Task
from cadences.selectors import enrollable_cadences
from cadences.services.tasks import complete_task, ensure_may_work_on, get_task
from leadfollow.errors import Conflict, InvalidInput
from leadfollow.roles import member_required
from leads import selectors
from leads.inbox import SECTIONS, Inbox, rep_inbox
from leads.inbox_forms import InboxFilterForm
from leads.inbox_rows import inbox_rows
from leads.services.meetings import confirm_meeting
from scoring.services.scores import rule_settings

QUEUE = "leads/_inbox_queue.html"


def _inbox(request: HttpRequest, data: QueryDict) -> tuple[InboxFilterForm, Inbox]:
    form = InboxFilterForm(data, membership=request.membership)
    inbox = rep_inbox(
        workspace=request.workspace, membership=request.membership, filters=form.filters()
    )
    return form, inbox


def _queue_context(
    request: HttpRequest, form: InboxFilterForm, inbox: Inbox, seen: set[str] | None
) -> dict:
    """`seen`: the keys on the rep's screen before this refresh; None on a fresh render.

    Rows the rep has not seen carry a "New" badge until the page is loaded or filtered again.
    The fingerprint lets the live view answer "nothing changed" without sending the queue.
    """
    keys = [item.key for item in inbox.items]
    seen = set(keys) if seen is None else seen & set(keys)
    new = {key for key in keys if key not in seen}
    state = "|".join(
        f"{item.key}:{item.is_breached:d}{item.is_later:d}{item.key in new:d}"
        f":{item.lead.owner_id}:{item.score}:{item.reason}"
        for item in inbox.items
    )
    counts = ",".join(f"{name}={count}" for name, count in inbox.counts.items())
    chips = [{"value": "", "label": "Everything", "count": inbox.total}] + [
        {"value": name, "label": label, "count": inbox.counts[name]}
        for name, label in SECTIONS.items()
    ]
    return {
        "section_chips": chips,
        "filters": form,
        "chosen": form.filters(),
        "inbox": inbox,
        "rows": inbox_rows(inbox.items, new_keys=new, now=inbox.now, zone=request.workspace.tzinfo),
        "now": inbox.now,
        "new_keys": new,
        "seen": ".".join(sorted(seen)),
        "fingerprint": hashlib.sha1(f"{state}#{counts}".encode()).hexdigest()[:16],
    }


def _seen(data: QueryDict) -> set[str]:
    return {key for key in data.get("seen", "").split(".") if key}


@member_required()
def inbox(request: HttpRequest) -> HttpResponse:
    """The queue page; the filter form's htmx requests get the queue alone."""
    form, queue = _inbox(request, request.GET)
    context = _queue_context(request, form, queue, seen=None)
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, QUEUE, context)
    workspace = request.workspace
    form.with_choices(
        sources=[(s.pk, s.name) for s in selectors.lead_sources(workspace=workspace)],
        bands=[band["name"] for band in rule_settings(workspace=workspace).bands],
        cadences=[(c.pk, c.name) for c in enrollable_cadences(workspace=workspace)],
    )
    return render(request, "leads/inbox.html", context)


@member_required()
def inbox_live(request: HttpRequest) -> HttpResponse:
    """Polled every few seconds: 204 while the queue is unchanged, else the fresh queue."""
    form, queue = _inbox(request, request.GET)
    context = _queue_context(request, form, queue, seen=_seen(request.GET))
    if request.GET.get("fingerprint") == context["fingerprint"]:
        return HttpResponse(status=204)
    return render(request, QUEUE, context)


def _after_action(request: HttpRequest, notice: str, *, failed: bool = False) -> HttpResponse:
    """htmx gets the refreshed queue with the outcome read out; a plain form goes back."""
    if not request.htmx:
        (messages.error if failed else messages.success)(request, notice)
        return redirect("leads:inbox")
    form, queue = _inbox(request, request.POST)
    context = _queue_context(request, form, queue, seen=_seen(request.POST))
    return render(request, QUEUE, {**context, "notice": notice, "notice_failed": failed})


@member_required()
@require_POST
def inbox_task_done(request: HttpRequest, task_id: int) -> HttpResponse:
    """The e/d key on a task row: close it as done (a call's outcome is logged on the lead)."""
    workspace = request.workspace
    task = get_task(workspace=workspace, task_id=task_id)
    ensure_may_work_on(actor=request.membership, task=task)
    try:
        complete_task(
            workspace=workspace,
            task_id=task.pk,
            outcome=Task.Outcome.DONE,
            actor=request.membership,
        )
    except (Conflict, InvalidInput) as exc:
        return _after_action(request, exc.message, failed=True)
    return _after_action(request, f"Done: {task.title}")


@member_required()
@require_POST
def inbox_meeting_confirm(request: HttpRequest, lead_id: int) -> HttpResponse:
    """The Confirm button (or e/d) on a meeting row."""
    try:
        lead = confirm_meeting(
            workspace=request.workspace, lead_id=lead_id, actor=request.membership
        )
    except InvalidInput as exc:
        return _after_action(request, exc.message, failed=True)
    return _after_action(request, f"Meeting with {lead.display_name} confirmed.")
