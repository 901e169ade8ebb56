"""The weekly summary email to managers: last week's headline figures and a link to Reports.

The hourly tick finds each workspace whose week has turned (Monday 08:00 in its own zone) and
whose last week has no summary yet, and queues one task per workspace. The task claims the
week under a unique constraint before sending, so a summary is never sent twice; a tick that
was down on Monday still sends it later that week.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from leadfollow.models import Membership, Role, Workspace
from leadfollow.tenancy import unscoped
from reports.filters import ReportFilters
from reports.models import WeeklySummary
from reports.presentation import format_value
from reports.registry import all_reports, compute_headline

logger = logging.getLogger(__name__)

SEND_AFTER = time(8, 0)  # Monday morning, workspace time


def last_full_week(*, workspace: Workspace, now: datetime) -> date | None:
    """The Monday of the week just ended, once this week's Monday 08:00 has passed; else None."""
    local = now.astimezone(workspace.tzinfo)
    monday = local.date() - timedelta(days=local.weekday())
    if local.weekday() == 0 and local.time() < SEND_AFTER:
        return None
    return monday - timedelta(days=7)


def summaries_tick(*, now: datetime | None = None) -> int:
    """Tick: queue the summary of every workspace whose week turned. Returns how many."""
    from reports import tasks

    now = now or timezone.now()
    # Every workspace is looked at: the tick is the one cross-workspace entry point here.
    with unscoped():
        workspaces = list(Workspace.objects.all())
        done = set(
            WeeklySummary.objects.values_list("workspace_id", "week_start").filter(
                week_start__gte=(now - timedelta(days=15)).date()
            )
        )
    queued = 0
    for workspace in workspaces:
        week = last_full_week(workspace=workspace, now=now)
        if week is not None and (workspace.pk, week) not in done:
            tasks.send_weekly_summary.delay(workspace_id=workspace.pk, week_start=week.isoformat())
            queued += 1
    return queued


def send_weekly_summary(*, workspace: Workspace, week_start: date) -> WeeklySummary | None:
    """Email the week's headline to the workspace's managers and owners, once per week.

    Returns the summary it sent, or None when that week was already claimed. The claim comes
    first: should the mail server fail, the week stays claimed with no `sent_at` (logged), as
    a summary sent late twice is worse than one missed."""
    try:
        with transaction.atomic():
            summary = WeeklySummary.objects.create(workspace=workspace, week_start=week_start)
    except IntegrityError:
        return None  # another tick or worker has it: never twice
    recipients = [
        member.user.email
        for member in Membership.objects.filter(workspace=workspace, is_active=True)
        .exclude(role=Role.REP)
        .select_related("user")
    ]
    subject, body = _email(workspace, week_start)
    send_mass_mail([(subject, body, None, [to]) for to in recipients], fail_silently=False)
    summary.sent_at, summary.recipients = timezone.now(), len(recipients)
    summary.save(update_fields=["sent_at", "recipients"])
    logger.info("weekly summary sent workspace=%s week=%s", workspace.pk, week_start)
    return summary


def _email(workspace: Workspace, week_start: date) -> tuple[str, str]:
    filters = ReportFilters(
        date_from=week_start, date_to=week_start + timedelta(days=6), tz=workspace.tzinfo
    )
    sections = [
        {
            "title": report.title,
            "figures": [
                (figure.label, format_value(figure.value, figure.unit))
                for figure in compute_headline(
                    workspace=workspace, report=report, filters=filters, viewer=None
                )
            ],
        }
        for report in all_reports()
    ]
    context = {
        "workspace": workspace,
        "filters": filters,
        "sections": sections,
        "link": f"{settings.BASE_URL}{reverse('reports:index')}?{filters.as_query()}",
    }
    subject = f"LeadFollow: {workspace.name}, week of {week_start:%b} {week_start.day}"
    return subject, render_to_string("reports/email/weekly_summary.txt", context)
