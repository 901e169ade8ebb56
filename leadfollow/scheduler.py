"""Periodic ticks (SLA clocks now, the cadence dispatcher later) for the no-Redis setup.

With Redis, Celery beat runs the same ticks (CELERY_BEAT_SCHEDULE). Without it, `make run`
starts `manage.py run_scheduler`, which calls every registered tick on its interval in-process,
so the demo's clocks and cadences really fire. Apps register their ticks in AppConfig.ready().
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class Tick:
    name: str
    run: Callable[[], object]
    every_seconds: float
    next_at: float = field(default=0.0)


_TICKS: dict[str, Tick] = {}


def register_tick(name: str, run: Callable[[], object], *, every_seconds: float) -> None:
    _TICKS[name] = Tick(name, run, every_seconds)


def registered_ticks() -> list[Tick]:
    return list(_TICKS.values())


def run_due_ticks(now: float | None = None) -> list[str]:
    """Run every tick whose time has come; return their names. A failing tick is logged."""
    now = time.monotonic() if now is None else now
    ran = []
    for tick in _TICKS.values():
        if now < tick.next_at:
            continue
        tick.next_at = now + tick.every_seconds
        try:
            tick.run()
        except Exception:  # noqa: BLE001 - one failing tick must not stop the others; logged
            logger.exception("scheduler tick failed name=%s", tick.name)
        ran.append(tick.name)
    return ran
