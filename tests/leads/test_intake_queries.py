"""What one lead sent to the API costs the database: a fixed number of statements."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Lead
from tests.factories import (
    CadenceFactory,
    MembershipFactory,
    RoutingRuleFactory,
    ScoringRuleFactory,
    SlaPolicyFactory,
    StepFactory,
    TeamFactory,
    TeamMemberFactory,
)

pytestmark = pytest.mark.django_db

LEADS = reverse("leads:api-lead-list")
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")

# A new lead at a new company, in a workspace that scores, routes to a team, runs an SLA clock
# and auto-enrolls: the source; the lead's duplicates, suppressions and account; the account,
# the lead and its score; the enrollment and its first touch; the team's turn (one statement);
# then what the intake writes together at its end: the owner's alert, the SLA clock, the
# timeline and the lead's owner and last activity. On PostgreSQL those four are one statement.
WRITTEN_AT_THE_END = 4 if connection.vendor != "postgresql" else 1
NEW_LEAD_WITH_EVERY_RULE = 10 + WRITTEN_AT_THE_END
# Without rules: the source; duplicates, suppressions, account; account, lead, score; the
# timeline and the lead's last activity (one statement on PostgreSQL).
NEW_LEAD_WITHOUT_RULES = 7 + (2 if connection.vendor != "postgresql" else 1)


@pytest.fixture
def every_rule(workspace):
    """Scoring, a round-robin team of two behind a catch-all routing rule, an SLA policy and
    an auto-enroll cadence whose first touch waits an hour (so nothing is sent in between)."""
    ScoringRuleFactory(workspace=workspace, points=10)
    team = TeamFactory(workspace=workspace)
    for _ in range(2):
        TeamMemberFactory(
            workspace=workspace, team=team, membership=MembershipFactory(workspace=workspace)
        )
    RoutingRuleFactory(workspace=workspace, team=team, conditions={"all": []})
    SlaPolicyFactory(workspace=workspace)
    cadence = CadenceFactory(workspace=workspace, auto_enroll=True)
    StepFactory(cadence=cadence, delay=1, delay_unit="hours")


def _post_statements(api_client, number: int) -> list[str]:
    body = {
        "email": f"dana{number}@northwind{number}.example",
        "phone": f"+1415555{number:04d}",
        "company": f"Northwind {number}",
        "source": "Website form",
    }
    with CaptureQueriesContext(connection) as captured:
        response = api_client.post(LEADS, body, format="json")
    assert response.status_code == 201
    return [query["sql"] for query in captured.captured_queries]


def _work(statements: list[str]) -> list[str]:
    return [sql for sql in statements if not sql.startswith(TRANSACTION_CONTROL)]


def test_a_new_lead_with_every_kind_of_rule_takes_a_fixed_number_of_statements(
    api_client, every_rule
):
    _post_statements(api_client, 1)  # loads the workspace's rules and the source
    statements = _post_statements(api_client, 2)
    assert len(_work(statements)) == NEW_LEAD_WITH_EVERY_RULE


def test_a_new_lead_without_rules_takes_a_fixed_number_of_statements(api_client):
    _post_statements(api_client, 1)
    statements = _post_statements(api_client, 2)
    assert len(_work(statements)) == NEW_LEAD_WITHOUT_RULES


def test_intake_steps_share_the_lead_s_transaction_without_savepoints(api_client, every_rule):
    _post_statements(api_client, 1)
    statements = _post_statements(api_client, 2)
    # At most the intake's own block, which is a savepoint inside a test's transaction.
    assert sum(sql.startswith("SAVEPOINT") for sql in statements) <= 1


def test_the_whole_intake_is_on_the_timeline_in_order(api_client, workspace, every_rule):
    _post_statements(api_client, 1)
    with workspace_scope(workspace):
        lead = Lead.objects.get(workspace=workspace)
        kinds = list(
            Activity.objects.filter(workspace=workspace, lead=lead)
            .order_by("pk")
            .values_list("kind", flat=True)
        )
    assert kinds == ["created", "owner_changed", "enrolled"]
    assert lead.last_activity_at is not None


def test_the_team_s_turn_is_taken_after_the_other_steps_wrote(api_client, every_rule):
    _post_statements(api_client, 1)
    work = _work(_post_statements(api_client, 2))
    turn = next(n for n, sql in enumerate(work) if sql.startswith('UPDATE "scoring_team"'))
    # The team's row stays locked until commit: only what the intake writes at its end (the
    # owner's alert, the SLA clock, the timeline, the lead's update) comes after it.
    assert len(work) - turn - 1 == WRITTEN_AT_THE_END
