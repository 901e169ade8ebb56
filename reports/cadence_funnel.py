"""Cadence funnel: for each step, how many enrollments reached it, replied after it, and left
the cadence there (and why).

Counted on enrollments that started in the range. A step is reached when one of its touches
went out (sent), was done or is waiting for the rep. An enrollment leaves "at" the step it
was on (`current_step`) when it exited or completed; "replied after it" are the exits there
because the lead replied.
"""

from __future__ import annotations

from django.db.models import Count, Q

from cadences.models import Enrollment, Step, Touch
from cadences.services.enrollment import EXIT_REASONS
from leadfollow.models import Membership, Workspace
from reports.filters import ReportFilters
from reports.registry import Report
from reports.results import Chart, Column, Figure, ReportResult, Table, share
from reports.selectors import in_range, lead_conditions, step_label

REACHED = [Touch.Status.SENT, Touch.Status.DONE, Touch.Status.WAITING]
_EXITED = Q(status=Enrollment.Status.EXITED)


def _enrollments(workspace, filters, viewer):
    enrollments = Enrollment.objects.filter(
        in_range(filters, "enrolled_at"),
        lead_conditions(filters=filters, viewer=viewer, prefix="lead__"),
        workspace=workspace,
    )
    if filters.cadence is not None:
        enrollments = enrollments.filter(cadence=filters.cadence)
    return enrollments


def _step_rows(workspace, enrollments) -> list[dict]:
    reached = dict(
        Touch.objects.filter(workspace=workspace, enrollment__in=enrollments, status__in=REACHED)
        .order_by()
        .values("step_id")
        .annotate(n=Count("enrollment_id", distinct=True))
        .values_list("step_id", "n")
    )
    ended = {
        row.pop("current_step_id"): row
        for row in enrollments.order_by()
        .values("current_step_id")
        .annotate(
            replied=Count("pk", filter=_EXITED & Q(exit_reason="replied")),
            exited=Count("pk", filter=_EXITED),
            completed=Count("pk", filter=Q(status=Enrollment.Status.COMPLETED)),
            active=Count("pk", filter=Q(status__in=["active", "paused"])),
        )
    }
    step_ids = set(reached) | {key for key in ended if key is not None}
    steps = Step.with_removed.filter(workspace=workspace, pk__in=step_ids).select_related("cadence")
    rows = []
    for step in sorted(steps, key=lambda s: (s.cadence.name, s.position, s.pk)):
        counts = ended.get(step.pk, {"replied": 0, "exited": 0, "completed": 0, "active": 0})
        rows.append(
            {
                "step": step_label(step),
                "reached": reached.get(step.pk, 0),
                **counts,
                "replied_share": share(counts["replied"], reached.get(step.pk, 0)),
            }
        )
    return rows


def _exit_rows(workspace, enrollments) -> list[dict]:
    exits = (
        enrollments.filter(_EXITED)
        .order_by()
        .values("current_step_id", "exit_reason")
        .annotate(n=Count("pk"))
    )
    steps = {
        step.pk: step
        for step in Step.with_removed.filter(
            workspace=workspace, pk__in={row["current_step_id"] for row in exits}
        ).select_related("cadence")
    }
    rows = []
    for row in exits:
        step = steps.get(row["current_step_id"])
        label = step_label(step) if step else "A removed step"
        reason = EXIT_REASONS.get(row["exit_reason"], row["exit_reason"] or "not recorded")
        order = (step.cadence.name, step.position) if step else ("", -1)
        rows.append((order, {"step": label, "reason": reason, "enrollments": row["n"]}))
    return [row for _order, row in sorted(rows, key=lambda pair: (pair[0], pair[1]["reason"]))]


def compute(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    enrollments = _enrollments(workspace, filters, viewer)
    totals = enrollments.order_by().aggregate(
        enrolled=Count("pk"),
        replied=Count("pk", filter=_EXITED & Q(exit_reason="replied")),
        exited=Count("pk", filter=_EXITED),
        completed=Count("pk", filter=Q(status=Enrollment.Status.COMPLETED)),
    )
    step_rows = _step_rows(workspace, enrollments)
    return ReportResult(
        headline=[
            Figure("enrolled", "Enrollments", totals["enrolled"]),
            Figure(
                "replied_share", "Replied", share(totals["replied"], totals["enrolled"]), "percent"
            ),
            Figure("exited", "Left early", totals["exited"]),
            Figure("completed", "Finished every step", totals["completed"]),
        ],
        tables=[
            Table(
                "steps",
                "By step",
                [
                    Column("step", "Step", "text"),
                    Column("reached", "Reached"),
                    Column("replied", "Replied after it"),
                    Column("replied_share", "Replied %", "percent"),
                    Column("exited", "Left here"),
                    Column("completed", "Finished here"),
                    Column("active", "On it now"),
                ],
                step_rows,
            ),
            Table(
                "exits",
                "Why enrollments left",
                [
                    Column("step", "Step", "text"),
                    Column("reason", "Reason", "text"),
                    Column("enrollments", "Enrollments"),
                ],
                _exit_rows(workspace, enrollments),
            ),
        ],
        charts=[
            Chart(
                "reached",
                "Enrollments reaching each step",
                "Number of enrollments whose touch at each step went out.",
                "count",
                [(row["step"], row["reached"]) for row in step_rows],
            )
        ],
    )


REPORT = Report(
    slug="cadence-funnel",
    title="Cadence funnel",
    description=(
        "For each cadence step: how many reached it, replied after it, and left there and why."
    ),
    compute=compute,
)
