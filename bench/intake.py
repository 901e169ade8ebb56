"""Intake API benchmark: sustained leads/s and latency under gunicorn, against a raw loop (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --seconds 20 --workers 2 --clients 4 --raw-connections 4

It never touches the database named in DATABASE_URL, nor a Redis database that holds keys
(--redis-url, an empty database number of its own; emptied at the end). It creates a throwaway
`<name>_bench_intake_<pid>` database next to it, migrates it, seeds the demo workspace (its
scoring rules, routing teams and SLA policy make every POST do the real intake work), creates an
API key, and drops the database at the end (--keep-db keeps it).

1. The API: gunicorn (the production server, sync workers) serves the app the production way:
   DEBUG off, persistent database connections, and Redis as cache and Celery broker, so the
   first touch of an auto-enroll cadence is queued for a worker after commit instead of being
   sent inside the request. No worker consumes the queue during the run: the figure is intake
   alone. A bounded local load generator (--clients threads, each with one connection, one
   request at a time) posts unique leads for --seconds after a short warm-up, and prints
   sustained leads/s, p50/p95/p99 latency and the error count (any answer but 201).
2. The floor: --raw-connections psycopg connections insert a lead, an activity, an enrollment
   and a touch in one transaction per lead, into plain tables of a scratch schema, for the same
   time. It prints leads/s and the API's share of it (the target is at least 15 %).
3. With --rules, the same for two more workspaces: one without rules, and one with 50 scoring,
   20 routing and 5 SLA rules (target: at least 80 % of the rule-free throughput).
4. With --key-check, the same clients checking their key (GET /api/v1/workspace/: the key, the
   throttle and a small JSON answer, no query once the key is cached): what gunicorn, Django and
   DRF cost a request before an intake does any work, as a share of the raw loop too.

The machine may be shared: all series run on one server and take turns in --rounds slices, so a
busy moment is spread over all of them, and the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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

AREA_CODES = (212, 415, 312, 617, 646, 702, 305, 206)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, seconds: float, ok: int = 201) -> None:
        with self.lock:
            if status is not None:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == ok:
                self.latencies.append(seconds)
            else:
                self.errors += 1


def _check_redis_is_free(redis_url: str) -> None:
    """The run empties its Redis database at the end: refuse one that already holds keys."""
    if redis.Redis.from_url(redis_url).dbsize():
        raise SystemExit(f"{redis_url} holds keys: pass --redis-url with an empty database number")


def _empty_redis(redis_url: str) -> int:
    """Drop what the run left (queued touch sends, throttle counters); returns the queued tasks."""
    client = redis.Redis.from_url(redis_url)
    queued = client.llen("celery")
    client.flushdb()
    return queued


def _lead_body(n: int) -> bytes:
    rest = n // len(AREA_CODES)
    phone = f"+1{AREA_CODES[n % len(AREA_CODES)]}{234 + (rest // 10000) % 600}{rest % 10000:04d}"
    return json.dumps(
        {
            "first_name": f"First{n}",
            "last_name": f"Last{n}",
            "email": f"person{n}@company{n % 700}.example",
            "phone": phone,
            "company": f"Company {n % 700}",
            "source": "Benchmark",
            "custom_fields": {"budget": "10-20k", "n": n},
        }
    ).encode()


def _post_leads(port: int, key: str, until: float, numbers, tally: Tally | None) -> None:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < until:
        body = _lead_body(next(numbers))
        started = time.perf_counter()
        status, _ = _request(conn, "POST", "/api/v1/leads/", body, headers)
        if tally is not None:
            tally.record(status, time.perf_counter() - started)
    conn.close()


def _check_key(port: int, key: str, until: float, path: str, tally: Tally | None) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < until:
        started = time.perf_counter()
        status, _ = _request(conn, "GET", path, None, headers)
        if tally is not None:
            tally.record(status, time.perf_counter() - started, ok=200)
    conn.close()


def _request(conn, method: str, path: str, body, headers) -> tuple[int | None, bytes]:
    """(status, body), or (None, b"") when the connection failed (it reconnects next time)."""
    try:
        conn.request(method, path, body, headers)
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        return None, b""


KEY_CHECK_PATH = "/api/v1/workspace/"


def _run_clients(
    port: int, key: str, clients: int, seconds: float, numbers, tally, key_check: bool = False
) -> float:
    """`clients` threads posting new leads (or checking the key) for `seconds`."""
    until = time.monotonic() + seconds
    target, what = (_check_key, KEY_CHECK_PATH) if key_check else (_post_leads, numbers)
    pool = [
        threading.Thread(target=target, args=(port, key, until, what, tally))
        for _ in range(clients)
    ]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.monotonic() - started


RULE_SETUP = """
from leadfollow.models import Membership, Role, User, Workspace
from leadfollow.tenancy import workspace_scope
from scoring.models import RoutingRule, ScoringRule, SlaPolicy, Team, TeamMember

