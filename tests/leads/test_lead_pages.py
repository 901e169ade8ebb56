from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from leadfollow.tenancy import workspace_scope
from leads import selectors
from leads.models import Activity, Lead
from leads.services import ConsentInput, intake_lead
from leads.services.changes import add_note
from tests.factories import AccountFactory, LeadFactory, LeadSourceFactory, MembershipFactory

pytestmark = pytest.mark.django_db

LIST = reverse("leads:lead-list")
NEW = reverse("leads:lead-new")
BULK = reverse("leads:lead-bulk")


def _detail(lead) -> str:
    return reverse("leads:lead-detail", args=[lead.pk])


def _names(response) -> list[str]:
    """The lead names in the table, in order."""
    return [lead.display_name for lead in response.context["page"].object_list]


def _reload(workspace, lead) -> Lead:
    with workspace_scope(workspace):
        return Lead.objects.select_related("owner").get(pk=lead.pk)


def _activities(workspace, lead, kind) -> list[Activity]:
    with workspace_scope(workspace):
        return list(Activity.objects.filter(lead=lead, kind=kind))


# The list


def test_list_shows_only_the_workspace_leads(rep_client, workspace, other_workspace):
    LeadFactory(workspace=workspace, first_name="Ann", last_name="Ours")
    LeadFactory(workspace=other_workspace, first_name="Zed", last_name="Theirs")
    response = rep_client.get(LIST)
    assert response.status_code == 200
    assert _names(response) == ["Ann Ours"]
    assert "Zed Theirs" not in response.content.decode()


def test_list_links_each_lead_to_its_page(rep_client, workspace):
    lead = LeadFactory(workspace=workspace)
    response = rep_client.get(LIST)
    assert f'href="{_detail(lead)}"' in response.content.decode()


def test_list_filters_by_status(rep_client, workspace):
    LeadFactory(workspace=workspace, first_name="Working", last_name="One", status="working")
    LeadFactory(workspace=workspace, first_name="New", last_name="One", status="new")
    assert _names(rep_client.get(LIST, {"status": "working"})) == ["Working One"]


def test_list_filters_by_owner(rep_client, workspace, manager):
    LeadFactory(workspace=workspace, first_name="Managers", last_name="Lead", owner=manager)
    LeadFactory(workspace=workspace, first_name="Nobodys", last_name="Lead")
    assert _names(rep_client.get(LIST, {"owner": manager.pk})) == ["Managers Lead"]


def test_list_filters_by_me(rep_client, workspace, rep, manager):
    LeadFactory(workspace=workspace, first_name="Mine", last_name="Lead", owner=rep)
    LeadFactory(workspace=workspace, first_name="Managers", last_name="Lead", owner=manager)
    assert _names(rep_client.get(LIST, {"owner": "me"})) == ["Mine Lead"]


def test_list_filters_unassigned(rep_client, workspace, rep):
    LeadFactory(workspace=workspace, first_name="Mine", last_name="Lead", owner=rep)
    LeadFactory(workspace=workspace, first_name="Free", last_name="Lead", owner=None)
    assert _names(rep_client.get(LIST, {"owner": "unassigned"})) == ["Free Lead"]


def test_list_filters_by_source(rep_client, workspace):
    fair = LeadSourceFactory(workspace=workspace, name="Trade show")
    LeadFactory(workspace=workspace, first_name="Fair", last_name="Lead", source=fair)
    LeadFactory(workspace=workspace, first_name="Web", last_name="Lead")
    assert _names(rep_client.get(LIST, {"source": fair.pk})) == ["Fair Lead"]


def test_list_filters_by_created_range_in_the_workspace_time_zone(rep_client, workspace):
    # 03:00 UTC on March 5 is still March 4 in New York, the workspace's time zone.
    for day, name in [(3, "Third"), (5, "Fourth"), (6, "Fifth")]:
        with time_machine.travel(datetime(2025, 3, day, 3, 0, tzinfo=UTC), tick=False):
            LeadFactory(workspace=workspace, first_name=name, last_name="Lead")
    response = rep_client.get(LIST, {"created_from": "2025-03-04", "created_to": "2025-03-04"})
    assert _names(response) == ["Fourth Lead"]


