"""Cadence dispatch benchmark: touches sent/s, lateness, a raw claim loop as the limit (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow .venv/bin/python bench/dispatch.py
    .venv/bin/python bench/dispatch.py --future 1000000 --due 50000 --steady-seconds 60

It never touches the database named in DATABASE_URL: it creates a throwaway
`<name>_bench_dispatch_<pid>` database next to it, migrates it and drops it at the end
(--keep-db keeps it). Celery uses Redis db 13 (--redis), flushed before and after.

Load: --workspaces workspaces (whole-day send window, outbox adapter, a two-step email cadence
each), then leads, enrollments and touches generated in SQL: --future touches due in days (they
are never sent, they only make the table and its indexes realistic) and --due touches due now.

Each of --repeat rounds runs 1 and 2 again on fresh touches; the summary gives best and spread.

1. Drain: a Celery worker with --worker-processes prefork processes consumes what the
   dispatcher (`dispatch_due` in a loop in this process, every --tick seconds) enqueues, until
   every due touch is sent. Prints touches sent/s and lateness (message sent_at − touch due_at).
2. Steady: --rate touches come due each second for --steady-seconds; lateness p50/p99.
3. The limit: --raw-connections psycopg connections claim with a bare
   `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT 500)` loop; claims/s.
4. Profile: the SQL statements one `send_touch` runs, and one worker chunk of CHUNK touches
   across workspaces (`send_touches`), by table: the chunk's count does not grow with its size.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.support import app_environment, database_urls, say  # noqa: E402 - root on the path


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
ORDER BY g  -- ids interleave the workspaces, as due touches of many customers do
"""

ENROLL_SQL = """
INSERT INTO cadences_enrollment (status, exit_reason, enrolled_at, cadence_id, lead_id,
    workspace_id, current_step_id)
SELECT 'active', '', now(), w.cadence_id, l.id, l.workspace_id, w.step_id
FROM leads_lead l JOIN bench_ws w ON w.workspace_id = l.workspace_id
WHERE l.email LIKE '%%@' || %(tag)s || '.example'
ORDER BY l.id
"""

TOUCH_SQL = """
INSERT INTO cadences_touch (sequence, channel, due_at, status, attempts, rendered_subject,
    rendered_body, outcome, error, enrollment_id, step_id, workspace_id)
SELECT 1, 'email', {due}, 'pending', 0, '', '', '', '', e.id, e.current_step_id, e.workspace_id
FROM cadences_enrollment e JOIN leads_lead l ON l.id = e.lead_id
WHERE l.email LIKE '%%@' || %(tag)s || '.example'
ORDER BY e.id
"""


def load(conn, spaces, tag: str, count: int, start: int, due_sql: str) -> tuple[int, int]:
    """`count` leads with one active enrollment and one pending touch each, due at `due_sql`
    (an SQL expression over {n}, the lead's id, and now()). Returns the touches' id range: the
    progress checks read it by primary key, not by a scan that would compete with the workers."""
    params = {"tag": tag, "start": start, "stop": start + count, "spaces": len(spaces)}
    with conn.transaction():
        conn.execute(LEADS_SQL, params)
        conn.execute(ENROLL_SQL, params)
        conn.execute(TOUCH_SQL.format(due=due_sql.format(n="l.id")), params)
        low, high = conn.execute(
            """SELECT min(t.id), max(t.id) FROM cadences_touch t
               JOIN cadences_enrollment e ON e.id = t.enrollment_id
               JOIN leads_lead l ON l.id = e.lead_id
               WHERE l.email LIKE '%%@' || %(tag)s || '.example'""",
            params,
        ).fetchone()
    conn.execute("ANALYZE leads_lead")
    conn.execute("ANALYZE cadences_enrollment")
    conn.execute("ANALYZE cadences_touch")
    return low, high


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


def _lateness(conn, touches: tuple[int, int]) -> tuple[int, list[float]]:
    rows = conn.execute(
        """
        SELECT extract(epoch FROM m.sent_at - t.due_at)
        FROM cadences_touch t JOIN lf_channels_message m ON m.id = t.message_id
        WHERE t.status = 'sent' AND t.id BETWEEN %s AND %s
        """,
        touches,
    ).fetchall()
    return len(rows), [float(r[0]) for r in rows]


def _sent(conn, touches: tuple[int, int]) -> int:
    return conn.execute(
        """
        SELECT count(*) FROM cadences_touch t
        WHERE t.status IN ('sent', 'failed', 'skipped', 'flagged', 'cancelled')
          AND t.id BETWEEN %s AND %s
        """,
        touches,
    ).fetchone()[0]


