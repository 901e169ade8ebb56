"""The managers' team board: each member's workload and availability, and moving leads."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadfollow.models import Role
from leadfollow.tenancy import unscoped
from leads.models import Activity, Lead
from scoring.models import RepAvailability, SlaClock
from tests.factories import (
    LeadFactory,
    MembershipFactory,
    TaskFactory,
    TeamFactory,
    TeamMemberFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db

BOARD = reverse("scoring:team-board")
REASSIGN = reverse("scoring:team-reassign")
# Wednesday 10 June 2026, 12:00 in New York (the workspace's zone).
NOON = datetime(2026, 6, 10, 16, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def _row(response, member):
    return next(row for row in response.context["rows"] if row.member == member)


def _breached(lead, at):
    SlaClock.objects.create(
        workspace=lead.workspace,
        lead=lead,
        started_at=at - timedelta(minutes=10),
        warn_at=at - timedelta(minutes=2),
        due_at=at,
        breached_at=at,
    )


def _owners(*leads):
    with unscoped():
        return [Lead.objects.get(pk=lead.pk).owner_id for lead in leads]


def test_the_board_has_a_card_per_active_member(workspace, rep, manager, manager_client):
    gone = MembershipFactory(workspace=workspace, is_active=False)
    members = [row.member for row in manager_client.get(BOARD).context["rows"]]
    assert rep in members
    assert manager in members
    assert gone not in members


def test_open_leads_leave_out_closed_statuses(workspace, rep, manager_client):
    for status in ("new", "working", "meeting", "qualified", "unqualified", "customer", "dormant"):
        LeadFactory(workspace=workspace, owner=rep, status=status)
    assert _row(manager_client.get(BOARD), rep).open_leads == 3


def test_replies_waiting_count_leads_with_an_unanswered_reply(workspace, rep, manager_client):
    LeadFactory(workspace=workspace, owner=rep, awaiting_reply_since=NOON - timedelta(hours=1))
    LeadFactory(workspace=workspace, owner=rep)
    assert _row(manager_client.get(BOARD), rep).replies_waiting == 1


def test_sla_breaches_count_from_midnight_in_the_workspace_zone(workspace, rep, manager_client):
    # 01:00 in New York today is 05:00 UTC; 23:00 yesterday there is 03:00 UTC today.
    _breached(LeadFactory(workspace=workspace, owner=rep), datetime(2026, 6, 10, 5, tzinfo=UTC))
    _breached(LeadFactory(workspace=workspace, owner=rep), datetime(2026, 6, 10, 3, tzinfo=UTC))
    assert _row(manager_client.get(BOARD), rep).breaches_today == 1


def test_tasks_are_counted_as_overdue_and_due_later_today(workspace, rep, manager_client):
    for due in (NOON - timedelta(hours=1), NOON + timedelta(hours=2), NOON + timedelta(days=3)):
        TaskFactory(workspace=workspace, assignee=rep, due_at=due)
    TaskFactory(workspace=workspace, assignee=rep, due_at=NOON, status="done")
    row = _row(manager_client.get(BOARD), rep)
    assert (row.overdue_tasks, row.due_today_tasks) == (1, 1)


def test_a_paused_rep_shows_as_paused(workspace, rep, manager_client):
    RepAvailability.objects.create(workspace=workspace, membership=rep, is_available=False)
    response = manager_client.get(BOARD)
    assert _row(response, rep).is_available is False
    assert "Paused: no new leads" in response.content.decode()


def test_a_rep_on_time_off_shows_until_when(workspace, rep, manager_client):
    TimeOffFactory(
        workspace=workspace,
        membership=rep,
        starts_at=NOON - timedelta(days=1),
        ends_at=NOON + timedelta(days=2),
    )
    response = manager_client.get(BOARD)
    assert _row(response, rep).is_away is True
    assert "Time off until Jun 12" in response.content.decode()


def test_working_now_follows_the_reps_hours(workspace, rep, manager_client):
    RepAvailability.objects.create(
        workspace=workspace, membership=rep, working_hours={"2": [["13:00", "18:00"]]}
    )
    assert _row(manager_client.get(BOARD), rep).is_working_now is False


def test_the_team_filter_shows_only_its_members(workspace, rep, manager, manager_client):
    team = TeamFactory(workspace=workspace)
    TeamMemberFactory(workspace=workspace, team=team, membership=rep)
    members = [row.member for row in manager_client.get(BOARD, {"team": team.pk}).context["rows"]]
    assert members == [rep]


def test_another_workspaces_team_is_a_404(manager_client, other_workspace):
    team = TeamFactory(workspace=other_workspace)
    assert manager_client.get(BOARD, {"team": team.pk}).status_code == 404


def test_another_workspaces_members_never_show(manager_client, other_workspace):
    MembershipFactory(workspace=other_workspace, user__first_name="Leaky")
    assert "Leaky" not in manager_client.get(BOARD).content.decode()


def test_reps_get_a_403(rep_client):
    assert rep_client.get(BOARD).status_code == 403


def test_owners_may_open_the_board(owner_client):
    assert owner_client.get(BOARD).status_code == 200


def test_picking_a_rep_lists_their_open_leads(workspace, rep, manager_client):
    open_lead = LeadFactory(workspace=workspace, owner=rep, status="working")
    LeadFactory(workspace=workspace, owner=rep, status="customer")
    response = manager_client.get(BOARD, {"rep": rep.pk})
    assert [lead for lead, _, _ in response.context["pick_rows"]] == [open_lead]


def test_picking_a_member_of_another_workspace_is_a_404(manager_client, other_workspace):
    stranger = MembershipFactory(workspace=other_workspace)
    assert manager_client.get(BOARD, {"rep": stranger.pk}).status_code == 404


def test_reassigning_moves_the_ticked_leads_and_logs_each(workspace, rep, manager_client):
    maya = MembershipFactory(workspace=workspace, user__first_name="Maya", user__last_name="Hill")
    first, second, kept = (LeadFactory(workspace=workspace, owner=rep) for _ in range(3))
    response = manager_client.post(
        REASSIGN, {"lead_ids": [first.pk, second.pk], "to": maya.pk, "from_rep": rep.pk}
    )
    assert response.status_code == 302
    assert _owners(first, second, kept) == [maya.pk, maya.pk, rep.pk]
    with unscoped():
        logged = Activity.objects.filter(kind="owner_changed", summary="Assigned to Maya Hill")
        assert sorted(logged.values_list("lead_id", flat=True)) == [first.pk, second.pk]


def test_a_successful_move_says_how_many_went_to_whom(workspace, rep, manager_client):
    maya = MembershipFactory(workspace=workspace, user__first_name="Maya", user__last_name="Hill")
    lead = LeadFactory(workspace=workspace, owner=rep)
    response = manager_client.post(
        REASSIGN, {"lead_ids": [lead.pk], "to": maya.pk, "from_rep": rep.pk}, follow=True
    )
    assert "Moved 1 lead to Maya Hill." in response.content.decode()


def test_one_lead_moved_meanwhile_stops_the_whole_move_and_is_named(workspace, rep, manager_client):
    maya, sam = MembershipFactory(workspace=workspace), MembershipFactory(workspace=workspace)
    mine = LeadFactory(workspace=workspace, owner=rep)
    taken = LeadFactory(workspace=workspace, owner=sam, first_name="Taken")
    response = manager_client.post(
        REASSIGN, {"lead_ids": [mine.pk, taken.pk], "to": maya.pk, "from_rep": rep.pk}
    )
    assert response.status_code == 400
    assert _owners(mine, taken) == [rep.pk, sam.pk]
    assert response.context["problem_list"] == [
        (f"Lead #{taken.pk}", "Someone else moved it meanwhile. Reload the board.")
    ]


def test_a_lead_of_another_workspace_changes_nothing(
    workspace, rep, manager_client, other_workspace
):
    maya = MembershipFactory(workspace=workspace)
    mine = LeadFactory(workspace=workspace, owner=rep)
    foreign = LeadFactory(workspace=other_workspace)
    response = manager_client.post(
        REASSIGN, {"lead_ids": [mine.pk, foreign.pk], "to": maya.pk, "from_rep": rep.pk}
    )
    assert response.status_code == 400
    assert _owners(mine, foreign) == [rep.pk, None]
    assert "Not a lead of this workspace." in response.content.decode()


def test_a_failed_move_keeps_the_leads_ticked_and_marks_the_bad_one(workspace, rep, manager_client):
    maya = MembershipFactory(workspace=workspace)
    ok = LeadFactory(workspace=workspace, owner=rep)
    broken = LeadFactory(workspace=workspace, owner=rep, email=None, phone=None)
    response = manager_client.post(
        REASSIGN, {"lead_ids": [ok.pk, broken.pk], "to": maya.pk, "from_rep": rep.pk}
    )
    rows = {lead.pk: (problem, checked) for lead, problem, checked in response.context["pick_rows"]}
    assert rows == {
        ok.pk: (None, True),
        broken.pk: ("A lead needs an email address or a phone number.", True),
    }


def test_moving_without_ticking_a_lead_says_so(workspace, rep, manager_client):
    maya = MembershipFactory(workspace=workspace)
    response = manager_client.post(REASSIGN, {"to": maya.pk, "from_rep": rep.pk})
    assert response.status_code == 400
    assert "Tick at least one lead to move." in response.content.decode()


def test_moving_to_an_inactive_member_is_refused(workspace, rep, manager_client):
    gone = MembershipFactory(workspace=workspace, is_active=False)
    lead = LeadFactory(workspace=workspace, owner=rep)
    response = manager_client.post(
        REASSIGN, {"lead_ids": [lead.pk], "to": gone.pk, "from_rep": rep.pk}
    )
    assert response.status_code == 400
    assert _owners(lead) == [rep.pk]


def test_moving_leads_to_their_own_rep_is_refused(workspace, rep, manager_client):
    lead = LeadFactory(workspace=workspace, owner=rep)
    response = manager_client.post(
        REASSIGN, {"lead_ids": [lead.pk], "to": rep.pk, "from_rep": rep.pk}
    )
    assert "Choose someone else" in response.content.decode()


def test_reps_cannot_reassign(workspace, rep, rep_client):
    other = MembershipFactory(workspace=workspace, role=Role.REP)
    lead = LeadFactory(workspace=workspace, owner=other)
    response = rep_client.post(
        REASSIGN, {"lead_ids": [lead.pk], "to": rep.pk, "from_rep": other.pk}
    )
    assert response.status_code == 403
    assert _owners(lead) == [other.pk]


def test_the_board_query_count_does_not_grow_with_members_or_leads(workspace, manager_client):
    def add_rep():
        member = MembershipFactory(workspace=workspace)
        RepAvailability.objects.create(workspace=workspace, membership=member)
        TimeOffFactory(workspace=workspace, membership=member, starts_at=NOON, ends_at=NOON)
        for _ in range(3):
            lead = LeadFactory(workspace=workspace, owner=member)
            _breached(lead, NOON - timedelta(hours=1))
            TaskFactory(workspace=workspace, lead=lead, assignee=member)
        return member

    first = add_rep()
    with CaptureQueriesContext(connection) as few:
        manager_client.get(BOARD, {"rep": first.pk})
    for _ in range(4):
        add_rep()
    with CaptureQueriesContext(connection) as many:
        manager_client.get(BOARD, {"rep": first.pk})
    assert len(many) == len(few)


def test_moving_more_than_the_limit_at_once_is_refused(workspace, rep, manager_client):
    maya = MembershipFactory(workspace=workspace)
    ids = list(range(1, 202))
    response = manager_client.post(REASSIGN, {"lead_ids": ids, "to": maya.pk, "from_rep": rep.pk})
    assert "Move at most 200 leads at once." in response.content.decode()
