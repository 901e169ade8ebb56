"""The rep's inbox: sections, urgency order, counts, views, filters, search, live refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cadences.models import Enrollment, Task
from leadfollow.models import Role
from leadfollow.tenancy import workspace_scope
from leads.inbox import InboxFilters, rep_inbox
from leads.models import Lead
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    CadenceFactory,
    LeadFactory,
    LeadScoreFactory,
    MembershipFactory,
    SlaClockFactory,
    TaskFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db

INBOX = reverse("leads:inbox")
LIVE = reverse("leads:inbox-live")


def _keys(response) -> list[str]:
    return [item.key for item in response.context["inbox"].items]


def _new_lead(workspace, owner, *, minutes_left=5, **fields) -> Lead:
    """A lead whose SLA clock runs out in `minutes_left` minutes (negative: overdue)."""
    lead = LeadFactory(workspace=workspace, owner=owner, **fields)
    due = timezone.now() + timedelta(minutes=minutes_left)
    SlaClockFactory(
        workspace=workspace,
        lead=lead,
        started_at=due - timedelta(minutes=5),
        warn_at=due - timedelta(minutes=1),
        due_at=due,
    )
    return lead


def _replied(workspace, owner, *, minutes_ago=10, text="Yes, call me", **fields) -> Lead:
    since = timezone.now() - timedelta(minutes=minutes_ago)
    lead = LeadFactory(workspace=workspace, owner=owner, awaiting_reply_since=since, **fields)
    ActivityFactory(
        workspace=workspace,
        lead=lead,
        kind="replied",
        direction="in",
        channel="sms",
        summary=f"Replied by sms: {text}",
        occurred_at=since,
    )
    return lead


def _meeting(workspace, owner, *, hours=24, **fields) -> Lead:
    return LeadFactory(
        workspace=workspace,
        owner=owner,
        meeting_at=timezone.now() + timedelta(hours=hours),
        status=Lead.Status.MEETING,
        **fields,
    )


def _task(workspace, owner, *, minutes=-30, **fields) -> Task:
    lead = LeadFactory(workspace=workspace, owner=owner)
    return TaskFactory(
        workspace=workspace,
        lead=lead,
        due_at=timezone.now() + timedelta(minutes=minutes),
        **fields,
    )


# Sections


def test_new_lead_with_an_open_sla_clock_is_in_the_queue(rep_client, workspace, rep):
    lead = _new_lead(workspace, rep, first_name="Dana", last_name="Kim")
    response = rep_client.get(INBOX)
    assert _keys(response) == [f"sla-{lead.pk}"]
    assert "data-countdown" in response.content.decode()


def test_met_sla_clock_leaves_the_queue(rep_client, workspace, rep):
    lead = LeadFactory(workspace=workspace, owner=rep)
    SlaClockFactory(workspace=workspace, lead=lead, met_at=timezone.now())
    assert _keys(rep_client.get(INBOX)) == []


def test_clock_breached_today_and_unanswered_stays(rep_client, workspace, rep):
    lead = _new_lead(workspace, rep, minutes_left=-1)
    with workspace_scope(workspace):
        lead.sla.breached_at = timezone.now()
        lead.sla.save()
    [item] = rep_client.get(INBOX).context["inbox"].items
    assert item.is_breached


def test_clock_breached_before_today_is_gone(rep_client, workspace, rep):
    lead = _new_lead(workspace, rep, minutes_left=-3 * 24 * 60)
    with workspace_scope(workspace):
        lead.sla.breached_at = timezone.now() - timedelta(days=2)
        lead.sla.save()
    assert _keys(rep_client.get(INBOX)) == []


def test_reply_waiting_shows_its_text(rep_client, workspace, rep):
    lead = _replied(workspace, rep, text="Can we talk at 3?")
    response = rep_client.get(INBOX)
    assert _keys(response) == [f"reply-{lead.pk}"]
    assert "Can we talk at 3?" in response.content.decode()


def test_overdue_and_later_today_tasks_are_listed_but_not_tomorrows(rep_client, workspace, rep):
    overdue = _task(workspace, rep, minutes=-60)
    later = _task(workspace, rep, minutes=1)
    _task(workspace, rep, minutes=60 * 30)
    response = rep_client.get(INBOX)
    assert _keys(response) == [f"task-{overdue.pk}", f"task-{later.pk}"]
    assert response.context["inbox"].items[1].is_later


def test_closed_tasks_are_not_listed(rep_client, workspace, rep):
    _task(workspace, rep, status=Task.Status.DONE)
    assert _keys(rep_client.get(INBOX)) == []


def test_unconfirmed_meeting_is_listed_with_a_confirm_button(rep_client, workspace, rep):
    lead = _meeting(workspace, rep)
    _meeting(workspace, rep, meeting_confirmed_at=timezone.now())
    response = rep_client.get(INBOX)
    assert _keys(response) == [f"meeting-{lead.pk}"]
    confirm = reverse("leads:inbox-meeting-confirm", args=[lead.pk])
    assert f'action="{confirm}"' in response.content.decode()


# Order and counts


def test_sla_breach_comes_first_then_due_time_then_score(rep_client, workspace, rep):
    task = _task(workspace, rep, minutes=-120)
    low = _new_lead(workspace, rep, minutes_left=3)
    high = _new_lead(workspace, rep, minutes_left=3)
    with workspace_scope(workspace):
        low.sla.due_at = high.sla.due_at
        low.sla.save()
    LeadScoreFactory(workspace=workspace, lead=low, total=10, band="cold")
    LeadScoreFactory(workspace=workspace, lead=high, total=90, band="hot")
    breached = _new_lead(workspace, rep, minutes_left=-2)
    reply = _replied(workspace, rep, minutes_ago=60)
    assert _keys(rep_client.get(INBOX)) == [
        f"sla-{breached.pk}",
        f"task-{task.pk}",
        f"reply-{reply.pk}",
        f"sla-{high.pk}",
        f"sla-{low.pk}",
    ]


def test_counts_per_section(rep_client, workspace, rep):
    _new_lead(workspace, rep)
    _new_lead(workspace, rep)
    _replied(workspace, rep)
    _task(workspace, rep)
    response = rep_client.get(INBOX)
    assert response.context["inbox"].counts == {"sla": 2, "reply": 1, "task": 1, "meeting": 0}


def test_section_chip_lists_one_section_and_keeps_every_count(rep_client, workspace, rep):
    _new_lead(workspace, rep)
    reply = _replied(workspace, rep)
    response = rep_client.get(INBOX, {"section": "reply"})
    assert _keys(response) == [f"reply-{reply.pk}"]
    assert response.context["inbox"].counts["sla"] == 1


def test_page_title_shows_the_count(rep_client, workspace, rep):
    _new_lead(workspace, rep)
    _replied(workspace, rep)
    assert "<title>(2) Inbox · LeadFollow</title>" in rep_client.get(INBOX).content.decode()


def test_sections_load_at_most_the_limit_but_count_everything(workspace, rep, monkeypatch):
    monkeypatch.setattr("leads.inbox.SECTION_LIMIT", 3)
    for _ in range(4):
        _replied(workspace, rep)
    with workspace_scope(workspace):
        result = rep_inbox(workspace=workspace, membership=rep, filters=InboxFilters())
    assert len(result.items) == 3
    assert result.counts["reply"] == 4
    assert result.is_truncated


def test_choosing_a_section_shows_more_of_it(workspace, rep, monkeypatch):
    monkeypatch.setattr("leads.inbox.SECTION_LIMIT", 3)
    monkeypatch.setattr("leads.inbox.FOCUSED_LIMIT", 5)
    for _ in range(4):
        _replied(workspace, rep)
    with workspace_scope(workspace):
        result = rep_inbox(
            workspace=workspace, membership=rep, filters=InboxFilters(section="reply")
        )
    assert (len(result.items), result.is_truncated) == (4, False)


# Views


def test_mine_leaves_out_other_reps_leads(rep_client, workspace, rep):
    _new_lead(workspace, MembershipFactory(workspace=workspace))
    assert _keys(rep_client.get(INBOX)) == []


def test_unassigned_view_lists_leads_nobody_owns(rep_client, workspace, rep):
    lead = _new_lead(workspace, None)
    _new_lead(workspace, rep)
    assert _keys(rep_client.get(INBOX, {"view": "unassigned"})) == [f"sla-{lead.pk}"]


def test_unassigned_view_never_shows_another_workspace(rep_client, workspace, other_workspace):
    _new_lead(other_workspace, None, first_name="Leaky", last_name="Globex")
    response = rep_client.get(INBOX, {"view": "unassigned"})
    assert _keys(response) == []
    assert "Leaky Globex" not in response.content.decode()


def test_team_view_of_an_owner_lists_every_members_leads(owner_client, workspace, rep):
    lead = _replied(workspace, rep)
    assert _keys(owner_client.get(INBOX, {"view": "team"})) == [f"reply-{lead.pk}"]


def test_team_view_of_a_manager_lists_only_their_teams_reps(manager_client, workspace, manager):
    team = TeamFactory(workspace=workspace, manager=manager)
    teammate = MembershipFactory(workspace=workspace)
    TeamMemberFactory(workspace=workspace, team=team, membership=teammate)
    theirs = _replied(workspace, teammate)
    _replied(workspace, MembershipFactory(workspace=workspace))  # not on the team
    response = manager_client.get(INBOX, {"view": "team"})
    assert _keys(response) == [f"reply-{theirs.pk}"]
    assert response.context["inbox"].teams == [team.name]


def test_team_view_of_a_manager_whose_team_has_no_reps_yet_is_empty(
    manager_client, workspace, manager, rep
):
    team = TeamFactory(workspace=workspace, manager=manager)
    _replied(workspace, rep)  # a rep on no team of this manager's
    response = manager_client.get(INBOX, {"view": "team"})
    assert _keys(response) == []
    assert response.context["inbox"].teams == [team.name]


def test_team_view_of_a_manager_on_no_team_lists_every_member(manager_client, workspace, rep):
    lead = _replied(workspace, rep)
    assert _keys(manager_client.get(INBOX, {"view": "team"})) == [f"reply-{lead.pk}"]


def test_rep_asking_for_the_team_view_gets_their_own_queue(rep_client, workspace, rep):
    mine = _replied(workspace, rep)
    _replied(workspace, MembershipFactory(workspace=workspace))
    response = rep_client.get(INBOX, {"view": "team"})
    assert _keys(response) == [f"reply-{mine.pk}"]
    assert 'value="team"' not in response.content.decode()


def test_team_tasks_follow_the_assignee(owner_client, workspace, rep):
    task = _task(workspace, rep)
    assert _keys(owner_client.get(INBOX, {"view": "team"})) == [f"task-{task.pk}"]


# Filters and search


def test_filter_by_status(rep_client, workspace, rep):
    working = _new_lead(workspace, rep, status=Lead.Status.WORKING)
    _new_lead(workspace, rep)
    assert _keys(rep_client.get(INBOX, {"status": "working"})) == [f"sla-{working.pk}"]


def test_filter_by_source(rep_client, workspace, rep):
    lead = _new_lead(workspace, rep)
    _new_lead(workspace, rep)
    assert _keys(rep_client.get(INBOX, {"source": lead.source_id})) == [f"sla-{lead.pk}"]


def test_filter_by_band(rep_client, workspace, rep):
    hot = _new_lead(workspace, rep)
    LeadScoreFactory(workspace=workspace, lead=hot, total=80, band="hot")
    _new_lead(workspace, rep)
    assert _keys(rep_client.get(INBOX, {"band": "hot"})) == [f"sla-{hot.pk}"]


def test_filter_by_active_cadence(rep_client, workspace, rep):
    cadence = CadenceFactory(workspace=workspace)
    enrolled, paused = _new_lead(workspace, rep), _new_lead(workspace, rep)
    _new_lead(workspace, rep)
    for lead, status in ((enrolled, "active"), (paused, "paused")):
        Enrollment.objects.create(
            workspace=workspace,
            lead=lead,
            cadence=cadence,
            status=status,
            enrolled_at=timezone.now(),
        )
    assert _keys(rep_client.get(INBOX, {"cadence": cadence.pk})) == [f"sla-{enrolled.pk}"]


def test_filter_by_task_lead_status_applies_to_tasks(rep_client, workspace, rep):
    task = _task(workspace, rep)
    with workspace_scope(workspace):
        Lead.objects.filter(pk=task.lead_id).update(status=Lead.Status.WORKING)
    _task(workspace, rep)
    assert _keys(rep_client.get(INBOX, {"status": "working"})) == [f"task-{task.pk}"]


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("dana", {"first_name": "Dana"}),
        ("KIM", {"last_name": "Kim"}),
        ("dana@north", {"email": "dana@northwind.example"}),
        ("(415) 555", {"phone": "+14155550123"}),
    ],
)
def test_search_by_name_email_or_phone(rep_client, workspace, rep, query, fields):
    lead = _new_lead(workspace, rep, **fields)
    _new_lead(workspace, rep, first_name="Other", last_name="Person")
    assert _keys(rep_client.get(INBOX, {"q": query})) == [f"sla-{lead.pk}"]


def test_search_by_company(rep_client, workspace, rep):
    account = AccountFactory(workspace=workspace, name="Northwind Traders")
    lead = _new_lead(workspace, rep, account=account)
    _new_lead(workspace, rep)
    assert _keys(rep_client.get(INBOX, {"q": "northwind"})) == [f"sla-{lead.pk}"]


def test_bad_filter_value_is_ignored(rep_client, workspace, rep):
    lead = _new_lead(workspace, rep)
    response = rep_client.get(INBOX, {"source": "abc", "status": "bogus"})
    assert response.status_code == 200
    assert _keys(response) == [f"sla-{lead.pk}"]


def test_empty_inbox_tells_the_rep_what_to_do(rep_client):
    page = rep_client.get(INBOX).content.decode()
    assert "all caught up" in page
    assert "?view=unassigned" in page


def test_filter_request_from_htmx_gets_the_queue_alone(rep_client, workspace, rep):
    _new_lead(workspace, rep)
    response = rep_client.get(INBOX, headers={"HX-Request": "true"})
    assert response.templates[0].name == "leads/_inbox_queue.html"
    assert "<title>(1) Inbox · LeadFollow</title>" in response.content.decode()


# Live refresh


def _live(client, page, **params):
    """Poll as the page does: the filters, the keys on screen and the queue's fingerprint."""
    context = page.context
    data = {"seen": context["seen"], "fingerprint": context["fingerprint"], **params}
    return client.get(LIVE, data, headers={"HX-Request": "true"})


