"""Inbox benchmark: the inbox, a busy lead page and search at a real workspace's size (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow .venv/bin/python bench/inbox.py
    .venv/bin/python bench/inbox.py --leads 100000 --activities 1000000 --runs 40

It never touches the database named in DATABASE_URL: it creates a throwaway
`<name>_bench_inbox_<pid>` database next to it, migrates it, seeds the demo workspace, fills it
in SQL and drops it at the end (--keep-db keeps it).

The fill, in the demo workspace: --leads leads spread over the demo's reps (a tenth unassigned)
and 10,000 companies, each with a score; a reply waiting on one lead in fifty, an unconfirmed
meeting on one in two hundred, open SLA clocks on the newest 300, 5,000 open tasks, and
--activities timeline items spread over the leads. One lead has 500 timeline items of its own,
200 of them text and email messages.

Each page is timed --runs times after two warm-up requests, first through Django's test client
(in this process: p50/p95 and the SQL statements of one request) and then through gunicorn
(--workers sync workers, one request at a time, with the rep's session cookie). Targets: p95
under 150 ms for the inbox and the lead page, under 300 ms for search, and statement counts that
do not grow with the data.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import time
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
    start_gunicorn,
)

REP_EMAIL = "rep1@demo.leadfollow.test"
MANAGER_EMAIL = "manager@demo.leadfollow.test"

FILL_SQL = [
    # Companies.
    """
    INSERT INTO leads_account (name, domain, created_at, workspace_id)
    SELECT 'Bench Company ' || g, 'company' || g || '.bench', now(), %(ws)s
    FROM generate_series(1, 10000) g
    """,
    # Leads: owners round the demo's members (every tenth unassigned), mixed statuses, spread
    # over 90 days; a reply waiting on one in fifty, an unconfirmed meeting on one in 200. Their
    # residues are not multiples of ten, so they land on owned leads of every rep, not only
    # on the unassigned ones.
    """
    INSERT INTO leads_lead (first_name, last_name, email, phone, phone_region, account_id, title,
        custom_fields, source_id, owner_id, status, time_zone, do_not_email, do_not_sms,
        do_not_call, do_not_voicemail, created_at, updated_at, last_activity_at,
        awaiting_reply_since, meeting_at, workspace_id)
    SELECT 'First' || g, 'Last' || g, 'lead' || g || '@company' || (g %% 10000 + 1) || '.bench',
        '+1646' || lpad(g::text, 7, '0'), 'US',
        (SELECT min(id) FROM leads_account WHERE workspace_id = %(ws)s) + g %% 10000,
        'Buyer', '{}', %(source)s,
        CASE WHEN g %% 10 = 0 THEN NULL ELSE (%(owners)s::bigint[])[1 + g %% %(owner_count)s] END,
        (ARRAY['new','working','contacted','replied','meeting','qualified','dormant'])[1 + g %% 7],
        '', false, false, false, false,
        now() - (g %% 129600) * interval '1 minute', now(),
        now() - (g %% 5000) * interval '1 minute',
        CASE WHEN g %% 100 IN (1, 2) THEN now() - (g %% 600) * interval '1 minute' END,
        CASE WHEN g %% 400 IN (3, 4) THEN now() + (g %% 7200) * interval '1 minute' END,
        %(ws)s
    FROM generate_series(1, %(leads)s) g
    """,
    """
    INSERT INTO scoring_leadscore (lead_id, fit, engagement, total, band, breakdown, computed_at,
        workspace_id)
    SELECT id, id %% 60, 0, id %% 100, (ARRAY['hot','warm','cold'])[1 + id %% 3], '[]', now(),
        workspace_id
    FROM leads_lead WHERE workspace_id = %(ws)s AND email LIKE '%%.bench'
    """,
    """
    INSERT INTO scoring_slaclock (lead_id, started_at, warn_at, due_at, workspace_id)
    SELECT id, now() - interval '2 minutes', now() + interval '2 minutes',
        now() + (id %% 9 - 4) * interval '1 minute', workspace_id
    FROM leads_lead WHERE workspace_id = %(ws)s AND email LIKE '%%.bench'
        AND owner_id IS NOT NULL
    ORDER BY id DESC LIMIT 300
    """,
    """
    INSERT INTO cadences_task (lead_id, assignee_id, kind, title, notes, due_at, status, outcome,
        created_at, workspace_id)
    SELECT id, owner_id, (ARRAY['call','manual','follow_up'])[1 + id %% 3], 'Call back', '',
        now() + (id %% 2880 - 1440) * interval '1 minute', 'open', '', now(), workspace_id
    FROM leads_lead WHERE workspace_id = %(ws)s AND email LIKE '%%.bench'
        AND owner_id IS NOT NULL AND id %% 18 IN (0, 9)
    LIMIT 5000
    """,
    # Timeline items spread over every bench lead.
    """
    INSERT INTO leads_activity (lead_id, kind, channel, direction, summary, payload, occurred_at,
        created_at, workspace_id)
    SELECT l0 + g %% %(leads)s,
        (ARRAY['note','sent','opened','status_changed','owner_changed','clicked'])[1 + g %% 6],
        (ARRAY['','email','email','','','email'])[1 + g %% 6],
        (ARRAY['','out','','','',''])[1 + g %% 6],
        'Bench activity ' || g, '{}', now() - (g %% 100000) * interval '1 minute', now(), %(ws)s
    FROM generate_series(1, %(activities)s) g,
        (SELECT min(id) AS l0 FROM leads_lead
         WHERE workspace_id = %(ws)s AND email LIKE '%%.bench') first_lead
    """,
]

# The busy lead: 200 messages (texts both ways, emails out) and 500 timeline items.
BUSY_LEAD_SQL = [
    """
    INSERT INTO lf_channels_message (lead_id, channel, direction, provider, status, to_address,
        from_address, subject, body_text, body_html, segments, token, provider_message_id,
        attempts, error, retryable, details, created_at, sent_at, workspace_id)
    SELECT %(lead)s, CASE WHEN g %% 4 = 0 THEN 'email' ELSE 'sms' END,
        CASE WHEN g %% 2 = 0 THEN 'out' ELSE 'in' END, 'outbox',
        CASE WHEN g %% 2 = 0 THEN 'delivered' ELSE 'received' END,
        '+16460000001', '+16465550100', CASE WHEN g %% 4 = 0 THEN 'Your quote' ELSE '' END,
        'Message number ' || g || ' about the quote and a time to talk this week.', '', 1,
        'bench' || g, '', 1, '', false, '{}', now() - g * interval '1 hour',
        now() - g * interval '1 hour', %(ws)s
    FROM generate_series(1, 200) g
    """,
    """
    INSERT INTO leads_activity (lead_id, kind, channel, direction, summary, payload, occurred_at,
        created_at, workspace_id)
    SELECT lead_id, CASE WHEN direction = 'in' THEN 'replied' ELSE 'sent' END, channel,
        direction, left(body_text, 100), jsonb_build_object('message_id', id), sent_at, now(),
        workspace_id
    FROM lf_channels_message WHERE lead_id = %(lead)s
    """,
    """
    INSERT INTO leads_activity (lead_id, kind, channel, direction, summary, payload, occurred_at,
        created_at, workspace_id)
    SELECT %(lead)s, (ARRAY['note','status_changed','opened'])[1 + g %% 3], '', '',
        'Busy lead item ' || g, '{}', now() - g * interval '37 minutes', now(), %(ws)s
    FROM generate_series(1, 300) g
    """,
]


def fill(database_url: str, leads: int, activities: int) -> int:
    """Fill the demo workspace; returns the busy lead's id."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        ws = conn.execute("SELECT id FROM leadfollow_workspace WHERE slug = 'demo'").fetchone()[0]
        owners = [
            row[0]
            for row in conn.execute(
                """
                SELECT m.id FROM leadfollow_membership m
                JOIN leadfollow_user u ON u.id = m.user_id
                WHERE m.workspace_id = %s AND u.email LIKE 'rep%%'
                """,
                (ws,),
            )
        ]
        source = conn.execute(
            "SELECT min(id) FROM leads_leadsource WHERE workspace_id = %s", (ws,)
        ).fetchone()[0]
        params = {
            "ws": ws,
            "owners": owners,
            "owner_count": len(owners),
            "source": source,
            "leads": leads,
            "activities": activities,
        }
        for statement in FILL_SQL:
            conn.execute(statement, params)
        busy = conn.execute(
            "SELECT min(id) FROM leads_lead WHERE workspace_id = %s AND owner_id = %s",
            (ws, owners[0]),
        ).fetchone()[0]
        for statement in BUSY_LEAD_SQL:
            conn.execute(statement, {"ws": ws, "lead": busy})
        # As autovacuum leaves a live table: statistics, and the trigram indexes' pending lists
        # (filled by the bulk load) merged, which the planner otherwise prices as long reads.
        conn.execute("VACUUM ANALYZE")
    return busy


