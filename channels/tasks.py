"""Channel tasks: apply stored webhook events, and re-try the ones that failed."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from channels.models import WebhookEvent
from channels.webhooks import process_event
from leadfollow.tasks import WorkspaceTask
from leadfollow.tenancy import unscoped, workspace_scope

# A failed event is tried again on each retry tick until it has been tried this many times.
MAX_PROCESSING_ATTEMPTS = 5


@shared_task(base=WorkspaceTask)
def process_webhook_event(*, workspace_id: int, event_id: int) -> None:
    event = WebhookEvent.objects.filter(workspace_id=workspace_id, pk=event_id).first()
    if event is not None and event.status != WebhookEvent.Status.PROCESSED:
        process_event(event)


def retry_failed_webhooks(*, now=None, limit: int = 200) -> int:
    """Tick: re-process stored events that failed or were never picked up (a lost task)."""
    now = now or timezone.now()
    with unscoped():
        stuck = list(
            WebhookEvent.objects.filter(
                status__in=[WebhookEvent.Status.FAILED, WebhookEvent.Status.RECEIVED],
                attempts__lt=MAX_PROCESSING_ATTEMPTS,
                received_at__lt=now - timedelta(seconds=30),
            )
            .select_related("workspace")
            .order_by("received_at")[:limit]
        )
    for event in stuck:
        with workspace_scope(event.workspace):
            process_event(event)
    return len(stuck)
