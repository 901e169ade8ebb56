"""What the benchmarks share: a throwaway database, the app's environment, gunicorn, figures."""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def database_urls(base: str, purpose: str) -> tuple[str, str, str]:
    """(admin URL, throwaway URL, throwaway name) from the DATABASE_URL we must not touch.

    One database per run and purpose: two runs side by side never drop each other's."""
    parts = urllib.parse.urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"bench/{purpose}.py needs PostgreSQL: set DATABASE_URL=postgres://…")
    name = f"{parts.path.lstrip('/') or 'leadfollow'}_bench_{purpose}_{os.getpid()}"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    return admin, urllib.parse.urlunsplit(parts._replace(path=f"/{name}")), name


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_environment(database_url: str, **overrides: str) -> dict[str, str]:
    """Production-like: DEBUG off (no query log), quiet logs, bench-only secrets."""
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
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "PYTHONWARNINGS": "ignore",
            **overrides,
        }
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def start_gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    """gunicorn (the production server, sync workers), once it answers /healthz."""
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


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def percentile_ms(seconds: list[float], pct: int) -> float:
    """The pct-th percentile of durations in seconds, in milliseconds."""
    if not seconds:
        return float("nan")
    if len(seconds) == 1:
        return seconds[0] * 1000
    return statistics.quantiles(seconds, n=100, method="inclusive")[pct - 1] * 1000
