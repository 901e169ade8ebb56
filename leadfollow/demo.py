"""Apps add their part of the demo workspace here, so `seed_demo` shows every feature without the
core importing the apps. A step must be idempotent: the demo is seeded again on every `make run`."""

from __future__ import annotations

from collections.abc import Callable

# phase ("before_leads" or "after_leads") -> steps(workspace=, members=) in registration order
DemoStep = Callable[..., None]
_STEPS: dict[str, list[DemoStep]] = {"before_leads": [], "after_leads": []}


def register_demo_step(phase: str, step: DemoStep) -> None:
    if step not in _STEPS[phase]:
        _STEPS[phase].append(step)


def run_demo_steps(phase: str, *, workspace, members: dict) -> None:
    """`members` maps each demo person's email to their membership."""
    for step in _STEPS[phase]:
        step(workspace=workspace, members=members)
