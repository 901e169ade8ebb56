"""Reports benchmark: every report at a real workspace's size, on PostgreSQL (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow .venv/bin/python bench/reports.py
    .venv/bin/python bench/reports.py --leads 100000 --activities 1000000 --runs 5

It never touches the database named in DATABASE_URL: it creates a throwaway
`<name>_bench_reports_<pid>` database next to it, migrates it, seeds the demo workspace, fills
it in SQL and drops it at the end (--keep-db keeps it).

The fill, in the demo workspace, spread over the last 90 days: --leads leads over the demo's
reps and sources (a tenth unassigned, a tenth never touched), each with an SLA clock; a third
enrolled in a three-step cadence (the first step with A/B variants) with a touch and an
outbound message each, plus one more message per lead; and --activities timeline items of
every kind the reports read (calls with outcomes, replies, meetings, opt-outs, sends).

Each report is computed for the manager over the whole 90 days (every row counts), then its
page is rendered through Django's test client: --runs times each after one warm-up, p50/p95.
Target: p95 under 1 s per report.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.support import (  # noqa: E402 - the project root goes on the path first
    app_environment,
    create_database,
    database_urls,
    drop_database,
    manage,
    percentile_ms,
    say,
)

MANAGER_EMAIL = "manager@demo.leadfollow.test"
TARGET_MS = 1000
DAYS = 90

FILL_SQL = [
    # Leads over 90 days; first touch within 2 h for nine in ten, a human touch for seven in
    # ten, replies for one in five, meetings for one in thirty-three.
    """
    INSERT INTO leads_lead (first_name, last_name, email, phone, phone_region, title,
        custom_fields, source_id, owner_id, status, time_zone, do_not_email, do_not_sms,
        do_not_call, do_not_voicemail, created_at, updated_at, first_touch_at,
        first_human_touch_at, first_reply_at, meeting_at, workspace_id)
    SELECT 'First' || g, 'Last' || g, 'lead' || g || '@bench.example',
        '+1646' || lpad(g::text, 7, '0'), 'US', 'Buyer', '{}',
        (%(sources)s::bigint[])[1 + g %% %(source_count)s],
        CASE WHEN g %% 10 = 0 THEN NULL ELSE (%(owners)s::bigint[])[1 + g %% %(owner_count)s] END,
        (ARRAY['new','working','contacted','replied','meeting','qualified','customer',
               'unqualified','dormant'])[1 + g %% 9],
        '', false, false, false, false,
        now() - (g %% 129600) * interval '1 minute', now(),
        CASE WHEN g %% 10 <> 3 THEN now() - (g %% 129600) * interval '1 minute'
            + (g %% 7200) * interval '1 second' END,
        CASE WHEN g %% 10 < 7 THEN now() - (g %% 129600) * interval '1 minute'
            + (g %% 20000) * interval '1 second' END,
        CASE WHEN g %% 5 = 0 THEN now() - (g %% 129600) * interval '1 minute'
            + interval '3 hours' END,
        CASE WHEN g %% 33 = 0 THEN now() + interval '2 days' END,
        %(ws)s
    FROM generate_series(1, %(leads)s) g
    """,
    # An SLA clock on every lead: met by its first touch, breached when that came after 5 min.
    """
    INSERT INTO scoring_slaclock (lead_id, policy_id, started_at, warn_at, due_at, met_at,
        breached_at, workspace_id)
    SELECT id, %(policy)s, created_at, created_at + interval '4 minutes',
        created_at + interval '5 minutes', first_touch_at,
        CASE WHEN first_touch_at IS NULL OR first_touch_at > created_at + interval '5 minutes'
            THEN created_at + interval '5 minutes' END,
        workspace_id
    FROM leads_lead WHERE workspace_id = %(ws)s AND email LIKE '%%@bench.example'
    """,
    # A third of the leads in the cadence, ending on each step with each kind of exit.
    """
    INSERT INTO cadences_enrollment (lead_id, cadence_id, status, exit_reason, current_step_id,
        enrolled_at, workspace_id)
    SELECT id, %(cadence)s,
        (ARRAY['active','exited','exited','completed','paused'])[1 + id %% 5],
        CASE WHEN id %% 5 IN (1, 2) THEN (ARRAY['replied','opted_out','meeting'])[1 + id %% 3]
            ELSE '' END,
        (%(steps)s::bigint[])[1 + id %% 3], created_at + interval '1 minute', workspace_id
    FROM leads_lead WHERE workspace_id = %(ws)s AND email LIKE '%%@bench.example' AND id %% 3 = 0
    """,
    # Two outbound messages per lead, email and text, with every outcome.
    """
    INSERT INTO lf_channels_message (lead_id, channel, direction, provider, status, to_address,
        from_address, subject, body_text, body_html, segments, token, provider_message_id,
        attempts, error, retryable, details, created_at, sent_at, delivered_at, opened_at,
        clicked_at, replied_at, workspace_id)
    SELECT l.id, c.channel, 'out', 'outbox',
        (ARRAY['delivered','delivered','delivered','sent','bounced','failed'])[1 + l.id %% 6],
        'x', '', '', 'Bench message', '', 1, 'bench-' || c.channel || '-' || l.id, '', 1, '',
        false, '{}', l.created_at + interval '2 minutes', l.created_at + interval '2 minutes',
        CASE WHEN l.id %% 6 < 3 THEN l.created_at + interval '3 minutes' END,
        CASE WHEN c.channel = 'email' AND l.id %% 4 = 0 THEN l.created_at + interval '1 hour' END,
        CASE WHEN c.channel = 'email' AND l.id %% 12 = 0 THEN l.created_at + interval '1 hour' END,
        l.first_reply_at, l.workspace_id
    FROM leads_lead l, (VALUES ('email'), ('sms')) c(channel)
    WHERE l.workspace_id = %(ws)s AND l.email LIKE '%%@bench.example'
    """,
    # One touch per enrollment on its current step, with its email; variants on step one.
    """
    INSERT INTO cadences_touch (enrollment_id, step_id, sequence, channel, due_at, status,
        attempts, message_id, variant, rendered_subject, rendered_body, outcome, error,
        workspace_id)
    SELECT e.id, e.current_step_id, 1, 'email', e.enrolled_at, 'sent', 1, m.id,
        CASE WHEN e.current_step_id = (%(steps)s::bigint[])[1] THEN e.id %% 2 END,
        '', '', '', '', e.workspace_id
    FROM cadences_enrollment e
    JOIN lf_channels_message m ON m.token = 'bench-email-' || e.lead_id
    WHERE e.workspace_id = %(ws)s AND e.cadence_id = %(cadence)s
    """,
    # Timeline items of every kind the reports read, by the leads' owners.
    """
    INSERT INTO leads_activity (lead_id, actor_id, kind, channel, direction, summary, payload,
        occurred_at, created_at, workspace_id)
    SELECT l.id, l.owner_id,
        (ARRAY['call_logged','sent','replied','meeting_booked','opted_out','note','opened',
               'status_changed'])[1 + g %% 8],
        (ARRAY['call','sms','sms','','sms','','email',''])[1 + g %% 8],
        (ARRAY['out','out','in','','in','','',''])[1 + g %% 8],
        'Bench activity ' || g,
        CASE WHEN g %% 8 = 0 THEN jsonb_build_object('outcome',
            (ARRAY['answered','voicemail','no_answer','meeting_booked'])[1 + g %% 4])
            ELSE '{}'::jsonb END,
        now() - (g %% 129600) * interval '1 minute', now(), %(ws)s
    FROM generate_series(1, %(activities)s) g
    JOIN leads_lead l ON l.id = %(first_lead)s + g %% %(leads)s
    """,
]


def setup_workspace() -> dict:
    """The demo workspace's ids, plus an SLA policy and a three-step cadence made here."""
    from cadences.models import Cadence, Step
    from leadfollow.models import Membership, Workspace
    from leadfollow.tenancy import workspace_scope
    from leads.models import LeadSource
    from scoring.models import SlaPolicy

    workspace = Workspace.objects.get(slug="demo")
    with workspace_scope(workspace):
        policy = SlaPolicy.objects.create(workspace=workspace, name="Bench: 5 minutes", minutes=5)
        cadence = Cadence.objects.create(workspace=workspace, name="Bench cadence")
        steps = [
            Step.objects.create(workspace=workspace, cadence=cadence, position=index, kind=kind)
            for index, kind in enumerate(["email", "sms", "call_task"])
        ]
        owners = Membership.objects.filter(workspace=workspace, user__email__startswith="rep")
        sources = LeadSource.objects.filter(workspace=workspace)
        return {
            "ws": workspace.pk,
            "policy": policy.pk,
            "cadence": cadence.pk,
            "steps": [step.pk for step in steps],
            "owners": [member.pk for member in owners],
            "owner_count": owners.count(),
            "sources": [source.pk for source in sources],
            "source_count": sources.count(),
        }


