"""SendGrid's signed event webhook: verified with the workspace's key, each event applied once."""

import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from channels.models import Message, ProviderAccount, Suppression, WebhookEvent
from channels.services.suppression import address_hash
from channels.webhooks.sendgrid import verify_event_signature
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.channels.conftest_sendgrid import *  # noqa: F403
from tests.channels.conftest_sendgrid import event_signature, public_key_text, sign_events
from tests.factories import LeadFactory, MessageFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "vendor_specs" / "fixtures"


def _event(message, kind, **fields):
    return {
        "email": message.to_address,
        "timestamp": 1781107200,
        "event": kind,
        "sg_event_id": f"{kind}-{message.pk}-{fields.pop('n', 1)}",
        "sg_message_id": f"{message.provider_message_id}.recvd-1",
        "lf_tenant": str(message.workspace_id),
        "lf_message": str(message.pk),
        "lf_lead": str(message.lead_id),
        **fields,
    }


@pytest.fixture
def post(client, event_key, django_capture_on_commit_callbacks):
    """Post a signed batch and run the processing task queued on commit."""

    def post_batch(*events, **options):
        body = options.pop("body", None) or list(events)
        with django_capture_on_commit_callbacks(execute=True):
            return sign_events(client, options.pop("key", event_key), body, **options)

    return post_batch


def _reload(message) -> Message:
    return Message.objects.get(pk=message.pk)


def _suppressed(scope, address, reason) -> bool:
    return Suppression.objects.filter(
        workspace=scope, channel="email", address_hash=address_hash(address), reason=reason
    ).exists()


# --- Who may post -------------------------------------------------------------------------------


def test_signed_batch_is_accepted_and_stored(post, sent_email):
    response = post(_event(sent_email, "delivered"))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "processed"


def test_batch_signed_with_another_key_is_refused(post, sent_email):
    stranger = ec.generate_private_key(ec.SECP256R1())
    response = post(_event(sent_email, "delivered"), key=stranger)
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()


def test_tampered_body_is_refused(client, event_key, sent_email):
    body = json.dumps([_event(sent_email, "delivered")])
    stamp = int(time.time())
    signature = event_signature(event_key, str(stamp), body)
    tampered = body.replace("delivered", "bounce")
    response = sign_events(client, event_key, tampered, timestamp=stamp, signature=signature)
    assert response.status_code == 403


