"""The SLAs page, the Availability pages and the History page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from leadfollow.models import Role
from leadfollow.tenancy import workspace_scope
from scoring.models import Holiday, RepAvailability, RuleChange, SlaPolicy, TimeOff
from tests.factories import (
    HolidayFactory,
    MembershipFactory,
    RuleChangeFactory,
    SlaPolicyFactory,
    TimeOffFactory,
)

pytestmark = pytest.mark.django_db


def _policy_post(**extra) -> dict:
    return {
        "name": "Hot leads",
        "minutes": "5",
        "met_by": "any_touch",
        "business_hours_only": "on",
        "warn_at_percent": "80",
        "cond-field": ["score_band"],
        "cond-key": [""],
        "cond-op": ["equals"],
        "cond-value": ["hot"],
        **extra,
    }


def test_manager_adds_an_sla_policy(manager_client, workspace):
    response = manager_client.post(reverse("scoring:sla-policy-new"), _policy_post())
    assert response.status_code == 302
    with workspace_scope(workspace):
        policy = SlaPolicy.objects.get()
    assert (policy.minutes, policy.business_hours_only) == (5, True)
    assert policy.conditions == {"all": [{"field": "score_band", "op": "equals", "value": "hot"}]}


def test_sla_minutes_out_of_range_are_refused(manager_client, workspace):
    response = manager_client.post(reverse("scoring:sla-policy-new"), _policy_post(minutes="0"))
    assert response.status_code == 400
    with workspace_scope(workspace):
        assert not SlaPolicy.objects.exists()


def test_disabled_policy_shows_as_off(manager_client, workspace):
    policy = SlaPolicyFactory(workspace=workspace, name="Warm")
    url = reverse("scoring:sla-policy-toggle", args=[policy.pk])
    html = manager_client.post(url, {"is_active": "false"}, HTTP_HX_REQUEST="true").content
    assert "rulelist__item--off" in html.decode()


def test_manager_adds_a_holiday(manager_client, workspace):
    day = timezone.localdate() + timedelta(days=10)
    response = manager_client.post(
        reverse("scoring:holiday-add"), {"date": day.isoformat(), "name": "Founders' Day"}
    )
    assert response.status_code == 302
    with workspace_scope(workspace):
        assert Holiday.objects.get().date == day


def test_same_holiday_twice_is_refused(manager_client, workspace):
    holiday = HolidayFactory(workspace=workspace)
    data = {"date": holiday.date.isoformat(), "name": "Again"}
    response = manager_client.post(reverse("scoring:holiday-add"), data)
    assert response.status_code == 400
    assert "already a holiday" in response.content.decode()


def test_rep_gets_403_adding_a_holiday_or_policy(rep_client, workspace):
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert (
        rep_client.post(reverse("scoring:holiday-add"), {"date": day, "name": "X"}).status_code
        == 403
    )
    assert rep_client.post(reverse("scoring:sla-policy-new"), _policy_post()).status_code == 403
    with workspace_scope(workspace):
        assert not Holiday.objects.exists()
        assert not SlaPolicy.objects.exists()


def _availability_post(**extra) -> dict:
    data = {"is_available": "on", "time_zone": "Europe/Paris", "daily_cap": "20"}
    for day in range(5):
        data |= {f"day_{day}_on": "on", f"day_{day}_start": "08:00", f"day_{day}_end": "16:00"}
    return data | extra


def test_rep_edits_their_own_availability(rep_client, rep, workspace):
    url = reverse("scoring:availability-edit", args=[rep.pk])
    assert rep_client.post(url, _availability_post()).status_code == 302
    with workspace_scope(workspace):
        saved = RepAvailability.objects.get(membership=rep)
    assert (saved.time_zone, saved.daily_cap) == ("Europe/Paris", 20)
    assert saved.working_hours == {str(d): [["08:00", "16:00"]] for d in range(5)}


def test_rep_cannot_edit_another_reps_availability(rep_client, workspace):
    colleague = MembershipFactory(workspace=workspace, role=Role.REP)
    url = reverse("scoring:availability-edit", args=[colleague.pk])
    assert rep_client.get(url).status_code == 403
    assert rep_client.post(url, _availability_post()).status_code == 403
    with workspace_scope(workspace):
        assert not RepAvailability.objects.exists()


def test_manager_edits_a_reps_availability(manager_client, rep, workspace):
    url = reverse("scoring:availability-edit", args=[rep.pk])
    manager_client.post(url, _availability_post(is_available=""))
    with workspace_scope(workspace):
        assert RepAvailability.objects.get(membership=rep).is_available is False


def test_hours_ending_before_they_start_are_refused(manager_client, rep, workspace):
    url = reverse("scoring:availability-edit", args=[rep.pk])
    response = manager_client.post(url, _availability_post(day_0_end="07:00"))
    assert response.status_code == 400
    assert "Monday: end after you start" in response.content.decode()


def test_time_off_is_read_in_the_reps_time_zone(rep_client, rep, workspace):
    with workspace_scope(workspace):
        RepAvailability.objects.create(workspace=workspace, membership=rep, time_zone="Asia/Tokyo")
    data = {"starts_at": "2030-05-01T09:00", "ends_at": "2030-05-03T18:00", "note": "Trip"}
    rep_client.post(reverse("scoring:time-off-add", args=[rep.pk]), data)
    with workspace_scope(workspace):
        time_off = TimeOff.objects.get()
    assert time_off.starts_at.isoformat() == "2030-05-01T00:00:00+00:00"


def test_rep_cannot_cancel_a_colleagues_time_off(rep_client, workspace):
    time_off = TimeOffFactory(workspace=workspace)
    response = rep_client.post(reverse("scoring:time-off-delete", args=[time_off.pk]))
    assert response.status_code == 403
    with workspace_scope(workspace):
        assert TimeOff.objects.filter(pk=time_off.pk).exists()


def test_history_lists_who_changed_what(manager_client, manager, workspace):
    RuleChangeFactory(
        workspace=workspace,
        actor=manager,
        action="updated",
        before={"name": "Hot", "points": 10},
        after={"name": "Hot", "points": 20},
    )
    html = manager_client.get(reverse("scoring:rule-history")).content.decode()
    assert manager.user.display_name in html
    assert "<del>10</del>" in html
    assert "<ins>20</ins>" in html


def test_history_filters_by_kind(rep_client, workspace):
    RuleChangeFactory(workspace=workspace, subject="team", after={"name": "Team Blue"})
    RuleChangeFactory(workspace=workspace, subject="sla_policy", after={"name": "Five minutes"})
    html = rep_client.get(reverse("scoring:rule-history"), {"kind": "team"}).content.decode()
    assert "Team Blue" in html
    assert "Five minutes" not in html


def test_every_rules_page_answers_a_rep(rep_client, workspace):
    for name in ("rule-list", "routing", "sla-list", "availability", "rule-history"):
        assert rep_client.get(reverse(f"scoring:{name}")).status_code == 200


def test_history_records_a_holiday_change(manager_client, workspace):
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    manager_client.post(reverse("scoring:holiday-add"), {"date": day, "name": "Day off"})
    with workspace_scope(workspace):
        change = RuleChange.objects.get()
    assert (change.subject, change.action, change.after["name"]) == (
        "holiday",
        "created",
        "Day off",
    )