def test_live_answers_204_while_nothing_changed(rep_client, workspace, rep):
    _new_lead(workspace, rep)
    page = rep_client.get(INBOX)
    assert _live(rep_client, page).status_code == 204


def test_live_shows_a_newly_assigned_lead_with_a_new_badge(rep_client, workspace, rep):
    first = _new_lead(workspace, rep)
    page = rep_client.get(INBOX)
    arrived = _new_lead(workspace, rep, first_name="Fresh")
    response = _live(rep_client, page)
    assert response.status_code == 200
    assert response.context["new_keys"] == {f"sla-{arrived.pk}"}
    assert f"sla-{first.pk}" not in response.context["new_keys"]
    assert "badge--new" in response.content.decode()


def test_live_shows_a_new_reply(rep_client, workspace, rep):
    page = rep_client.get(INBOX)
    lead = _replied(workspace, rep)
    response = _live(rep_client, page)
    assert response.context["new_keys"] == {f"reply-{lead.pk}"}
    assert "<title>(1) Inbox · LeadFollow</title>" in response.content.decode()


def test_new_badge_stays_on_the_next_poll(rep_client, workspace, rep):
    page = rep_client.get(INBOX)
    _replied(workspace, rep)
    refreshed = _live(rep_client, page)
    assert _live(rep_client, refreshed).status_code == 204
    assert refreshed.context["new_keys"]


