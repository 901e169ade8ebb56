"""Cadence dispatch benchmark: touches sent/s, lateness, a raw claim loop as the limit (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow .venv/bin/python bench/dispatch.py
    .venv/bin/python bench/dispatch.py --future 1000000 --due 50000 --steady-seconds 60

It never touches the database named in DATABASE_URL: it creates a throwaway
`<name>_bench_dispatch_<pid>` database next to it, migrates it and drops it at the end
(--keep-db keeps it). Celery uses Redis db 13 (--redis), flushed before and after.

Load: --workspaces workspaces (whole-day send window, outbox adapter, a two-step email cadence
each), then leads, enrollments and touches generated in SQL: --future touches due in days (they
are never sent, they only make the table and its indexes realistic) and --due touches due now.

1. Drain: a Celery worker with --worker-processes prefork processes consumes what the
   dispatcher (`dispatch_due` in a loop in this process, every --tick seconds) enqueues, until
   every due touch is sent. Prints touches sent/s and lateness (message sent_at − touch due_at).
2. Steady: --rate touches come due each second for --steady-seconds; lateness p50/p99.
3. The limit: --raw-connections psycopg connections claim with a bare
   `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 500)` loop; claims/s.
4. Profile: the SQL statements one `send_touch` runs, by table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def _database_urls(base: str) -> tuple[str, str, str]:
    """(admin URL, throwaway URL, throwaway name) from the DATABASE_URL we must not touch."""
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/dispatch.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = f"{parts.path.lstrip('/') or 'leadfollow'}_bench_dispatch_{os.getpid()}"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    return admin, urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Production-like: DEBUG off, tasks through Redis, quiet logs."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "leadfollow.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 40,
            "CHANNEL_SECRETS_KEY": "bench-only-not-a-secret",
            "LOG_LEVEL": "ERROR",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def _seed_workspaces(count: int) -> list[tuple[int, int, int]]:
    """(workspace, cadence, first step) per workspace, through the ORM."""
    from datetime import time as clock

    from cadences.models import Cadence, Step
    from channels.models import ChannelSettings
    from leadfollow.models import Workspace
    from leadfollow.tenancy import workspace_scope

    made = []
    for n in range(count):
        workspace = Workspace.objects.create(name=f"Bench {n}", slug=f"bench-{n}")
        with workspace_scope(workspace):
            ChannelSettings.objects.create(
                workspace=workspace,
                quiet_hours_start=clock(0, 0),
                quiet_hours_end=clock.max,  # every touch may go out whenever it is due
            )
            cadence = Cadence.objects.create(workspace=workspace, name="Bench follow-up")
            first = Step.objects.create(
                workspace=workspace,
                cadence=cadence,
                position=0,
                kind="email",
                delay=0,
                subject='Hello {{ lead.first_name | "there" }}',
                body='Hi {{ lead.first_name | "there" }}, thanks for asking about '
                "{{ workspace.name }}.",
            )
            Step.objects.create(
                workspace=workspace,
                cadence=cadence,
                position=1,
                kind="email",
                delay=3,
                delay_unit="days",
                subject="Still interested?",
                body='Hi {{ lead.first_name | "there" }}, just checking in.',
            )
        made.append((workspace.pk, cadence.pk, first.pk))
    return made


LOAD_SQL = """
CREATE TEMP TABLE bench_ws (n int, workspace_id bigint, cadence_id bigint, step_id bigint);
"""

LEADS_SQL = """
INSERT INTO leads_lead (first_name, last_name, email, phone_region, title, custom_fields, status,
    time_zone, do_not_email, do_not_sms, do_not_call, do_not_voicemail, created_at, updated_at,
    workspace_id)
SELECT 'First' || g, 'Last' || g, 'p' || g || '@' || %(tag)s || '.example', 'US', '', '{}', 'new',
    'UTC', false, false, false, false, now(), now(), w.workspace_id
FROM generate_series(%(start)s, %(stop)s - 1) g JOIN bench_ws w ON w.n = g %% %(spaces)s
"""

ENROLL_SQL = """
INSERT INTO cadences_enrollment (status, exit_reason, enrolled_at, cadence_id, lead_id,
    workspace_id, current_step_id)
SELECT 'active', '', now(), w.cadence_id, l.id, l.workspace_id, w.step_id
FROM leads_lead l JOIN bench_ws w ON w.workspace_id = l.workspace_id
WHERE l.email LIKE '%%@' || %(tag)s || '.example'
"""

TOUCH_SQL = """
INSERT INTO cadences_touch (sequence, channel, due_at, status, attempts, rendered_subject,
    rendered_body, outcome, error, enrollment_id, step_id, workspace_id)