def test_unknown_filter_value_is_shown_and_ignored(rep_client, workspace, other_workspace):
    LeadFactory(workspace=workspace, first_name="Ann", last_name="Ours")
    foreign = MembershipFactory(workspace=other_workspace)
    response = rep_client.get(LIST, {"owner": foreign.pk})
    assert response.status_code == 200
    assert _names(response) == ["Ann Ours"]
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(
    "query", ["ann", "HOLT", "ann@holt.example", "(415) 555-2671", "555-2671", "Initech"]
)
def test_search_matches_name_email_phone_and_company(rep_client, workspace, query):
    with workspace_scope(workspace):
        intake_lead(
            workspace=workspace,
            fields={
                "first_name": "Ann",
                "last_name": "Holt",
                "email": "ann@holt.example",
                "phone": "+1 415 555 2671",
                "company": "Initech",
            },
        )
    LeadFactory(workspace=workspace, first_name="Bob", last_name="Other", email="bob@x.example")
    assert _names(rep_client.get(LIST, {"q": query})) == ["Ann Holt"]


def test_search_by_a_word_in_many_company_names_finds_all_their_people(
    rep_client, workspace, monkeypatch
):
    # Past ACCOUNTS_BY_VALUE companies, PostgreSQL reads them from a subquery, not a value.
    monkeypatch.setattr(selectors, "ACCOUNTS_BY_VALUE", 1)
    for name, company in [("Ann Holt", "Initech East"), ("Bea Ruiz", "Initech West")]:
        first, last = name.split()
        account = AccountFactory(workspace=workspace, name=company)
        LeadFactory(workspace=workspace, first_name=first, last_name=last, account=account)
    LeadFactory(workspace=workspace, first_name="Bob", last_name="Other")
    names = _names(rep_client.get(LIST, {"q": "initech", "sort": "name"}))
    assert names == ["Ann Holt", "Bea Ruiz"]


def test_sort_by_name_ascending_marks_the_column(rep_client, workspace):
    for name in ["Cleo", "Abe", "Bea"]:
        LeadFactory(workspace=workspace, first_name=name, last_name="X")
    response = rep_client.get(LIST, {"sort": "name"})
    assert _names(response) == ["Abe X", "Bea X", "Cleo X"]
    assert 'aria-sort="ascending"' in response.content.decode()


def test_sort_by_status_follows_the_pipeline(rep_client, workspace):
    for status in ["customer", "new", "meeting"]:
        LeadFactory(workspace=workspace, first_name=status, last_name="X", status=status)
    response = rep_client.get(LIST, {"sort": "status"})
    assert _names(response) == ["new X", "meeting X", "customer X"]


def test_sort_by_last_activity_puts_untouched_leads_last(rep_client, workspace):
    now = datetime(2025, 3, 5, 12, 0, tzinfo=UTC)
    LeadFactory(workspace=workspace, first_name="Never", last_name="X", last_activity_at=None)
    LeadFactory(workspace=workspace, first_name="Old", last_name="X", last_activity_at=now)
    LeadFactory(
        workspace=workspace,
        first_name="Recent",
        last_name="X",
        last_activity_at=now + timedelta(days=1),
    )
    response = rep_client.get(LIST, {"sort": "-activity"})
    assert _names(response) == ["Recent X", "Old X", "Never X"]
    assert 'aria-sort="descending"' in response.content.decode()


def test_newest_leads_come_first_by_default(rep_client, workspace):
    for day, name in [(1, "Older"), (2, "Newer")]:
        with time_machine.travel(datetime(2025, 3, day, 12, tzinfo=UTC), tick=False):
            LeadFactory(workspace=workspace, first_name=name, last_name="X")
    assert _names(rep_client.get(LIST)) == ["Newer X", "Older X"]