workspace, _ = Workspace.objects.get_or_create(slug="{slug}", defaults={{"name": "{slug}"}})
with workspace_scope(workspace):
    reps = []
    for n in range(4):
        user, _ = User.objects.get_or_create(email=f"rep{{n}}@{slug}.bench")
        reps.append(Membership.objects.get_or_create(
            workspace=workspace, user=user, defaults={{"role": Role.REP}})[0])
    if {heavy}:
        words = "owner ceo cfo director manager founder president head vp lead".split()
        for n in range(50):
            ScoringRule.objects.create(workspace=workspace, name=f"Rule {{n}}", points=n % 7 - 2,
                conditions={{"any": [
                    {{"field": "title", "op": "matches_any_word", "value": words[n % 10]}},
                    {{"field": "custom.budget", "op": "equals", "value": f"{{n}}-{{n + 10}}k"}}]}})
        team = Team.objects.create(workspace=workspace, name="Everyone")
        for position, rep in enumerate(reps):
            TeamMember.objects.create(workspace=workspace, team=team, membership=rep,
                                      position=position)
        for n in range(19):
            domain = f"nowhere{{n}}.example"
            RoutingRule.objects.create(workspace=workspace, name=f"Route {{n}}", member=reps[n % 4],
                conditions={{"field": "email_domain", "op": "equals", "value": domain}},
                position=n)
        RoutingRule.objects.create(workspace=workspace, name="Catch all", team=team,
                                   conditions={{"all": []}}, position=19)
        for n in range(5):
            SlaPolicy.objects.create(workspace=workspace, name=f"SLA {{n}}", minutes=5 + n,
                conditions={{"field": "score", "op": "gt", "value": 100 - n * 25}}, position=n)
"""


def _prepare(env: dict[str, str], slugs: list[str]) -> dict[str, str]:
    """Migrate, seed the demo workspace (and the rule workspaces asked for); a key for each."""
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    keys = {}
    for slug in slugs:
        if slug != "demo":
            manage(env, "shell", "-c", RULE_SETUP.format(slug=slug, heavy=slug == "rules50"))
        keys[slug] = manage(env, "create_api_key", slug, "Benchmark").strip()
    return keys


RAW_TABLES = """
CREATE SCHEMA bench_raw;
CREATE TABLE bench_raw.lead (
    id bigserial PRIMARY KEY, workspace_id bigint NOT NULL, first_name text, last_name text,
    email text, phone text, custom_fields jsonb NOT NULL, status text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, email), UNIQUE (workspace_id, phone));
