"""Intake API benchmark: sustained leads/s and latency under gunicorn, against a raw loop (by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow .venv/bin/python bench/intake.py
    .venv/bin/python bench/intake.py --seconds 20 --workers 2 --clients 4 --raw-connections 4

It never touches the database named in DATABASE_URL: it creates a throwaway
`<name>_bench_intake_<pid>` database next to it, migrates it, seeds the demo workspace (its
scoring rules, routing teams and SLA policy make every POST do the real intake work), creates an
API key, and drops the database at the end (--keep-db keeps it).

1. The API: gunicorn (the production server, sync workers) serves the app with DEBUG off and
   tasks in-process. A bounded local load generator (--clients threads, each with one
   connection, one request at a time) posts unique leads for --seconds after a short warm-up,
   and prints sustained leads/s, p50/p95/p99 latency and the error count (any answer but 201).
2. The floor: --raw-connections psycopg connections insert a lead, an activity, an enrollment
   and a touch in one transaction per lead, into plain tables of a scratch schema, for the same
   time. It prints leads/s and the API's share of it (the target is at least 15 %).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
AREA_CODES = (212, 415, 312, 617, 646, 702, 305, 206)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int | None, seconds: float) -> None:
        with self.lock:
            if status is not None:
                self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 201:
                self.latencies.append(seconds)
            else:
                self.errors += 1


def _database_urls(base: str) -> tuple[str, str, str]:
    """(admin URL, throwaway URL, throwaway name) from the DATABASE_URL we must not touch."""
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit("bench/intake.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    # One database per run: two runs side by side must not drop each other's.
    name = f"{parts.path.lstrip('/') or 'leadfollow'}_bench_intake_{os.getpid()}"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    return admin, urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def _create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _app_environment(database_url: str) -> dict[str, str]:
    """Production-like: DEBUG off (no query log), tasks in-process, no rate limit in the way."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "leadfollow.settings",
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-not-a-secret-" + "x" * 40,
            "CHANNEL_SECRETS_KEY": "bench-only-not-a-secret",
            "REDIS_URL": "",
            "LOG_LEVEL": "ERROR",
            "API_RATE_LIMIT": "100000000/min",
            "ALLOWED_HOSTS": "127.0.0.1",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "leadfollow.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--log-level=warning",
            "--worker-tmp-dir=/dev/shm",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


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
        status = None
        try:
            conn.request("POST", "/api/v1/leads/", body, headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()  # reconnects on the next request
        if tally is not None:
            tally.record(status, time.perf_counter() - started)
    conn.close()


def _run_clients(port: int, key: str, clients: int, seconds: float, numbers, tally) -> float:
    until = time.monotonic() + seconds
    pool = [
        threading.Thread(target=_post_leads, args=(port, key, until, numbers, tally))
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


def bench_api(
    args, env: dict[str, str], database_url: str, slug: str = "demo"
) -> tuple[float, Tally]:
    if slug == "demo":
        _manage(env, "migrate", "--noinput")
        _manage(env, "seed_demo")
    else:
        _manage(env, "shell", "-c", RULE_SETUP.format(slug=slug, heavy=slug == "rules50"))
    key = _manage(env, "create_api_key", slug, "Benchmark").strip()
    server = _start_gunicorn(env, args.port, args.workers)
    numbers = itertools.count(1)  # next() is atomic under the GIL: every lead is a new person
    try:
        _run_clients(args.port, key, args.clients, args.warmup, numbers, None)
        tally = Tally()
        elapsed = _run_clients(args.port, key, args.clients, args.seconds, numbers, tally)
    finally:
        server.terminate()
        server.wait(timeout=30)
    with psycopg.connect(database_url) as conn:
        saved = conn.execute(
            "SELECT count(*) FROM leads_lead WHERE source_id IN "
            "(SELECT id FROM leads_leadsource WHERE name = 'Benchmark')"
        ).fetchone()[0]
    _say(f"  leads in the database from the run (incl. warm-up): {saved}")
    return len(tally.latencies) / elapsed, tally


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


def bench_raw(args, database_url: str) -> float:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS bench_raw CASCADE")
        conn.execute(RAW_TABLES)
    numbers, counts = itertools.count(1), []
    until = time.monotonic() + args.seconds
    pool = [
        threading.Thread(target=_raw_worker, args=(database_url, until, numbers, counts))
        for _ in range(args.raw_connections)
    ]
    started = time.monotonic()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(pct) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (one a core)")
    parser.add_argument("--clients", type=int, default=4, help="load generator threads")
    parser.add_argument("--raw-connections", type=int, default=4)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--rules",
        action="store_true",
        help="also compare a rule-free workspace with one of 50 scoring, 20 routing and 5 SLA "
        "rules (target: at least 80 %% of the rule-free throughput)",
    )
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/leadfollow")
    admin_url, database_url, name = _database_urls(base)
    _create_database(admin_url, name)
    _say(f"Throwaway database: {name}")
    try:
        _say(f"API: gunicorn, {args.workers} workers, {args.clients} clients, {args.seconds:g} s")
        api_rate, tally = bench_api(args, _app_environment(database_url), database_url)
        lat = tally.latencies
        _say(f"  sustained: {api_rate:8.1f} leads/s   ({len(lat)} created)")
        _say(
            f"  latency:   p50 {_percentile(lat, 50):.1f} ms   p95 {_percentile(lat, 95):.1f} ms"
            f"   p99 {_percentile(lat, 99):.1f} ms"
        )
        _say(f"  errors:    {tally.errors}   (answers: {tally.statuses})")
        _say(f"Raw psycopg: {args.raw_connections} connections, lead+activity+enrollment+touch")
        raw_rate = bench_raw(args, database_url)
        _say(f"  sustained: {raw_rate:8.1f} leads/s")
        ratio = api_rate / raw_rate if raw_rate else 0.0
        p99 = _percentile(lat, 99)
        verdict = "met" if ratio >= 0.15 and p99 < 100 and tally.errors == 0 else "NOT met"
        _say(f"API / raw:   {ratio:.1%}   (target ≥ 15 %, p99 < 100 ms, no error: {verdict})")
        if args.rules:
            env = _app_environment(database_url)
            rates = {}
            for slug in ("norules", "rules50"):
                rates[slug], tally = bench_api(args, env, database_url, slug)
                _say(
                    f"  {slug}: {rates[slug]:8.1f} leads/s   p99 "
                    f"{_percentile(tally.latencies, 99):.1f} ms   errors {tally.errors}"
                )
            share = rates["rules50"] / rates["norules"] if rates["norules"] else 0.0
            verdict = "met" if share >= 0.8 else "NOT met"
            _say(f"Rules / rule-free: {share:.1%}   (target ≥ 80 %: {verdict})")
    finally:
        if not args.keep_db:
            _drop_database(admin_url, name)


if __name__ == "__main__":
    main()
