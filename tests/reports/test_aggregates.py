"""Percentiles: PostgreSQL's percentile_cont and the SQLite fallback give the same numbers."""

from datetime import UTC, datetime

import pytest
from django.db.models import F

from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from reports.aggregates import _percentiles_in_python, elapsed_percentiles, percentile_cont
from tests.factories import MembershipFactory
from tests.reports.timeline import lead_at

SPANS = {"wait": ("created_at", "first_touch_at")}
NOON = datetime(2026, 6, 8, 16, 0, tzinfo=UTC)


def test_percentile_cont_interpolates_between_the_nearest_ranks():
    values = [10.0, 20.0, 30.0, 40.0]
    assert (percentile_cont(values, 0.5), percentile_cont(values, 0.9)) == (25.0, 37.0)


def test_percentile_cont_of_one_value_is_that_value():
    assert percentile_cont([42.0], 0.9) == 42.0


def test_percentile_cont_of_nothing_is_none():
    assert percentile_cont([], 0.5) is None


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgres_and_the_fallback_agree_to_the_tenth_of_a_second(workspace):
    reps = [MembershipFactory(workspace=workspace) for _ in range(3)]
    for index in range(41):
        # Uneven waits with fractions of a second, some untouched, spread over three owners.
        wait = None if index % 7 == 0 else (index**2 * 13.37) % 9000
        lead_at(workspace, NOON, touch_after=wait, owner=reps[index % 3])
    with workspace_scope(workspace):
        leads = Lead.objects.filter(workspace=workspace)
        for group in (None, F("owner_id")):
            in_database = elapsed_percentiles(leads, group=group, spans=SPANS)
            grouped = leads.annotate(report_group=group) if group is not None else leads
            in_python = _percentiles_in_python(grouped, group is not None, SPANS, (0.5, 0.9))
            assert in_database == in_python


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_one_pass_breakdowns_match_the_portable_ones(workspace):
    from django.db.models.functions import ExtractHour

    from reports.waits import _breakdown, _in_one_pass

    reps = [MembershipFactory(workspace=workspace) for _ in range(2)]
    for index in range(23):
        wait = None if index % 5 == 0 else index * 97.3
        human = None if index % 3 == 0 else index * 211.9
        created = NOON.replace(hour=index)
        lead_at(workspace, created, touch_after=wait, human_after=human, owner=reps[index % 2])
    groups = {
        "overall": None,
        "rep": F("owner_id"),
        "hour": ExtractHour("created_at", tzinfo=workspace.tzinfo),
    }
    with workspace_scope(workspace):
        leads = Lead.objects.filter(workspace=workspace)
        one_pass = _in_one_pass(leads, groups)
        portable = {name: _breakdown(leads, group) for name, group in groups.items()}
    assert one_pass == portable
