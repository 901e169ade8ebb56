"""Cadence tasks: workers send the touches the dispatcher claimed."""

from __future__ import annotations

from celery import shared_task

from cadences.services import dispatch


@shared_task(ignore_result=True, acks_late=True)
def send_touches(*, touch_ids: list[int]) -> None:
    """Send a chunk of claimed touches with a fixed number of queries. A lost message is
    recovered by the requeue tick, and a touch is only ever sent from `queued` or `pending`,
    so a duplicate delivery sends nothing twice."""
    dispatch.send_touches(touch_ids)