def test_missing_signature_headers_are_refused(client, event_key, sent_email):
    response = client.post(
        reverse("channels:sendgrid-events"),
        data=json.dumps([_event(sent_email, "delivered")]),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_stale_signature_is_refused(client, event_key, sent_email):
    eleven_minutes_ago = int(time.time()) - 660
    response = sign_events(
        client, event_key, [_event(sent_email, "delivered")], timestamp=eleven_minutes_ago
    )
    assert response.status_code == 403


def test_workspace_without_a_verification_key_refuses_batches(client, sendgrid_account, sent_email):
    key = ec.generate_private_key(ec.SECP256R1())
    assert sign_events(client, key, [_event(sent_email, "delivered")]).status_code == 403


def test_unknown_workspace_is_a_404(post, sent_email):
    event = {**_event(sent_email, "delivered"), "lf_tenant": "999999"}
    assert post(event).status_code == 404


def test_batch_without_our_custom_args_is_a_404(post, sent_email):
    event = _event(sent_email, "delivered")
    del event["lf_tenant"]
    assert post(event).status_code == 404


def test_batch_mixing_workspaces_is_refused(post, sent_email, other_workspace):
    stranger = {**_event(sent_email, "open", n=2), "lf_tenant": str(other_workspace.pk)}
    response = post(_event(sent_email, "delivered"), stranger)
    assert response.status_code == 400


@pytest.mark.parametrize("body", ["not json", "{}", "[]", "[1, 2]"])
def test_malformed_body_is_a_400(client, event_key, body):
    assert sign_events(client, event_key, body).status_code == 400


def test_vendor_vector_verifies_with_its_key():
    vector = json.loads((FIXTURES / "sendgrid_event_webhook_signature_vector.json").read_text())
    body = (FIXTURES / vector["body_file"]).read_text()
    headers = vector["headers"]
    signed = {
        "public_key": vector["public_key"],
        "signature": headers["X-Twilio-Email-Event-Webhook-Signature"],
        "timestamp": headers["X-Twilio-Email-Event-Webhook-Timestamp"],
    }
    assert verify_event_signature(body=body, **signed) is True
    assert verify_event_signature(body=body + " ", **signed) is False


# --- What each event does -----------------------------------------------------------------------


def test_delivered_moves_the_message_forward(post, sent_email):
    post(_event(sent_email, "delivered"))
    message = _reload(sent_email)
    assert message.status == "delivered"
    assert Activity.objects.filter(kind="delivered", lead=sent_email.lead).count() == 1


def test_processed_changes_nothing(post, sent_email):
    post(_event(sent_email, "processed"))
    assert _reload(sent_email).status == "sent"
    assert not Activity.objects.exists()


def test_deferred_is_kept_in_details_only(post, sent_email):
    post(_event(sent_email, "deferred", response="421 try later", attempt="2"))
    message = _reload(sent_email)
    assert message.status == "sent"
    assert message.details["deferred"]["response"] == "421 try later"


def test_open_is_an_engagement(post, sent_email):
    post(_event(sent_email, "open", sg_machine_open=False))
    message = _reload(sent_email)
    assert message.opened_at is not None
    assert Activity.objects.filter(kind="opened").count() == 1


def test_machine_open_is_not_counted_as_a_person(post, sent_email):
    post(_event(sent_email, "open", sg_machine_open=True))
    message = _reload(sent_email)
    assert message.opened_at is None
    assert message.details["machine_opens"] == 1
    assert not Activity.objects.filter(kind="opened").exists()


def test_click_records_the_link(post, sent_email):
    post(_event(sent_email, "click", url="https://acme.example/book"))
    message = _reload(sent_email)
    assert message.clicked_at is not None
    assert Activity.objects.get(kind="clicked").payload["url"] == "https://acme.example/book"


def test_hard_bounce_suppresses_the_address(post, sent_email, scope):
    post(_event(sent_email, "bounce", type="bounce", reason="550 no user"))
    assert _reload(sent_email).status == "bounced"
    assert _suppressed(scope, sent_email.to_address, "bounce")
    assert Lead.objects.get(pk=sent_email.lead_id).do_not_email is True


def test_blocked_bounce_keeps_the_address(post, sent_email, scope):
    post(_event(sent_email, "bounce", type="blocked", reason="mailbox full"))
    assert _reload(sent_email).status == "bounced"
    assert not Suppression.objects.exists()


def test_dropped_fails_the_message_with_the_reason(post, sent_email):
    post(_event(sent_email, "dropped", reason="Invalid"))
    message = _reload(sent_email)
    assert message.status == "failed"
    assert message.error == "SendGrid did not send it: Invalid"


def test_dropped_for_a_bounced_address_suppresses_it(post, sent_email, scope):
    post(_event(sent_email, "dropped", reason="Bounced Address"))
    assert _suppressed(scope, sent_email.to_address, "bounce")


def test_dropped_for_an_unsubscribed_address_opts_it_out(post, sent_email, scope):
    post(_event(sent_email, "dropped", reason="Unsubscribed Address"))
    assert _suppressed(scope, sent_email.to_address, "opt_out")


def test_spam_report_suppresses_the_address(post, sent_email, scope):
    post(_event(sent_email, "spamreport"))
    assert _suppressed(scope, sent_email.to_address, "spam")
    assert Activity.objects.filter(kind="spam_report").count() == 1


@pytest.mark.parametrize("kind", ["unsubscribe", "group_unsubscribe"])
def test_unsubscribe_at_the_provider_opts_out(post, sent_email, scope, kind):
    post(_event(sent_email, kind, asm_group_id=21001))
    activity = Activity.objects.get(kind="opted_out")
    assert activity.payload["how"] == "unsubscribe link at the provider"
    assert Lead.objects.get(pk=sent_email.lead_id).do_not_email is True


def test_group_resubscribe_opts_back_in(post, sent_email, scope):
    post(_event(sent_email, "group_unsubscribe"))
    post(_event(sent_email, "group_resubscribe"))
    assert not _suppressed(scope, sent_email.to_address, "opt_out")
    assert Lead.objects.get(pk=sent_email.lead_id).do_not_email is False


# --- Once each ----------------------------------------------------------------------------------


def test_duplicate_batch_is_counted_and_applied_once(post, sent_email):
    body = json.dumps([_event(sent_email, "delivered"), _event(sent_email, "open")])
    stamp = int(time.time())
    post(body=body, timestamp=stamp)
    post(body=body, timestamp=stamp)
    assert WebhookEvent.objects.get().deliveries == 2
    assert Activity.objects.filter(kind="delivered").count() == 1
    assert Activity.objects.filter(kind="opened").count() == 1


def test_event_repeated_in_a_new_batch_is_applied_once(post, sent_email):
    open_event = _event(sent_email, "open")
    post(open_event)
    post(open_event, _event(sent_email, "click", url="https://a.example"))
    assert WebhookEvent.objects.count() == 2
    assert Activity.objects.filter(kind="opened").count() == 1
    assert Activity.objects.filter(kind="clicked").count() == 1


def test_event_for_another_workspaces_message_is_ignored(post, sent_email, other_workspace):
    with workspace_scope(other_workspace):
        foreign = MessageFactory(
            workspace=other_workspace, lead=LeadFactory(workspace=other_workspace)
        )
    event = {**_event(sent_email, "bounce", type="bounce"), "lf_message": str(foreign.pk)}
    assert post(event).status_code == 200
    with workspace_scope(other_workspace):
        assert Message.objects.get(pk=foreign.pk).status == "sent"
    assert not Suppression.objects.exists()


def test_batch_is_applied_with_no_scope_open_beforehand(
    client, workspace, django_capture_on_commit_callbacks
):
    key = ec.generate_private_key(ec.SECP256R1())
    with workspace_scope(workspace):
        account = ProviderAccount(workspace=workspace, provider="sendgrid")
        account.options = {"event_public_key": public_key_text(key)}
        account.save()
        message = MessageFactory(workspace=workspace, lead=LeadFactory(workspace=workspace))
    # The webhook and its task find and open the workspace themselves.
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_events(client, key, [_event(message, "delivered")]).status_code == 200
    with workspace_scope(workspace):
        assert _reload(message).status == "delivered"


def test_batch_is_applied_by_a_task_after_the_answer(client, event_key, sent_email):
    response = sign_events(client, event_key, [_event(sent_email, "delivered")])
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "received"  # the task runs on commit
    assert _reload(sent_email).status == "sent"
