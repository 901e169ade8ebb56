"""On PostgreSQL, searching leads reads the trigram indexes of leads migration 0005.

The indexes only help while their expressions are exactly what the search's SQL compares, and
the company is matched in a way the planner can combine with the others: the plan says so.
"""

from __future__ import annotations

import pytest
from django.db import connection

from leadfollow.tenancy import workspace_scope
from leads.selectors import search_leads
from tests.factories import AccountFactory, LeadFactory

LEAD_INDEXES = ("lead_first_name_trgm", "lead_last_name_trgm", "lead_email_trgm", "lead_phone_trgm")

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="trigram indexes exist on PostgreSQL only"
)


def _fill(workspace, leads: int = 20_000) -> None:
    """A workspace big enough that reading every lead costs more than the indexes."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO leads_lead (first_name, last_name, email, phone, phone_region, title,
                custom_fields, status, time_zone, do_not_email, do_not_sms, do_not_call,
                do_not_voicemail, created_at, updated_at, workspace_id)
            SELECT 'First' || g, 'Last' || g, 'lead' || g || '@example.com',
                '+1646' || lpad(g::text, 7, '0'), 'US', '', '{}', 'new', '', false, false,
                false, false, now(), now(), %s
            FROM generate_series(1, %s) g
            """,
            [workspace.pk, leads],
        )
        for index in LEAD_INDEXES:
            # Rows inserted just now wait in the index's pending list, which autovacuum would
            # have merged by the time anyone searches.
            cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("ANALYZE leads_account")


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        # Only the choice between the indexes is left to the planner: a test database is
        # small and freshly filled, so reading the table whole would often look cheaper.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_search_by_a_word_reads_every_columns_trigram_index(workspace):
    LeadFactory(workspace=workspace, account=AccountFactory(workspace=workspace, name="Holt Inc"))
    _fill(workspace)
    with workspace_scope(workspace):
        plan = _plan(search_leads(workspace=workspace, q="holt"))
    for index in LEAD_INDEXES[:3]:
        assert index in plan
    # The company arm: the matching accounts' ids, probed in the leads' account index.
    assert "Index Cond: (account_id = ANY" in plan
    assert "BitmapOr" in plan


def test_search_by_digits_reads_the_phone_index(workspace):
    _fill(workspace)
    with workspace_scope(workspace):
        plan = _plan(search_leads(workspace=workspace, q="555-2671"))
    assert "lead_phone_trgm" in plan