def pages(busy_lead: int) -> list[tuple[str, str, str, float]]:
    """(name, who, path, p95 target in ms)."""
    return [
        ("inbox, mine", REP_EMAIL, "/inbox/", 150),
        ("inbox, team", MANAGER_EMAIL, "/inbox/?view=team", 150),
        ("lead page, 500 items", REP_EMAIL, f"/leads/{busy_lead}/", 150),
        ("search by company", REP_EMAIL, "/inbox/?q=Bench+Company+4242", 300),
        ("search by phone", REP_EMAIL, "/inbox/?q=6460004200", 300),
        ("leads list search", REP_EMAIL, "/leads/?q=lead4242%40", 300),
    ]


def time_in_process(targets, runs: int) -> dict[str, str]:
    """Through Django's test client; returns each user's session cookie for gunicorn."""
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from leadfollow.models import User

    clients, cookies = {}, {}
    for email in {who for _, who, _, _ in targets}:
        client = Client()
        client.force_login(User.objects.get(email=email))
        clients[email], cookies[email] = client, client.cookies["sessionid"].value
    say("Test client (in process):")
    for name, who, path, target in targets:
        client = clients[who]
        for _ in range(2):
            response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}")
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        # Counted now: the next request clears the connection's query log the slice reads.
        statements = len(queries)
        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(path)
            durations.append(time.perf_counter() - started)
        _report(name, durations, target, f"{statements} SQL statements")
    return cookies


