"""The unsubscribe page every email links to: public, signed, confirm-then-unsubscribe, and
RFC 8058 one-click POSTs from mail apps."""

import pytest
from django.test import Client
from django.urls import reverse

from channels.models import Suppression
from channels.unsubscribe import unsubscribe_token, unsubscribe_url
from leadfollow.models import Role
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.channels.conftest_sendgrid import *  # noqa: F403
from tests.factories import LeadFactory, MembershipFactory, MessageFactory

pytestmark = pytest.mark.django_db


def _url(message) -> str:
    return reverse("channels:unsubscribe", args=[unsubscribe_token(message)])


def _opted_out(message) -> bool:
    return Lead.objects.get(pk=message.lead_id).do_not_email


def test_link_is_an_absolute_address_on_our_site(sent_email, settings):
    assert unsubscribe_url(sent_email) == settings.BASE_URL + _url(sent_email)


def test_page_asks_to_confirm_without_unsubscribing(client, sent_email):
    response = client.get(_url(sent_email))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Unsubscribe from Acme Roofing?" in page
    assert "j***@example.com" in page
    assert _opted_out(sent_email) is False


def test_confirming_unsubscribes_and_names_the_workspace(client, sent_email):
    response = client.post(_url(sent_email), {"confirm": "yes"})
    assert response.status_code == 200
    assert "You won't get more emails from Acme Roofing" in response.content.decode()
    assert _opted_out(sent_email) is True
    assert Activity.objects.get(kind="opted_out").payload["how"] == "unsubscribe link in the email"


def test_one_click_post_unsubscribes_without_a_csrf_token(sent_email):
    mail_app = Client(enforce_csrf_checks=True)
    response = mail_app.post(_url(sent_email), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert _opted_out(sent_email) is True
    assert Suppression.objects.filter(channel="email", reason="opt_out").count() == 1


def test_one_click_twice_changes_nothing_more(client, sent_email):
    client.post(_url(sent_email), {"List-Unsubscribe": "One-Click"})
    response = client.post(_url(sent_email), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert Activity.objects.filter(kind="opted_out").count() == 1


def test_forged_token_shows_a_friendly_not_found_page(client, sent_email):
    token = unsubscribe_token(sent_email)
    response = client.get(reverse("channels:unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 404
    assert "unsubscribe link doesn't work" in response.content.decode()


def test_forged_token_unsubscribes_nobody(client, sent_email):
    token = unsubscribe_token(sent_email)
    client.post(reverse("channels:unsubscribe", args=[token + "x"]), {"confirm": "yes"})
    assert _opted_out(sent_email) is False


def test_link_of_a_deleted_message_is_not_found(client, sent_email):
    url = _url(sent_email)
    sent_email.delete()
    assert client.get(url).status_code == 404


def test_page_works_for_a_member_of_another_workspace(sent_email, other_workspace):
    member = MembershipFactory(workspace=other_workspace, role=Role.REP)
    browser = Client()
    browser.force_login(member.user)
    response = browser.post(_url(sent_email), {"confirm": "yes"})
    assert response.status_code == 200
    assert _opted_out(sent_email) is True


def test_page_uses_no_script(client, sent_email):
    assert "<script" not in client.get(_url(sent_email)).content.decode()


def test_page_opens_the_workspace_scope_itself(client, workspace):
    with workspace_scope(workspace):
        message = MessageFactory(workspace=workspace, lead=LeadFactory(workspace=workspace))
    # No scope is open here: a query the view forgot to scope would raise.
    response = client.post(_url(message), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with workspace_scope(workspace):
        assert _opted_out(message) is True