def test_live_keeps_the_filters(rep_client, workspace, rep):
    page = rep_client.get(INBOX, {"view": "unassigned"})
    _replied(workspace, rep)
    response = _live(rep_client, page, view="unassigned")
    assert response.status_code == 204


# Row actions


def test_done_closes_the_task_and_refreshes_the_queue(rep_client, workspace, rep):
    task = _task(workspace, rep)
    url = reverse("leads:inbox-task-done", args=[task.pk])
    response = rep_client.post(url, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert _keys(response) == []
    with workspace_scope(workspace):
        task.refresh_from_db()
    assert (task.status, task.outcome) == ("done", "done")


def test_done_twice_says_it_is_already_closed(rep_client, workspace, rep):
    task = _task(workspace, rep, status=Task.Status.DONE)
    url = reverse("leads:inbox-task-done", args=[task.pk])
    response = rep_client.post(url, headers={"HX-Request": "true"})
    assert "already closed" in response.content.decode()


def test_rep_cannot_close_another_reps_task(rep_client, workspace):
    task = _task(workspace, MembershipFactory(workspace=workspace))
    response = rep_client.post(reverse("leads:inbox-task-done", args=[task.pk]))
    assert response.status_code == 403


def test_confirm_meeting_without_htmx_goes_back_to_the_inbox(rep_client, workspace, rep):
    lead = _meeting(workspace, rep)
    response = rep_client.post(reverse("leads:inbox-meeting-confirm", args=[lead.pk]))
    assert response.status_code == 302
    assert response.url == INBOX
    with workspace_scope(workspace):
        lead.refresh_from_db()
    assert lead.meeting_confirmed_at is not None


def test_home_goes_to_the_inbox(rep_client):
    response = rep_client.get(reverse("leadfollow:home"))
    assert response.url == INBOX


# Queries do not grow with the rows


def _fill(workspace, owner, rows: int) -> None:
    for n in range(rows):
        lead = _new_lead(workspace, owner, account=AccountFactory(workspace=workspace))
        LeadScoreFactory(workspace=workspace, lead=lead, total=n)
        _replied(workspace, owner)
        _task(workspace, owner)
        _meeting(workspace, owner)


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code in (200, 204)
    return len(captured)


@pytest.mark.parametrize("url", [INBOX, LIVE])
def test_inbox_query_count_does_not_grow_with_the_rows(rep_client, workspace, rep, url):
    rep_client.get(INBOX)  # the first visit stores the workspace's default score bands
    _fill(workspace, rep, 3)
    few = _queries(rep_client, url)
    _fill(workspace, rep, 27)
    assert _queries(rep_client, url) == few


def test_team_view_query_count_does_not_grow_with_the_rows(manager_client, workspace, manager):
    team = TeamFactory(workspace=workspace, manager=manager)
    reps = [MembershipFactory(workspace=workspace, role=Role.REP) for _ in range(3)]
    for member in reps:
        TeamMemberFactory(workspace=workspace, team=team, membership=member)
    manager_client.get(INBOX)  # the first visit stores the workspace's default score bands
    _fill(workspace, reps[0], 2)
    few = _queries(manager_client, INBOX, view="team", q="a")
    for member in reps:
        _fill(workspace, member, 8)
    assert _queries(manager_client, INBOX, view="team", q="a") == few


def test_erased_leads_leave_the_queue_but_their_open_tasks_stay(rep_client, workspace, rep):
    gone = _replied(workspace, rep)
    task = _task(workspace, rep)
    with workspace_scope(workspace):
        Lead.objects.filter(pk__in=[gone.pk, task.lead_id]).update(erased_at=timezone.now())
    assert _keys(rep_client.get(INBOX)) == [f"task-{task.pk}"]
