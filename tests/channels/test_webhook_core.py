"""The path every provider's webhook takes: verify, store raw once, process, retry what failed."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels import webhooks
from channels.models import WebhookEvent
from channels.tasks import retry_failed_webhooks
from channels.webhooks import Accepted, IncomingWebhook, WebhookRejected, receive
from leadfollow.tenancy import unscoped

pytestmark = pytest.mark.django_db

applied: list[str] = []


@pytest.fixture
def test_provider(workspace, monkeypatch):
    """A provider whose receiver trusts a `sig` header and whose processor can be told to fail."""

    def accept(incoming: IncomingWebhook) -> Accepted:
        if incoming.header("sig") != "ok":
            raise WebhookRejected(403, "Bad signature.")
        if not incoming.body:
            raise WebhookRejected(400, "Empty body.")
        return Accepted(
            workspace=workspace,
            kind="ping",
            dedupe_key=incoming.header("delivery"),
            inline=incoming.header("inline") == "yes",
        )

    def apply(event):
        if event.body == "explode":
            raise RuntimeError("processor failed")
        applied.append(event.body)

    monkeypatch.setitem(webhooks.RECEIVERS, ("outbox", "ping"), accept)
    monkeypatch.setitem(webhooks.PROCESSORS, ("outbox", "ping"), apply)
    applied.clear()
    return workspace


def _incoming(body="hello", delivery="d1", **headers):
    return IncomingWebhook(
        url="https://app.test/webhooks/ping/",
        headers={"sig": "ok", "delivery": delivery, **headers},
        body=body.encode(),
    )


def test_bad_signature_is_refused_and_nothing_is_stored(test_provider):
    answer = receive("outbox", "ping", _incoming(sig="forged"))
    assert answer.status == 403
    with unscoped():
        assert not WebhookEvent.objects.exists()


def test_malformed_request_is_a_400(test_provider):
    assert receive("outbox", "ping", _incoming(body="")).status == 400


def test_unknown_route_is_a_404(test_provider):
    assert receive("outbox", "nope", _incoming()).status == 404


def test_event_is_stored_raw_and_processed_after_commit(
    test_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = receive("outbox", "ping", _incoming())
    with unscoped():
        event = WebhookEvent.objects.get()
    assert answer.status == 200
    assert (event.body, event.status) == ("hello", "processed")
    assert applied == ["hello"]


def test_a_retried_delivery_is_counted_and_applied_once(
    test_provider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        receive("outbox", "ping", _incoming())
        receive("outbox", "ping", _incoming())
    with unscoped():
        event = WebhookEvent.objects.get()
    assert event.deliveries == 2
    assert applied == ["hello"]


def test_an_inline_event_is_processed_before_the_answer(test_provider):
    receive("outbox", "ping", _incoming(inline="yes"))
    assert applied == ["hello"]


def test_a_failing_processor_keeps_the_event_with_its_error(test_provider):
    answer = receive("outbox", "ping", _incoming(body="explode", inline="yes"))
    with unscoped():
        event = WebhookEvent.objects.get()
    assert answer.status == 200  # stored: the provider need not retry
    assert event.status == "failed"
    assert "processor failed" in event.error


def test_failed_events_are_processed_again_by_the_retry_tick(test_provider):
    receive("outbox", "ping", _incoming(body="explode", inline="yes"))
    with unscoped():
        WebhookEvent.objects.update(body="fixed")
    retry_failed_webhooks(now=timezone.now() + timedelta(minutes=1))
    with unscoped():
        event = WebhookEvent.objects.get()
    assert event.status == "processed"
    assert applied == ["fixed"]