SELECT 1, 'email', {due}, 'pending', 0, '', '', '', '', e.id, e.current_step_id, e.workspace_id
FROM cadences_enrollment e JOIN leads_lead l ON l.id = e.lead_id
WHERE l.email LIKE '%%@' || %(tag)s || '.example'
"""


def load(conn, spaces, tag: str, count: int, start: int, due_sql: str) -> None:
    """`count` leads with one active enrollment and one pending touch each, due at `due_sql`
    (an SQL expression over {n}, the lead's id, and now())."""
    params = {"tag": tag, "start": start, "stop": start + count, "spaces": len(spaces)}
    with conn.transaction():
        conn.execute(LEADS_SQL, params)
        conn.execute(ENROLL_SQL, params)
        conn.execute(TOUCH_SQL.format(due=due_sql.format(n="l.id")), params)
    conn.execute("ANALYZE leads_lead")
    conn.execute("ANALYZE cadences_enrollment")
    conn.execute("ANALYZE cadences_touch")


def _start_worker(env: dict[str, str], processes: int) -> subprocess.Popen:
    worker = subprocess.Popen(
        [
            str(VENV_BIN / "celery"),
            "-A",
            "leadfollow.celery:app",
            "worker",
            "--pool=prefork",
            f"--concurrency={processes}",
            "--loglevel=warning",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
    )
    from leadfollow.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return worker
    worker.terminate()
    raise SystemExit("the Celery worker did not answer a ping within 60 s")


def _lateness(conn, tag: str) -> tuple[int, list[float]]:
    rows = conn.execute(
        """
        SELECT extract(epoch FROM m.sent_at - t.due_at)
        FROM cadences_touch t
        JOIN lf_channels_message m ON m.id = t.message_id
        JOIN cadences_enrollment e ON e.id = t.enrollment_id
        JOIN leads_lead l ON l.id = e.lead_id
        WHERE t.status = 'sent' AND l.email LIKE '%%@' || %s || '.example'
        """,
        (tag,),
    ).fetchall()
    return len(rows), [float(r[0]) for r in rows]


def _sent(conn, tag: str) -> int:
    return conn.execute(
        """
        SELECT count(*) FROM cadences_touch t
        JOIN cadences_enrollment e ON e.id = t.enrollment_id
        JOIN leads_lead l ON l.id = e.lead_id
        WHERE t.status IN ('sent', 'failed', 'skipped', 'flagged', 'cancelled')
          AND t.sequence = 1 AND l.email LIKE '%%@' || %s || '.example'
        """,
        (tag,),
    ).fetchone()[0]


def _pct(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _dispatch_until(conn, tag: str, expected: int, tick: float, timeout: float) -> float:
    """Run the dispatcher tick every `tick` seconds until `expected` touches of `tag` are done."""
    from django.db import connection

    from cadences.services.dispatch import dispatch_due

    started = time.monotonic()
    deadline = started + timeout
    next_check = started
    while time.monotonic() < deadline:
        begun = time.monotonic()
        dispatch_due()
        connection.close()  # like a beat tick: no transaction left open between ticks
        if begun >= next_check:
            next_check = begun + 0.5
            if _sent(conn, tag) >= expected:
                return time.monotonic() - started
        time.sleep(max(0.0, tick - (time.monotonic() - begun)))
    _say(f"  timed out after {timeout:g} s")
    return time.monotonic() - started


def bench_drain(args, conn, spaces) -> None:
    _say(f"Drain: {args.due} due touches, dispatcher tick {args.tick:g} s")
    load(conn, spaces, "due", args.due, args.future, "now()")
    conn.execute(
        """UPDATE cadences_touch SET due_at = now() WHERE status = 'pending'
           AND due_at < now() + interval '1 hour'"""
    )
    elapsed = _dispatch_until(conn, "due", args.due, args.tick, args.timeout)
    count, late = _lateness(conn, "due")
    _say(
        f"  sent:      {count} in {elapsed:.1f} s = {count / elapsed:8.1f} touches/s (target ≥ 500)"
    )
    _say(f"  lateness:  p50 {_pct(late, 50):.2f} s   p99 {_pct(late, 99):.2f} s")


def bench_steady(args, conn, spaces) -> None:
    total = int(args.rate * args.steady_seconds)
    _say(f"Steady: {args.rate:g} touches/s coming due for {args.steady_seconds:g} s ({total})")
    lead_in = 5.0
    step = 1.0 / args.rate
    load(
        conn,
        spaces,
        "steady",
        total,
        args.future + args.due,
        "now() + interval '1 day'",  # spread just below
    )
    # Number the steady touches 0…total-1 in id order so they come due evenly from lead_in on.
    conn.execute(
        f"""
        WITH ranked AS (
            SELECT t.id, row_number() OVER (ORDER BY t.id) - 1 AS k
            FROM cadences_touch t JOIN cadences_enrollment e ON e.id = t.enrollment_id
            JOIN leads_lead l ON l.id = e.lead_id WHERE l.email LIKE '%@steady.example')
        UPDATE cadences_touch t SET due_at = now() + make_interval(secs => {lead_in} + k * {step})
        FROM ranked WHERE ranked.id = t.id
        """
    )
    elapsed = _dispatch_until(
        conn, "steady", total, args.tick, args.steady_seconds + lead_in + args.timeout
    )
    count, late = _lateness(conn, "steady")
    verdict = "met" if late and _pct(late, 99) < 2 else "NOT met"
    _say(f"  sent:      {count} in {elapsed:.1f} s")
    _say(
        f"  lateness:  p50 {_pct(late, 50):.2f} s   p99 {_pct(late, 99):.2f} s"
        f"   (target p99 < 2 s: {verdict})"
    )


CLAIM_SQL = """
UPDATE cadences_touch SET status = 'queued', queued_at = now()
WHERE id IN (
    SELECT id FROM cadences_touch
    WHERE status = 'pending' AND due_at <= now() + interval '365 days'
    ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED)
"""


def bench_raw(args, database_url: str) -> None:
    _say(
        f"Raw claim loop: {args.raw_connections} connections, 500 per claim, {args.raw_seconds:g} s"
    )
    counts: list[int] = []

    def claim(until: float) -> None:
        done = 0
        with psycopg.connect(database_url, autocommit=True) as conn:
            while time.monotonic() < until:
                claimed = conn.execute(CLAIM_SQL).rowcount
                if not claimed:
                    break
                done += claimed
        counts.append(done)

    until = time.monotonic() + args.raw_seconds
    pool = [threading.Thread(target=claim, args=(until,)) for _ in range(args.raw_connections)]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.monotonic() - started
    _say(f"  claimed:   {sum(counts)} in {elapsed:.1f} s = {sum(counts) / elapsed:8.0f} claims/s")


def profile_send_touch(conn, spaces) -> None:
    """The SQL statements one send_touch runs (the first touch of a fresh lead), by table."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cadences.services.dispatch import send_touch
    from leadfollow.models import Workspace
    from leadfollow.tenancy import workspace_scope

    load(conn, spaces[:1], "profile", 1, 10**9, "now()")
    touch_id = conn.execute(
        """SELECT t.id FROM cadences_touch t JOIN cadences_enrollment e ON e.id = t.enrollment_id
           JOIN leads_lead l ON l.id = e.lead_id WHERE l.email LIKE '%@profile.example'"""
    ).fetchone()[0]
    workspace = Workspace.objects.get(pk=spaces[0][0])
    with workspace_scope(workspace), CaptureQueriesContext(connection) as queries:
        outcome = send_touch(workspace=workspace, touch_id=touch_id)
    _say(f"Profile: one send_touch ({outcome}): {len(queries)} SQL statements")
    kinds: Counter = Counter()
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql)
        kinds[f"{verb} {table.group(1) if table else ''}".strip()] += 1
    for kind, n in kinds.most_common():
        _say(f"  {n:3d}  {kind}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--future", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=50_000)
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--worker-processes", type=int, default=2)
    parser.add_argument("--tick", type=float, default=0.25, help="dispatcher tick, seconds")
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--steady-seconds", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--raw-connections", type=int, default=2)
    parser.add_argument("--raw-seconds", type=float, default=10.0)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadfollow")
    admin_url, database_url, name = _database_urls(base)
    env = _environment(database_url, args.redis)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    _say(f"Throwaway database: {name}; Redis {args.redis}")
    os.environ.update(env)
    import redis

    broker = redis.Redis.from_url(args.redis)
    broker.flushdb()
    worker = None
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        django.setup()
        spaces = _seed_workspaces(args.workspaces)
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(LOAD_SQL)
            with conn.cursor().copy("COPY bench_ws FROM STDIN") as copy:
                for n, row in enumerate(spaces):
                    copy.write_row((n, *row))
            started = time.monotonic()
            load(
                conn,
                spaces,
                "future",
                args.future,
                0,
                "now() + interval '2 days' + {n} * interval '1 second'",
            )
            _say(f"Loaded {args.future} future touches in {time.monotonic() - started:.1f} s")
            profile_send_touch(conn, spaces)
            _say(f"Workers: Celery, {args.worker_processes} prefork processes, broker Redis")
            worker = _start_worker(env, args.worker_processes)
            bench_drain(args, conn, spaces)
            if args.steady_seconds > 0:
                bench_steady(args, conn, spaces)
            worker.terminate()
            worker.wait(timeout=60)
            worker = None
            bench_raw(args, database_url)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        broker.flushdb()
        if not args.keep_db:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