def test_pages_hold_fifty_and_page_links_keep_the_filters(rep_client, workspace):
    LeadFactory.create_batch(51, workspace=workspace, status="working")
    LeadFactory(workspace=workspace, status="new")
    response = rep_client.get(LIST, {"status": "working", "sort": "name"})
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 51
    assert "?status=working&amp;sort=name&amp;page=2" in response.content.decode()


def test_second_page_shows_the_rest(rep_client, workspace):
    LeadFactory.create_batch(51, workspace=workspace)
    response = rep_client.get(LIST, {"page": 2})
    assert len(response.context["page"].object_list) == 1


def test_htmx_request_gets_only_the_table(rep_client, workspace):
    LeadFactory(workspace=workspace, first_name="Ann", last_name="Ours")
    response = rep_client.get(LIST, {"q": "ann"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert "Ann Ours" in body
    assert "<html" not in body
    assert 'id="lead-filters"' not in body


def test_htmx_history_restore_gets_the_whole_page(rep_client, workspace):
    response = rep_client.get(
        LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in response.content.decode()


def test_import_button_shows_only_when_the_import_page_exists(manager_client, workspace):
    # The CSV import pages are another feature; until they are installed there is no button.
    from django.urls import NoReverseMatch

    try:
        reverse("leads:import-upload")
    except NoReverseMatch:
        assert "Import CSV" not in manager_client.get(LIST).content.decode()
    else:
        assert "Import CSV" in manager_client.get(LIST).content.decode()


# Bulk changes


def test_bulk_assign_sets_the_owner_and_logs_each_lead(manager_client, workspace, rep):
    leads = LeadFactory.create_batch(2, workspace=workspace)
    response = manager_client.post(BULK, {"lead_ids": [lead.pk for lead in leads], "owner": rep.pk})
    assert response.status_code == 302
    for lead in leads:
        assert _reload(workspace, lead).owner == rep
        assert len(_activities(workspace, lead, Activity.Kind.OWNER_CHANGED)) == 1


def test_bulk_unassign_clears_the_owner(manager_client, workspace, rep):
    lead = LeadFactory(workspace=workspace, owner=rep)
    manager_client.post(BULK, {"lead_ids": [lead.pk], "owner": "none"})
    assert _reload(workspace, lead).owner is None


def test_bulk_status_changes_every_selected_lead(manager_client, workspace):
    leads = LeadFactory.create_batch(2, workspace=workspace, status="new")
    untouched = LeadFactory(workspace=workspace, status="new")
    manager_client.post(BULK, {"lead_ids": [lead.pk for lead in leads], "status": "qualified"})
    assert [_reload(workspace, lead).status for lead in leads] == ["qualified", "qualified"]
    assert _reload(workspace, untouched).status == "new"


def test_bulk_with_a_foreign_id_changes_nothing_and_says_so(
    manager_client, workspace, other_workspace
):
    ours = LeadFactory(workspace=workspace, status="new")
    theirs = LeadFactory(workspace=other_workspace, status="new")
    response = manager_client.post(
        BULK, {"lead_ids": [ours.pk, theirs.pk], "status": "dormant"}, follow=True
    )
    assert "1 of the selected leads are not in this workspace" in response.content.decode()
    assert _reload(workspace, ours).status == "new"
    assert _reload(other_workspace, theirs).status == "new"


def test_bulk_without_a_selection_says_what_to_do(manager_client, workspace):
    response = manager_client.post(BULK, {"status": "dormant"}, follow=True)
    assert "Select at least one lead first." in response.content.decode()


def test_bulk_returns_to_the_filtered_list(manager_client, workspace):
    lead = LeadFactory(workspace=workspace)
    response = manager_client.post(
        BULK, {"lead_ids": [lead.pk], "status": "working", "next": f"{LIST}?status=new"}
    )
    assert response.url == f"{LIST}?status=new"


def test_bulk_never_redirects_off_site(manager_client, workspace):
    lead = LeadFactory(workspace=workspace)
    response = manager_client.post(
        BULK, {"lead_ids": [lead.pk], "status": "working", "next": "https://evil.example/"}
    )
    assert response.url == LIST


# Adding a lead by hand


def test_add_lead_creates_it_with_the_manual_source(rep_client, workspace, rep):
    response = rep_client.post(
        NEW,
        {
            "first_name": "Nia",
            "last_name": "Long",
            "email": "NIA@Long.example",
            "phone": "(415) 555-2671",
            "owner": rep.pk,
            "note": "Wants a quote for 20 panels",
        },
    )
    with workspace_scope(workspace):
        lead = Lead.objects.select_related("source").get()
        assert (lead.email, lead.phone, lead.owner_id) == (
            "nia@long.example",
            "+14155552671",
            rep.pk,
        )
        assert (lead.source.name, lead.source.kind) == ("Added by hand", "manual")
        assert Activity.objects.get(lead=lead, kind="note").payload["text"].startswith("Wants")
    assert response.url == _detail(lead)


def test_add_lead_merges_a_known_person(rep_client, workspace):
    known = LeadFactory(workspace=workspace, email="nia@long.example", title="")
    response = rep_client.post(
        NEW, {"first_name": "Nia", "email": "nia@long.example", "title": "CFO"}, follow=True
    )
    assert "This person already exists: we added the new details to their lead." in (
        response.content.decode()
    )
    assert response.redirect_chain[-1][0] == _detail(known)
    assert _reload(workspace, known).title == "CFO"
    with workspace_scope(workspace):
        assert Lead.objects.count() == 1


def test_add_lead_rerenders_the_form_with_errors(rep_client, workspace):
    response = rep_client.post(NEW, {"first_name": "Nia", "phone": "12"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "is not a valid phone number" in body
    assert 'value="Nia"' in body
    with workspace_scope(workspace):
        assert not Lead.objects.exists()


def test_add_lead_needs_an_email_or_a_phone(rep_client, workspace):
    response = rep_client.post(NEW, {"first_name": "Nia"})
    assert "Give at least an email address or a phone number." in response.content.decode()


# The lead page


def test_lead_page_shows_the_header(rep_client, workspace):
    lead = LeadFactory(
        workspace=workspace,
        first_name="Ann",
        last_name="Holt",
        phone="+14155552671",
        time_zone="America/Los_Angeles",
        title="CFO",
    )
    body = rep_client.get(_detail(lead)).content.decode()
    assert "Ann Holt" in body
    assert "(415) 555-2671" in body
    assert "in Los Angeles" in body


def test_edit_form_marks_the_leads_time_zone(rep_client, workspace):
    lead = LeadFactory(workspace=workspace, time_zone="Europe/Paris")
    body = rep_client.get(_detail(lead)).content.decode()
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in body
    assert '<option value="">From the phone number</option>' in body
    assert '<option value="America/Los_Angeles">America/Los Angeles</option>' in body


def test_edit_form_without_a_time_zone_takes_it_from_the_phone(rep_client, workspace):
    lead = LeadFactory(workspace=workspace, time_zone="")
    body = rep_client.get(_detail(lead)).content.decode()
    assert '<option value="" selected>From the phone number</option>' in body
    assert '<option value="Europe/Paris">Europe/Paris</option>' in body


def test_lead_page_shows_what_the_lead_wrote_in_custom_fields(rep_client, workspace):
    lead = LeadFactory(
        workspace=workspace, custom_fields={"message": "Need a quote for a 40 kW roof"}
    )
    body = rep_client.get(_detail(lead)).content.decode()
    assert "<dt>Message</dt>" in body
    assert "Need a quote for a 40 kW roof" in body


def test_lead_local_time_falls_back_to_the_workspace_zone(rep_client, workspace):
    lead = LeadFactory(workspace=workspace, time_zone="")
    with time_machine.travel(datetime(2025, 3, 5, 17, 30, tzinfo=UTC), tick=False):
        body = rep_client.get(_detail(lead)).content.decode()
    assert "Wed 12:30 PM</strong> in New York" in body


def test_lead_page_shows_the_timeline_newest_first(rep_client, workspace):
    lead = LeadFactory(workspace=workspace)
    with workspace_scope(workspace):
        for day, text in [(1, "First call"), (3, "Third call"), (2, "Second call")]:
            with time_machine.travel(datetime(2025, 3, day, 15, tzinfo=UTC), tick=False):
                add_note(workspace=workspace, lead_id=lead.pk, text=text)
    body = rep_client.get(_detail(lead)).content.decode()
    positions = [body.index(text) for text in ["Third call", "Second call", "First call"]]
    assert positions == sorted(positions)


def test_timeline_shows_the_exact_consent_text(rep_client, workspace):
    wording = "I agree to receive texts from Acme Roofing. Reply STOP to opt out."
    with workspace_scope(workspace):
        result = intake_lead(
            workspace=workspace,
            fields={"email": "ann@holt.example"},
            consent=ConsentInput(channel="sms", text=wording),
        )
    assert wording in rep_client.get(_detail(result.lead)).content.decode()


def test_edit_saves_the_details_and_logs_them(rep_client, workspace):
    lead = LeadFactory(workspace=workspace, title="")
    response = rep_client.post(
        _detail(lead),
        {
            "edit-first_name": lead.first_name,
            "edit-last_name": lead.last_name,
            "edit-email": lead.email,
            "edit-phone": lead.phone,
            "edit-title": "Head of Facilities",
        },
    )
    assert response.status_code == 302
    assert _reload(workspace, lead).title == "Head of Facilities"
    [change] = _activities(workspace, lead, Activity.Kind.UPDATED)
    assert change.payload == {"fields": ["title"]}


def test_edit_with_another_leads_email_shows_the_error(rep_client, workspace):
    LeadFactory(workspace=workspace, email="taken@example.test")
    lead = LeadFactory(workspace=workspace, email="mine@example.test")
    response = rep_client.post(
        _detail(lead), {"edit-email": "taken@example.test", "edit-phone": lead.phone}
    )
    assert response.status_code == 400
    [error] = response.context["edit_form"].errors["email"]
    assert error.startswith("Another lead already has this email address")
    assert _reload(workspace, lead).email == "mine@example.test"


def test_note_is_added_to_the_timeline(rep_client, workspace, rep):
    lead = LeadFactory(workspace=workspace)
    response = rep_client.post(
        reverse("leads:lead-note", args=[lead.pk]),
        {"text": "Left a voicemail"},
        headers={"HX-Request": "true"},
    )
    assert "Left a voicemail" in response.content.decode()
    [note] = _activities(workspace, lead, Activity.Kind.NOTE)
    assert (note.summary, note.actor) == ("Left a voicemail", rep)


def test_empty_note_is_refused_on_the_form(rep_client, workspace):
    lead = LeadFactory(workspace=workspace)
    response = rep_client.post(reverse("leads:lead-note", args=[lead.pk]), {"text": "  "})
    assert response.status_code == 400
    assert "Write the note first." in response.content.decode()


def test_status_change_with_htmx_returns_the_header_and_the_timeline(rep_client, workspace):
    lead = LeadFactory(workspace=workspace, status="new")
    response = rep_client.post(
        reverse("leads:lead-state", args=[lead.pk]),
        {"status": "contacted", "owner": ""},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert 'id="lead-header"' in body
    assert 'id="timeline" class="timeline" hx-swap-oob="true"' in body
    assert "Status: Contacted" in body
    assert _reload(workspace, lead).status == "contacted"


def test_rep_can_assign_a_lead_to_themselves(rep_client, workspace, rep):
    lead = LeadFactory(workspace=workspace, owner=None)
    response = rep_client.post(
        reverse("leads:lead-state", args=[lead.pk]), {"status": "new", "owner": rep.pk}
    )
    assert response.status_code == 302
    assert _reload(workspace, lead).owner == rep


def test_rep_can_open_every_lead_page(rep_client, workspace):
    lead = LeadFactory(workspace=workspace)
    for url in [LIST, NEW, _detail(lead)]:
        assert rep_client.get(url).status_code == 200


def test_visitors_are_sent_to_log_in(client, workspace):
    assert client.get(LIST).status_code == 302
