"""CSV import benchmark: rows per second and memory of a 50,000-row import (run by hand).

    .venv/bin/python bench/import_memory.py                  # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadfollow \
        .venv/bin/python bench/import_memory.py
    .venv/bin/python bench/import_memory.py --rows 5000 --no-tracemalloc

It never touches the database named in DATABASE_URL: like the test runner it creates a throwaway
`test_<name>` database next to it, migrates it, and drops it at the end. It generates a CSV file
(about 2 % bad rows, 5 % repeats of earlier people), uploads it, runs the dry run and the import
through the same services and Celery tasks as the pages (in-process), and prints rows/s plus
memory: tracemalloc's peak of Python allocations and the process's peak RSS (ru_maxrss), and a
sample of both every few seconds, so a climb would show. Flat is the goal.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _configure_environment(work: Path) -> None:
    """Production-like settings: DEBUG off (no query log), tasks in-process, files in `work`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadfollow.settings")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-" + "x" * 40)
    os.environ.setdefault("CHANNEL_SECRETS_KEY", "bench-only-not-a-secret")
    os.environ["REDIS_URL"] = ""
    os.environ["MEDIA_ROOT"] = str(work / "media")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")


def write_csv(path: Path, rows: int) -> None:
    """Streamed to disk: the generator holds one row at a time."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["First name", "Last name", "Email", "Phone", "Company", "Title", "Budget"])
        for n in range(rows):
            if n % 50 == 49:
                writer.writerow(["Bad", f"Row {n}", f"not-an-email-{n}", "", "Nowhere", "", ""])
                continue
            person = n - 7 if n % 20 == 19 else n  # a repeat inquiry from 7 rows earlier
            writer.writerow(
                [
                    f"First{person}",
                    f"Last{person}",
                    f"person{person}@company{person % 900}.example",
                    f"+1212{5550000 + person:07d}"[:12],
                    f"Company {person % 900}",
                    "Buyer",
                    str(person * 10),
                ]
            )


class Sampler(threading.Thread):
    """Every `every` seconds: elapsed time, traced Python memory now, and resident memory now."""

    def __init__(self, every: float):
        super().__init__(daemon=True)
        self.every, self.samples, self.stop = every, [], threading.Event()
        self.started = time.perf_counter()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self.stop.wait(self.every):
            traced = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
            rss = int(Path("/proc/self/statm").read_text().split()[1]) * page
            self.samples.append((time.perf_counter() - self.started, traced, rss))


def _say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _mb(value: float) -> str:
    return f"{value / (1024 * 1024):7.1f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--no-tracemalloc", action="store_true", help="time without its overhead")
    parser.add_argument("--sample-every", type=float, default=5.0, help="seconds between samples")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=0,
        help="stop the import after this many seconds (as the Stop button does); 0: no limit",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="leadfollow-import-bench-"))
    _configure_environment(work)
    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.db import connection

    if connection.vendor == "sqlite":
        settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(work / "test.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from leadfollow.models import Membership, Role, User, Workspace
        from leadfollow.tenancy import workspace_scope
        from leads.models import Lead, LeadImport
        from leads.services import imports

        path = work / "leads.csv"
        write_csv(path, args.rows)
        _say(f"database: {connection.vendor}; file: {args.rows:,} rows, {_mb(path.stat().st_size)}")

        workspace = Workspace.objects.create(name="Bench", slug="bench", time_zone="UTC")
        user = User.objects.create_user(email="bench@example.test", password=None)
        manager = Membership.objects.create(workspace=workspace, user=user, role=Role.MANAGER)

        if not args.no_tracemalloc:
            tracemalloc.start()
        sampler = Sampler(args.sample_every)
        sampler.start()
        with workspace_scope(workspace):
            with path.open("rb") as raw:
                lead_import = imports.create_import(
                    workspace=workspace, upload=File(raw, name="leads.csv"), actor=manager
                )
            started = time.perf_counter()
            imports.map_import_columns(  # the dry run runs on commit, in-process
                workspace=workspace,
                import_id=lead_import.pk,
                mapping=[*lead_import.mapping[:-1], "custom:Budget"],
                source_id=None,
            )
            preview_seconds = time.perf_counter() - started
            preview_peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
            if tracemalloc.is_tracing():
                tracemalloc.reset_peak()
            if args.time_limit:
                _stop_later(args.time_limit, workspace, lead_import.pk)
            started = time.perf_counter()
            imports.start_import(workspace=workspace, import_id=lead_import.pk)
            import_seconds = time.perf_counter() - started
            import_peak = tracemalloc.get_traced_memory()[1] if tracemalloc.is_tracing() else 0
            done = LeadImport.objects.get(pk=lead_import.pk)
            leads = Lead.objects.filter(workspace=workspace).count()
        sampler.stop.set()
        sampler.join()
        _report(args, done, leads, preview_seconds, import_seconds, preview_peak, import_peak)
        _report_samples(sampler.samples)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _stop_later(seconds: float, workspace, import_id: int) -> None:
    """Cancel from another thread, like a manager pressing Stop: the import ends at a batch."""
    from django.db import connection

    from leadfollow.tenancy import workspace_scope
    from leads.services import imports

    def stop() -> None:
        with workspace_scope(workspace):
            imports.cancel_import(workspace=workspace, import_id=import_id)
        connection.close()

    threading.Timer(seconds, stop).start()


def _report(args, done, leads, preview_seconds, import_seconds, preview_peak, import_peak):
    rows = done.total_rows
    imported = done.created_count + done.merged_count + done.rejected_count
    _say(f"status: {done.status} {done.error}")
    _say(
        f"forecast: {done.preview_created:,} new, {done.preview_merged:,} merged, "
        f"{done.preview_rejected:,} rejected"
    )
    _say(
        f"imported: {done.created_count:,} new, {done.merged_count:,} merged, "
        f"{done.rejected_count:,} rejected; {leads:,} leads in the workspace"
    )
    _say(f"dry run: {preview_seconds:6.1f} s  {rows / preview_seconds:8.0f} rows/s")
    _say(f"import:  {import_seconds:6.1f} s  {imported / import_seconds:8.1f} rows/s")
    if not args.no_tracemalloc:
        _say(f"tracemalloc peak: dry run {_mb(preview_peak)}, import {_mb(import_peak)}")
    # Linux reports ru_maxrss in KiB.
    _say(f"peak RSS (ru_maxrss): {_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}")


def _report_samples(samples: list[tuple[float, int, int]]) -> None:
    if not samples:
        return
    _say("   time    traced now        RSS now")
    step = max(1, len(samples) // 12)
    for seconds, traced, rss in samples[::step] + ([samples[-1]] if len(samples) % step else []):
        _say(f"{seconds:6.0f} s  {_mb(traced)}  {_mb(rss)}")


if __name__ == "__main__":
    main()
