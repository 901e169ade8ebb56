"""Fairness under real concurrency: the rotation lives in locked rows, not in process memory."""

import threading
from collections import Counter

import pytest
from django.db import connections

from leadfollow.tenancy import workspace_scope
from leads.models import Lead
from leads.services import intake_lead
from scoring.models import Team
from tests.factories import RoutingRuleFactory, TeamFactory, TeamMemberFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _intake_concurrently(workspace, count: int, threads: int) -> None:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(offset: int) -> None:
        try:
            barrier.wait()
            with workspace_scope(workspace):
                for n in range(offset, count, threads):
                    intake_lead(workspace=workspace, fields={"email": f"lead{n}@load.example"})
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []


def _owner_counts(workspace) -> Counter:
    with workspace_scope(workspace):
        return Counter(Lead.objects.values_list("owner_id", flat=True))


def test_100_concurrent_leads_split_exactly_among_4_equal_reps(workspace):
    team = TeamFactory(workspace=workspace, strategy=Team.Strategy.ROUND_ROBIN)
    seats = [TeamMemberFactory(workspace=workspace, team=team) for _ in range(4)]
    RoutingRuleFactory(workspace=workspace, team=team)
    _intake_concurrently(workspace, count=100, threads=8)
    counts = _owner_counts(workspace)
    assert sorted(counts[seat.membership_id] for seat in seats) == [25, 25, 25, 25]


def test_weighted_team_matches_its_weights_under_concurrency(workspace):
    team = TeamFactory(workspace=workspace, strategy=Team.Strategy.WEIGHTED)
    seats = [TeamMemberFactory(workspace=workspace, team=team, weight=w) for w in (3, 2, 1)]
    RoutingRuleFactory(workspace=workspace, team=team)
    _intake_concurrently(workspace, count=60, threads=8)
    counts = _owner_counts(workspace)
    assert [counts[seat.membership_id] for seat in seats] == [30, 20, 10]
