"""Account pages: the companies leads work at, and everyone we know at one of them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadences.models import Enrollment
from leadfollow.tenancy import unscoped
from scoring.models import LeadScore
from tests.factories import AccountFactory, CadenceFactory, LeadFactory, MembershipFactory

pytestmark = pytest.mark.django_db

LIST = reverse("leads:account-list")


def _detail(account):
    return reverse("leads:account-detail", args=[account.pk])


def _enroll(lead, status=Enrollment.Status.ACTIVE):
    with unscoped():
        Enrollment.objects.create(
            workspace=lead.workspace,
            lead=lead,
            cadence=CadenceFactory(workspace=lead.workspace),
            status=status,
            enrolled_at=timezone.now(),
        )


def test_account_page_lists_every_contact_with_status_and_owner(workspace, rep, rep_client):
    account = AccountFactory(workspace=workspace, name="Hooli", domain="hooli.example")
    LeadFactory(
        workspace=workspace, account=account, first_name="Annika", status="replied", owner=rep
    )
    LeadFactory(workspace=workspace, account=account, first_name="Bodhi", status="new")
    body = rep_client.get(_detail(account)).content.decode()
    assert "Annika" in body
    assert "Bodhi" in body
    assert "hooli.example" in body
    assert rep.user.display_name in body
    assert "Unassigned" in body
    assert "Replied" in body


def test_contacts_come_in_pipeline_order(workspace, rep_client):
    account = AccountFactory(workspace=workspace)
    LeadFactory(workspace=workspace, account=account, first_name="Late", status="customer")
    LeadFactory(workspace=workspace, account=account, first_name="Early", status="new")
    page = rep_client.get(_detail(account)).context["page"]
    assert [lead.first_name for lead in page] == ["Early", "Late"]


def test_account_page_counts_contacts_by_status(workspace, rep_client):
    account = AccountFactory(workspace=workspace)
    for status in ("new", "new", "working"):
        LeadFactory(workspace=workspace, account=account, status=status)
    counts = rep_client.get(_detail(account)).context["status_counts"]
    assert counts == [("New", 2), ("Working", 1)]


def test_account_page_shows_whether_a_contact_is_in_an_active_cadence(workspace, rep_client):
    account = AccountFactory(workspace=workspace)
    working = LeadFactory(workspace=workspace, account=account, first_name="Working")
    stopped = LeadFactory(workspace=workspace, account=account, first_name="Stopped")
    _enroll(working)
    _enroll(stopped, status=Enrollment.Status.EXITED)
    page = rep_client.get(_detail(account)).context["page"]
    assert {lead.first_name: lead.in_cadence for lead in page} == {
        "Working": True,
        "Stopped": False,
    }


def test_account_page_shows_the_score_band_and_last_activity(workspace, rep_client):
    account = AccountFactory(workspace=workspace)
    lead = LeadFactory(
        workspace=workspace, account=account, last_activity_at=timezone.now() - timedelta(hours=3)
    )
    LeadScore.objects.create(
        workspace=workspace, lead=lead, total=72, band="hot", computed_at=timezone.now()
    )
    body = rep_client.get(_detail(account)).content.decode()
    assert "hot · 72" in body
    assert "3 h ago" in body


def test_erased_contacts_are_left_out(workspace, rep_client):
    account = AccountFactory(workspace=workspace)
    LeadFactory(workspace=workspace, account=account, erased_at=timezone.now())
    assert rep_client.get(_detail(account)).context["page"].paginator.count == 0


def test_every_member_may_open_an_account(workspace, rep_client, manager_client, owner_client):
    account = AccountFactory(workspace=workspace)
    for client in (rep_client, manager_client, owner_client):
        assert client.get(_detail(account)).status_code == 200


def test_another_workspaces_account_is_a_404(rep_client, other_workspace):
    account = AccountFactory(workspace=other_workspace)
    assert rep_client.get(_detail(account)).status_code == 404


def test_another_workspaces_leads_never_join_an_account_page(
    workspace, rep_client, other_workspace
):
    account = AccountFactory(workspace=workspace)
    with unscoped():  # a row pointing across workspaces must still not show
        LeadFactory(workspace=other_workspace, account=account, first_name="Leaky")
    assert "Leaky" not in rep_client.get(_detail(account)).content.decode()


def test_account_page_query_count_does_not_grow_with_contacts(workspace, rep, rep_client):
    account = AccountFactory(workspace=workspace)

    def add(count):
        for _ in range(count):
            lead = LeadFactory(workspace=workspace, account=account, owner=rep)
            _enroll(lead)

    add(1)
    with CaptureQueriesContext(connection) as few:
        rep_client.get(_detail(account))
    add(8)
    with CaptureQueriesContext(connection) as many:
        rep_client.get(_detail(account))
    assert len(many) == len(few)


def test_account_list_shows_accounts_with_lead_counts(workspace, rep_client):
    account = AccountFactory(workspace=workspace, name="Hooli")
    LeadFactory(workspace=workspace, account=account, status="new")
    LeadFactory(workspace=workspace, account=account, status="customer")
    [row] = rep_client.get(LIST).context["page"]
    assert (row.name, row.lead_count, row.open_count) == ("Hooli", 2, 1)


def test_account_list_searches_names_and_domains(workspace, rep_client):
    AccountFactory(workspace=workspace, name="Hooli", domain="hooli.example")
    AccountFactory(workspace=workspace, name="Initech", domain="initech.example")
    by_name = rep_client.get(LIST, {"q": "hoo"}).context["page"]
    by_domain = rep_client.get(LIST, {"q": "initech.ex"}).context["page"]
    assert [a.name for a in by_name] == ["Hooli"]
    assert [a.name for a in by_domain] == ["Initech"]


def test_account_list_search_with_htmx_answers_the_table_only(workspace, rep_client):
    AccountFactory(workspace=workspace, name="Hooli")
    response = rep_client.get(LIST, {"q": "hoo"}, headers={"HX-Request": "true"})
    assert [t.name for t in response.templates][0] == "leads/_account_table.html"


def test_account_list_is_paginated(workspace, rep_client):
    for n in range(51):
        AccountFactory(workspace=workspace, name=f"Company {n:02d}")
    page = rep_client.get(LIST, {"page": 2}).context["page"]
    assert [a.name for a in page] == ["Company 50"]


def test_account_list_never_shows_another_workspace(rep_client, other_workspace):
    AccountFactory(workspace=other_workspace, name="Globex secret")
    assert "Globex secret" not in rep_client.get(LIST).content.decode()


def test_account_list_needs_a_login(client):
    assert client.get(LIST).status_code == 302


def test_a_rep_sees_contacts_their_colleagues_own(workspace, rep_client):
    account = AccountFactory(workspace=workspace)
    colleague = MembershipFactory(workspace=workspace, user__first_name="Colleague")
    LeadFactory(workspace=workspace, account=account, owner=colleague)
    assert "Colleague" in rep_client.get(_detail(account)).content.decode()


def test_the_leads_list_links_each_company_to_its_account(workspace, rep_client):
    account = AccountFactory(workspace=workspace, name="Hooli")
    LeadFactory(workspace=workspace, account=account)
    body = rep_client.get(reverse("leads:lead-list")).content.decode()
    assert f'<a href="{_detail(account)}">Hooli</a>' in body