CREATE TABLE bench_raw.activity (
    id bigserial PRIMARY KEY, workspace_id bigint NOT NULL,
    lead_id bigint NOT NULL REFERENCES bench_raw.lead, kind text NOT NULL, summary text,
    payload jsonb NOT NULL, occurred_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX ON bench_raw.activity (lead_id, occurred_at);
CREATE TABLE bench_raw.enrollment (
    id bigserial PRIMARY KEY, workspace_id bigint NOT NULL,
    lead_id bigint NOT NULL REFERENCES bench_raw.lead, cadence_id bigint NOT NULL,
    status text NOT NULL, started_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE bench_raw.touch (
    id bigserial PRIMARY KEY, workspace_id bigint NOT NULL,
    enrollment_id bigint NOT NULL REFERENCES bench_raw.enrollment, step integer NOT NULL,
    channel text NOT NULL, status text NOT NULL, due_at timestamptz NOT NULL);
CREATE INDEX ON bench_raw.touch (status, due_at);
"""


def _raw_worker(database_url: str, until: float, numbers, counts: list[int]) -> None:
    done = 0
    with psycopg.connect(database_url) as conn:
        while time.monotonic() < until:
            n = next(numbers)
            with conn.transaction():
                lead_id = conn.execute(
                    "INSERT INTO bench_raw.lead (workspace_id, first_name, last_name, email, "
                    "phone, custom_fields, status) VALUES (1, %s, %s, %s, %s, %s, 'new') "
                    "RETURNING id",
                    (f"First{n}", f"Last{n}", f"person{n}@x.example", f"+1{n:010d}", '{"n": 1}'),
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO bench_raw.activity (workspace_id, lead_id, kind, summary, "
                    "payload) VALUES (1, %s, 'created', 'Lead created', '{}')",
                    (lead_id,),
                )
                enrollment_id = conn.execute(
                    "INSERT INTO bench_raw.enrollment (workspace_id, lead_id, cadence_id, status) "
                    "VALUES (1, %s, 1, 'active') RETURNING id",
                    (lead_id,),
                ).fetchone()[0]
                conn.execute(
                    "INSERT INTO bench_raw.touch (workspace_id, enrollment_id, step, channel, "
                    "status, due_at) VALUES (1, %s, 1, 'email', 'pending', now())",
                    (enrollment_id,),
                )
            done += 1
    counts.append(done)


def _create_raw_tables(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")
        conn.execute(RAW_TABLES)


def _run_raw(database_url: str, connections: int, seconds: float, numbers) -> tuple[int, float]:
    """(leads written, seconds taken) by `connections` raw loops running for `seconds`."""
    counts: list[int] = []
    until = time.monotonic() + seconds
    pool = [
        threading.Thread(target=_raw_worker, args=(database_url, until, numbers, counts))
        for _ in range(connections)
    ]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts), time.monotonic() - started


@dataclass
class Series:
    """One thing measured, a slice per round: leads done and the time it had."""

    tally: Tally = field(default_factory=Tally)
    done: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0


def run_rounds(args, port: int, keys: dict[str, str], database_url: str) -> dict[str, Series]:
    """Every series gets the same time, in --rounds slices that take turns, in an order that
    reverses each round: the machine is shared, and a busy minute must not fall on one series
    only. The series are the raw loop ("raw"), the key check, and the API for each workspace
    key. The raw loop goes at the ends of the order: the moments after its thousands of commits
    (the database writing them out) then fall on the raw loop itself or on the series next to
    it, never on one side only of the rule-free/rules comparison, which stays side by side."""
    names = ["raw"] + (["key-check"] if args.key_check else []) + [*keys]
    series = {name: Series() for name in names}
    people, raw_people = itertools.count(1), itertools.count(1)  # every lead a new person
    for key in keys.values():
        _run_clients(port, key, args.clients, args.warmup, people, None)
    if args.key_check:
        _run_clients(port, keys["demo"], args.clients, args.warmup, None, None, key_check=True)
    _create_raw_tables(database_url)
    slice_seconds = args.seconds / args.rounds
    for round_number in range(args.rounds):
        for name in names if round_number % 2 == 0 else names[::-1]:
            one = series[name]
            if name == "raw":
                done, seconds = _run_raw(
                    database_url, args.raw_connections, slice_seconds, raw_people
                )
            else:
                before = len(one.tally.latencies)
                key_check = name == "key-check"
                key = keys["demo" if key_check else name]
                seconds = _run_clients(
                    port, key, args.clients, slice_seconds, people, one.tally, key_check=key_check
                )
                done = len(one.tally.latencies) - before
            one.done += done
            one.seconds += seconds
    return series


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) + f" on {os.cpu_count()} cores"


def _report(args, series: dict[str, Series]) -> None:
    api, raw = series["demo"], series["raw"]
    lat = api.tally.latencies
    say(
        f"API: gunicorn, {args.workers} workers, {args.clients} clients, {api.seconds:.0f} s in "
        f"{args.rounds} rounds, taking turns with the raw loop"
        + (" and the rule workspaces" if args.rules else "")
    )
    say(f"  sustained: {api.rate:8.1f} leads/s   ({api.done} created)")
    say(
        f"  latency:   p50 {percentile_ms(lat, 50):.1f} ms   p95 {percentile_ms(lat, 95):.1f} ms"
        f"   p99 {percentile_ms(lat, 99):.1f} ms"
    )
    say(f"  errors:    {api.tally.errors}   (answers: {api.tally.statuses})")
    say(f"Raw psycopg: {args.raw_connections} connections, lead+activity+enrollment+touch")
    say(f"  sustained: {raw.rate:8.1f} leads/s")
    ratio = api.rate / raw.rate if raw.rate else 0.0
    met = ratio >= 0.15 and percentile_ms(lat, 99) < 100 and api.tally.errors == 0
    say(
        f"API / raw:   {ratio:.1%}   (target ≥ 15 %, p99 < 100 ms, no error: "
        f"{'met' if met else 'NOT met'})"
    )
    if args.key_check:
        check = series["key-check"]
        say(
            f"API checking its key only: {check.rate:8.1f} requests/s   p99 "
            f"{percentile_ms(check.tally.latencies, 99):.1f} ms   errors {check.tally.errors}   "
            f"({check.rate / raw.rate if raw.rate else 0.0:.1%} of the raw loop)"
        )
    if args.rules:
        for slug in ("norules", "rules50"):
            one = series[slug]
            say(
                f"  {slug}: {one.rate:8.1f} leads/s   p99 "
                f"{percentile_ms(one.tally.latencies, 99):.1f} ms   errors {one.tally.errors}"
            )
        free = series["norules"].rate
        share = series["rules50"].rate / free if free else 0.0
        verdict = "met" if share >= 0.8 else "NOT met"
        say(f"Rules / rule-free: {share:.1%}   (target ≥ 80 %: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--rounds", type=int, default=4, help="slices of --seconds the measured series take turns"
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one a core)")
    parser.add_argument("--clients", type=int, default=4, help="load generator threads")
    parser.add_argument("--raw-connections", type=int, default=4)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/12",
        help="an empty Redis database for the cache and the Celery queue (emptied at the end)",
    )
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--rules",
        action="store_true",
        help="also compare a rule-free workspace with one of 50 scoring, 20 routing and 5 SLA "
        "rules (target: at least 80 %% of the rule-free throughput)",
    )
    parser.add_argument(
        "--key-check",
        action="store_true",
        help="also measure the API checking its key: the framework's cost per request",
    )
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadfollow")
    admin_url, database_url, name = database_urls(base, "intake")
    _check_redis_is_free(args.redis_url)
    create_database(admin_url, name)
    say(f"Throwaway database: {name}")
    # The figures only compare within one run: say how busy the machine was around it.
    say("Load average (1, 5, 15 min) at the start: " + _load())
    try:
        # Production-like: persistent connections, Redis for the cache and the Celery queue
        # (tasks leave the request), no rate limit in the way.
        env = app_environment(
            database_url,
            REDIS_URL=args.redis_url,
            CONN_MAX_AGE="600",
            API_RATE_LIMIT="100000000/min",
        )
        slugs = ["demo", "norules", "rules50"] if args.rules else ["demo"]
        keys = _prepare(env, slugs)
        server = start_gunicorn(env, args.port, args.workers)
        try:
            series = run_rounds(args, args.port, keys, database_url)
        finally:
            server.terminate()
            server.wait(timeout=30)
        _report(args, series)
    finally:
        say("Load average (1, 5, 15 min) at the end: " + _load())
        queued = _empty_redis(args.redis_url)
        say(f"Tasks left queued for Celery (first touches, alerts), dropped: {queued}")
        if not args.keep_db:
            drop_database(admin_url, name)


if __name__ == "__main__":
    main()