def fill(database_url: str, params: dict) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        lead_statement, *rest = FILL_SQL
        conn.execute(lead_statement, params)
        params["first_lead"] = conn.execute(
            "SELECT min(id) FROM leads_lead WHERE workspace_id = %s AND email LIKE %s",
            (params["ws"], "%@bench.example"),
        ).fetchone()[0]
        for statement in rest:
            conn.execute(statement, params)
        conn.execute("ANALYZE")


def time_reports(runs: int) -> list[tuple[str, float, float]]:
    from django.test import Client
    from django.utils import timezone

    from leadfollow.models import Membership
    from leadfollow.tenancy import unscoped, workspace_scope
    from reports.filters import ReportFilters
    from reports.registry import all_reports, compute_report

    with unscoped():
        manager = Membership.objects.select_related("workspace", "user").get(
            user__email=MANAGER_EMAIL
        )
    workspace = manager.workspace
    today = timezone.localdate(timezone=workspace.tzinfo)
    filters = ReportFilters(
        date_from=today - timedelta(days=DAYS), date_to=today, tz=workspace.tzinfo
    )
    client = Client()
    client.force_login(manager.user)
    figures = []
    say(f"Each report over {DAYS + 1} days, as the manager ({runs} runs after one warm-up):")
    for report in all_reports():
        with workspace_scope(workspace):
            durations = []
            for run in range(runs + 1):
                started = time.perf_counter()
                compute_report(workspace=workspace, report=report, filters=filters, viewer=manager)
                if run:
                    durations.append(time.perf_counter() - started)
        page = []
        for run in range(runs + 1):
            started = time.perf_counter()
            response = client.get(report.page_url + "?" + filters.as_query())
            if response.status_code != 200:
                raise SystemExit(f"{report.page_url} answered {response.status_code}")
            if run:
                page.append(time.perf_counter() - started)
        p95, page_p95 = percentile_ms(durations, 95), percentile_ms(page, 95)
        verdict = "ok" if max(p95, page_p95) < TARGET_MS else f"OVER the {TARGET_MS} ms target"
        say(
            f"  {report.title:<22} compute p50 {percentile_ms(durations, 50):7.1f} ms "
            f"p95 {p95:7.1f} ms   page p95 {page_p95:7.1f} ms   {verdict}"
        )
        figures.append((report.slug, p95, page_p95))
    index = []
    for run in range(runs + 1):
        started = time.perf_counter()
        response = client.get("/reports/?" + filters.as_query())
        if response.status_code != 200:
            raise SystemExit(f"/reports/ answered {response.status_code}")
        if run:
            index.append(time.perf_counter() - started)
    p95 = percentile_ms(index, 95)
    verdict = "ok" if p95 < TARGET_MS else f"OVER the {TARGET_MS} ms target"
    say(
        f"  {'Overview (headlines)':<22} page p50 {percentile_ms(index, 50):7.1f} ms "
        f"p95 {p95:7.1f} ms   {verdict}"
    )
    figures.append(("index", p95, p95))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadfollow")
    admin_url, database_url, name = database_urls(base, "reports")
    create_database(admin_url, name)
    try:
        env = app_environment(database_url)
        os.environ.update(env)
        started = time.monotonic()
        manage(env, "migrate", "--no-input")
        manage(env, "seed_demo")
        import django

        django.setup()
        params = setup_workspace()
        fill(database_url, {**params, "leads": args.leads, "activities": args.activities})
        say(
            f"Filled {args.leads:,} leads and {args.activities:,} activities "
            f"in {time.monotonic() - started:.0f} s."
        )
        time_reports(args.runs)
    finally:
        if args.keep_db:
            say(f"Kept the database {name}.")
        else:
            from django.db import connections

            connections.close_all()
            drop_database(admin_url, name)


if __name__ == "__main__":
    main()