def _pct(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def _dispatch_until(conn, touches, expected: int, tick: float, timeout: float, watch=None) -> float:
    """Run the dispatcher tick every `tick` seconds until `expected` of `touches` are done.
    `watch(elapsed, done)` is called each --every seconds (the timeline)."""
    from django.db import connection

    from cadences.services.dispatch import dispatch_due, recover

    started = time.monotonic()
    deadline = started + timeout
    next_check = next_recovery = started
    while time.monotonic() < deadline:
        begun = time.monotonic()
        dispatch_due()
        if begun >= next_recovery:  # as beat does: chunks a flushed broker lost are sent again
            next_recovery = begun + 30
            if sum(recover()):
                say("  recovery re-enqueued lost or stuck touches (was the broker flushed?)")
        connection.close()  # like a beat tick: no transaction left open between ticks
        if begun >= next_check:
            next_check = begun + 0.5
            done = _sent(conn, touches)
            if watch is not None:
                watch(begun - started, done)
            if done >= expected:
                return time.monotonic() - started
        time.sleep(max(0.0, tick - (time.monotonic() - begun)))
    say(f"  timed out after {timeout:g} s")
    return time.monotonic() - started


class Timeline:
    """Every `every` seconds: touches done, claimed and waiting (`queued`), chunks in the broker,
    and how many cores the workers and this dispatcher used since the last line."""

    def __init__(self, conn, touches, worker, broker, every: float) -> None:
        self.conn, self.touches, self.worker, self.broker = conn, touches, worker, broker
        self.every, self.next = every, every
        self.last = (0.0, _cpu_seconds(worker), time.process_time())
        self.dispatcher_cpu = 0.0
        say("       t   done  queued  broker  workers  dispatcher (cores)")

    def __call__(self, elapsed: float, done: int) -> None:
        if elapsed < self.next:
            return
        self.next = elapsed + self.every
        queued = self.conn.execute(
            "SELECT count(*) FROM cadences_touch WHERE status = 'queued' AND id BETWEEN %s AND %s",
            self.touches,
        ).fetchone()[0]
        chunks = self.broker.llen("celery")
        at, worker_cpu, own_cpu = elapsed, _cpu_seconds(self.worker), time.process_time()
        span = max(at - self.last[0], 1e-6)
        workers, dispatcher = worker_cpu - self.last[1], own_cpu - self.last[2]
        self.dispatcher_cpu += dispatcher
        say(
            f"  {at:6.1f} {done:6d}  {queued:6d}  {chunks:6d}"
            f"  {workers / span:7.2f}  {dispatcher / span:10.2f}"
        )
        self.last = (at, worker_cpu, own_cpu)


def _cpu_seconds(worker: subprocess.Popen) -> float:
    """User and system CPU time of the Celery worker and its pool processes (Linux /proc)."""
    pids = [worker.pid]
    children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
    if children.exists():
        pids += [int(pid) for pid in children.read_text().split()]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _load_average() -> str:
    """The machine may be shared: wall-clock figures are read against its load."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (5 min {five:.2f}) on {os.cpu_count()} CPUs"


def bench_drain(args, conn, spaces, tag: str, worker: subprocess.Popen, broker) -> float:
    """Returns touches sent a second."""
    say(f"Drain: {args.due} due touches, dispatcher tick {args.tick:g} s; {_load_average()}")
    touches = load(conn, spaces, tag, args.due, args.future, "now()")
    conn.execute("UPDATE cadences_touch SET due_at = now() WHERE id BETWEEN %s AND %s", touches)
    cpu = _cpu_seconds(worker)
    timeline = Timeline(conn, touches, worker, broker, args.every) if args.every else None
    elapsed = _dispatch_until(conn, touches, args.due, args.tick, args.timeout, timeline)
    cpu = _cpu_seconds(worker) - cpu
    count, late = _lateness(conn, touches)
    say(
        f"  sent:      {count} in {elapsed:.1f} s = {count / elapsed:8.1f} touches/s (target ≥ 500)"
    )
    say(f"  lateness:  p50 {_pct(late, 50):.2f} s   p99 {_pct(late, 99):.2f} s")
    # The machine may be shared: the workers' CPU a touch does not depend on the neighbours.
    say(f"  workers:   {cpu:.1f} s CPU = {cpu * 1000 / max(count, 1):.2f} ms CPU a touch")
    if timeline is not None:
        mine = timeline.dispatcher_cpu
        say(f"  dispatcher: {mine:.1f} s CPU = {mine * 1000 / max(count, 1):.2f} ms CPU a touch")
    return count / elapsed


def bench_steady(args, conn, spaces, tag: str) -> float:
    """Returns the lateness p99 in seconds."""
    total = int(args.rate * args.steady_seconds)
    say(
        f"Steady: {args.rate:g} touches/s coming due for {args.steady_seconds:g} s ({total}); "
        f"{_load_average()}"
    )
    lead_in = 5.0
    step = 1.0 / args.rate
    touches = load(
        conn,
        spaces,
        tag,
        total,
        args.future + args.due,
        "now() + interval '1 day'",  # spread just below
    )
    # Number the steady touches 0…total-1 in id order so they come due evenly from lead_in on.
    conn.execute(
        f"""
        WITH ranked AS (
            SELECT t.id, row_number() OVER (ORDER BY t.id) - 1 AS k
            FROM cadences_touch t WHERE t.id BETWEEN %s AND %s)
        UPDATE cadences_touch t SET due_at = now() + make_interval(secs => {lead_in} + k * {step})
        FROM ranked WHERE ranked.id = t.id
        """,
        touches,
    )
    elapsed = _dispatch_until(
        conn, touches, total, args.tick, args.steady_seconds + lead_in + args.timeout
    )
    count, late = _lateness(conn, touches)
    verdict = "met" if late and _pct(late, 99) < 2 else "NOT met"
    say(f"  sent:      {count} in {elapsed:.1f} s")
    say(
        f"  lateness:  p50 {_pct(late, 50):.2f} s   p99 {_pct(late, 99):.2f} s"
        f"   (target p99 < 2 s: {verdict})"
    )
    return _pct(late, 99)


def _summary(label: str, values: list[float], best) -> None:
    """The machine is shared: several rounds, their best and their spread."""
    if values:
        shown = ", ".join(f"{value:.2f}" for value in values)
        spread = f"{min(values):.2f}–{max(values):.2f}"
        say(f"{label}: best {best(values):.2f}, spread {spread} ({shown})")


CLAIM_SQL = """
UPDATE cadences_touch SET status = 'queued', queued_at = now()
WHERE id IN (
    SELECT id FROM cadences_touch
    WHERE status = 'pending' AND due_at <= now() + interval '365 days'
    ORDER BY due_at LIMIT 500 FOR UPDATE SKIP LOCKED)
"""


def bench_raw(args, database_url: str) -> None:
    say(
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
    say(f"  claimed:   {sum(counts)} in {elapsed:.1f} s = {sum(counts) / elapsed:8.0f} claims/s")


def profile_sends(conn, spaces) -> None:
    """The SQL statements one send_touch runs (the first touch of a fresh lead), and one worker
    chunk of CHUNK touches across workspaces, by table."""
    from cadences.services.dispatch import CHUNK, send_touch, send_touches
    from leadfollow.models import Workspace
    from leadfollow.tenancy import workspace_scope

    # The first send of a process loads templates, URLs and adapters, and a workspace's first
    # timeline entry creates its scoring settings, which the next one reads again: two touches
    # a workspace first, as in a live system.
    low, high = load(conn, spaces, "warm", 2 * len(spaces), 10**9 - 10 * len(spaces), "now()")
    warm_up = list(range(low, high + 1))
    send_touches(warm_up[: len(spaces)])
    send_touches(warm_up[len(spaces) :])
    low, high = load(conn, spaces, "chunk", CHUNK, 10**9 + 10, "now()")
    ids = list(range(low, high + 1))
    _profile(f"one chunk of {len(ids)} touches", len(ids), lambda: send_touches(ids))
    touch_id, _ = load(conn, spaces[:1], "profile", 1, 10**9, "now()")
    workspace = Workspace.objects.get(pk=spaces[0][0])
    with workspace_scope(workspace):
        _profile("one send_touch", 1, lambda: send_touch(workspace=workspace, touch_id=touch_id))


def _profile(label: str, touches: int, send) -> None:
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        send()
    elapsed = (time.perf_counter() - started) * 1000
    per_touch = len(queries) / touches
    say(
        f"Profile: {label}: {len(queries)} SQL statements ({per_touch:.2f} a touch), "
        f"{elapsed:.0f} ms ({elapsed / touches:.2f} ms a touch)"
    )
    kinds: Counter = Counter()
    for query in queries.captured_queries:
        sql = query["sql"]
        verb = sql.split(None, 1)[0].upper()
        if verb == "WITH":  # a bulk update: WITH v AS (…) UPDATE table … FROM v
            verb = "UPDATE"
        where = "UPDATE" if verb == "UPDATE" else "(?:INTO|FROM)"  # not a bulk update's FROM
        table = re.search(where + r'\s+"?(\w+)"?', sql)
        kinds[f"{verb} {table.group(1) if table else ''}".strip()] += 1
    for kind, n in kinds.most_common():
        say(f"  {n:3d}  {kind}")


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
    parser.add_argument(
        "--every", type=float, default=5.0, help="drain timeline line every N s (0: none)"
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--repeat", type=int, default=1, help="drain and steady rounds")
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadfollow")
    admin_url, database_url, name = database_urls(base, "dispatch")
    env = app_environment(database_url, REDIS_URL=args.redis)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    say(f"Throwaway database: {name}; Redis {args.redis}")
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
            say(f"Loaded {args.future} future touches in {time.monotonic() - started:.1f} s")
            profile_sends(conn, spaces)
            say(f"Workers: Celery, {args.worker_processes} prefork processes, broker Redis")
            worker = _start_worker(env, args.worker_processes)
            rates, p99s = [], []
            for round_ in range(1, args.repeat + 1):
                say(f"Round {round_} of {args.repeat}")
                rates.append(bench_drain(args, conn, spaces, f"due{round_}", worker, broker))
                if args.steady_seconds > 0:
                    p99s.append(bench_steady(args, conn, spaces, f"steady{round_}"))
            _summary("drain touches/s", rates, best=max)
            _summary("steady lateness p99 s", p99s, best=min)
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
