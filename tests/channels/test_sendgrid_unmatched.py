"""Inbound Parse posts that answer none of our emails: SendGrid gets a 2xx either way (it retries
anything else for days), and mail sent to a workspace's reply domain is kept as its sender's
message, as an unknown number's text is."""

import json

import pytest
from django.urls import reverse

from channels.models import Message, WebhookEvent
from leadfollow.tenancy import unscoped
from leads.models import Activity, Lead
from tests.channels.conftest_sendgrid import *  # noqa: F403
from tests.channels.conftest_sendgrid import INBOUND_SECRET, REPLY_DOMAIN
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db

SALES = f"sales@{REPLY_DOMAIN}"


def _post(client, *, sender: str, to: str = SALES, key: str = INBOUND_SECRET, **fields):
    data = {
        "to": to,
        "from": f"Someone <{sender}>",
        "subject": "Quote for a new roof",
        "text": "Could you send me a quote?",
        "headers": "Message-ID: <abc123@mail.example>\n",
        "envelope": json.dumps({"to": [to], "from": sender}),
        **fields,
    }
    return client.post(reverse("channels:sendgrid-inbound") + f"?key={key}", data=data)


def test_mail_from_a_known_lead_lands_on_their_timeline(client, sendgrid_account, lead):
    assert _post(client, sender=lead.email).status_code == 200
    reply = Message.objects.get(direction="in")
    assert (reply.lead_id, reply.body_text, reply.in_reply_to_id) == (
        lead.pk,
        "Could you send me a quote?",
        None,
    )


def test_mail_from_a_known_lead_is_a_reply_on_the_timeline(client, sendgrid_account, lead):
    _post(client, sender=lead.email)
    assert Activity.objects.filter(lead=lead, kind="replied", channel="email").count() == 1


def test_mail_from_a_new_address_becomes_a_lead(client, sendgrid_account):
    assert _post(client, sender="new.person@example.net").status_code == 200
    lead = Lead.objects.get(email="new.person@example.net")
    assert Message.objects.get(direction="in").lead_id == lead.pk


def test_spam_from_a_new_address_is_answered_and_does_not_become_a_lead(client, sendgrid_account):
    response = _post(client, sender="offers@spam.example", spam_score="7.4")
    assert response.status_code == 200
    assert not Lead.objects.filter(email="offers@spam.example").exists()


def test_mail_from_a_new_address_below_the_spam_limit_becomes_a_lead(client, sendgrid_account):
    _post(client, sender="new.person@example.net", spam_score="1.2")
    assert Lead.objects.filter(email="new.person@example.net").exists()


def test_a_known_lead_s_mail_is_kept_whatever_its_spam_score(client, sendgrid_account, lead):
    _post(client, sender=lead.email, spam_score="9.9")
    assert Message.objects.filter(direction="in", lead=lead).exists()


def test_a_retried_delivery_is_recorded_once(client, sendgrid_account, lead):
    _post(client, sender=lead.email)
    _post(client, sender=lead.email)
    assert Message.objects.filter(direction="in").count() == 1
    assert WebhookEvent.objects.get().deliveries == 2


def test_a_wrong_key_is_still_refused(client, sendgrid_account, lead):
    assert _post(client, sender=lead.email, key="guess").status_code == 403
    assert not WebhookEvent.objects.exists()


def test_the_reply_domain_is_matched_whatever_its_case(client, sendgrid_account, lead):
    assert _post(client, sender=lead.email, to=SALES.upper()).status_code == 200
    assert Message.objects.filter(direction="in", lead=lead).exists()


def test_mail_to_another_domain_is_answered_and_not_kept(client, sendgrid_account, lead):
    assert _post(client, sender=lead.email, to="sales@elsewhere.example").status_code == 200
    assert (WebhookEvent.objects.exists(), Message.objects.exists()) == (False, False)


def test_another_workspaces_lead_with_the_same_address_is_left_alone(
    client, sendgrid_account, lead, other_workspace
):
    with unscoped():
        theirs = LeadFactory(workspace=other_workspace, email=lead.email)
    _post(client, sender=lead.email)
    with unscoped():
        assert not Message.objects.filter(lead=theirs).exists()