def time_gunicorn(env, targets, cookies, runs: int, workers: int) -> None:
    server = start_gunicorn(env, port=8791, workers=workers)
    try:
        say(f"gunicorn ({workers} sync workers, one request at a time):")
        for name, who, path, target in targets:
            conn = http.client.HTTPConnection("127.0.0.1", 8791, timeout=30)
            headers = {"Cookie": f"sessionid={cookies[who]}"}
            durations = []
            # Warm every worker: a sync worker serves one request at a time, and which one takes
            # a request is up to the kernel, so two warm-up requests may reach only one of them.
            warmup = 2 * workers + 2
            for n in range(runs + warmup):
                started = time.perf_counter()
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SystemExit(f"gunicorn: {path} answered {response.status}")
                if n >= warmup:
                    durations.append(time.perf_counter() - started)
            _report(name, durations, target, "")
    finally:
        server.terminate()
        server.wait(timeout=30)


def _report(name: str, durations: list[float], target: float, extra: str) -> None:
    p50, p95 = percentile_ms(durations, 50), percentile_ms(durations, 95)
    verdict = "ok" if p95 < target else f"OVER the {target:.0f} ms target"
    say(f"  {name:<22} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   {verdict}   {extra}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one a core)")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadfollow")
    admin_url, database_url, name = database_urls(base, "inbox")
    create_database(admin_url, name)
    try:
        env = app_environment(database_url)
        os.environ.update(env)
        started = time.monotonic()
        manage(env, "migrate", "--no-input")
        manage(env, "collectstatic", "--no-input")  # DEBUG off serves the hashed files
        manage(env, "seed_demo")
        busy = fill(database_url, args.leads, args.activities)
        say(
            f"Filled {args.leads:,} leads and {args.activities:,} activities "
            f"in {time.monotonic() - started:.0f} s; the busy lead is #{busy}."
        )
        targets = pages(busy)
        cookies = time_in_process(targets, args.runs)
        time_gunicorn(env, targets, cookies, args.runs, args.workers)
    finally:
        if args.keep_db:
            say(f"Kept the database {name}.")
        else:
            drop_database(admin_url, name)


if __name__ == "__main__":
    main()
