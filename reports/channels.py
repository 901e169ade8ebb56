"""Channels: what happened to the messages sent in the range, per channel and per cadence step
(A/B variants side by side), with a deliverability warning above the settings' thresholds.

Counted on outbound messages created in the range: sent (accepted by the provider: sent,
delivered, undelivered or bounced), delivered, opened, clicked, replied, bounced. Opt-outs
are the `opted_out` activities of the range, on the channel the lead used. Rates are of sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Count, Q

from cadences.models import Step, Touch
from channels.models import Message
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Channel
from reports.filters import ReportFilters
from reports.registry import Report
from reports.results import Chart, Column, Figure, ReportResult, Table, share
from reports.selectors import in_range, lead_conditions, step_label

SENT_STATUSES = ["sent", "delivered", "undelivered", "bounced"]
OUTCOMES = [
    ("sent", "Sent", Q(status__in=SENT_STATUSES)),
    ("delivered", "Delivered", Q(delivered_at__isnull=False) | Q(status="delivered")),
    ("opened", "Opened", Q(opened_at__isnull=False)),
    ("clicked", "Clicked", Q(clicked_at__isnull=False)),
    ("replied", "Replied", Q(replied_at__isnull=False)),
    ("bounced", "Bounced", Q(status="bounced")),
]


def _counts(prefix: str = "") -> dict[str, Count]:
    def on_message(condition: Q) -> Q:
        children = [
            on_message(child) if isinstance(child, Q) else (f"{prefix}{child[0]}", child[1])
            for child in condition.children
        ]
        return Q(*children, _connector=condition.connector, _negated=condition.negated)

    return {key: Count("pk", filter=on_message(condition)) for key, _label, condition in OUTCOMES}


def _rates(row: dict) -> dict:
    sent = row["sent"]
    rates = {f"{key}_rate": share(row[key], sent) for key, _label, _c in OUTCOMES[1:]}
    if "opted_out" in row:
        rates["opted_out_rate"] = share(row["opted_out"], sent)
    return {**row, **rates}


def _columns(*, with_opt_outs: bool) -> list[Column]:
    columns = [Column("sent", "Sent")]
    for key, label, _condition in OUTCOMES[1:]:
        columns += [Column(key, label), Column(f"{key}_rate", f"{label} %", "percent")]
    if with_opt_outs:
        columns += [
            Column("opted_out", "Opted out"),
            Column("opted_out_rate", "Opted out %", "percent"),
        ]
    return columns


def _by_channel(workspace, filters, viewer) -> list[dict]:
    messages = Message.objects.filter(
        in_range(filters, "created_at"),
        lead_conditions(filters=filters, viewer=viewer, prefix="lead__"),
        workspace=workspace,
        direction=Message.Direction.OUTBOUND,
    )
    counted = {
        r.pop("channel"): r for r in messages.order_by().values("channel").annotate(**_counts())
    }
    opt_outs = dict(
        Activity.objects.filter(
            in_range(filters, "occurred_at"),
            lead_conditions(filters=filters, viewer=viewer, prefix="lead__"),
            workspace=workspace,
            kind="opted_out",
        )
        .order_by()
        .values("channel")
        .annotate(n=Count("pk"))
        .values_list("channel", "n")
    )
    empty = dict.fromkeys([key for key, _l, _c in OUTCOMES], 0)
    return [
        _rates({"channel": label, **counted.get(value, empty), "opted_out": opt_outs.get(value, 0)})
        for value, label in Channel.choices
        if value in counted or value in opt_outs
    ]


def _by_step(workspace, filters, viewer) -> list[dict]:
    touches = Touch.objects.filter(
        in_range(filters, "message__created_at"),
        lead_conditions(filters=filters, viewer=viewer, prefix="enrollment__lead__"),
        workspace=workspace,
        message__isnull=False,
    )
    if filters.cadence is not None:
        touches = touches.filter(enrollment__cadence=filters.cadence)
    rows = touches.order_by().values("step_id", "variant").annotate(**_counts("message__"))
    steps = {
        step.pk: step
        for step in Step.with_removed.filter(
            workspace=workspace, pk__in={r["step_id"] for r in rows}
        ).select_related("cadence")
    }
    result = []
    for row in rows:
        step = steps[row.pop("step_id")]
        variant = row.pop("variant")
        label = step_label(step)
        letter = "—" if variant is None else chr(ord("A") + variant)
        order = (step.cadence.name, step.position, -1 if variant is None else variant)
        result.append((order, _rates({"step": label, "variant": letter, **row})))
    return [row for _key, row in sorted(result, key=lambda pair: pair[0])]


def _warnings(channel_rows: list[dict]) -> list[str]:
    warnings = []
    bounce_limit = settings.REPORTS_BOUNCE_WARNING_PERCENT
    opt_out_limit = settings.REPORTS_OPT_OUT_WARNING_PERCENT
    for row in channel_rows:
        if (row["bounced_rate"] or 0) > bounce_limit:
            warnings.append(
                f"{row['channel']}: {row['bounced_rate']:.1f} % of messages bounced (over "
                f"{bounce_limit:g} %). Clean the list before sending more: providers block "
                "senders who bounce often."
            )
        if (row["opted_out_rate"] or 0) > opt_out_limit:
            warnings.append(
                f"{row['channel']}: {row['opted_out_rate']:.1f} % opted out (over "
                f"{opt_out_limit:g} %). Check how often and what the cadences send."
            )
    return warnings


def compute(workspace: Workspace, filters: ReportFilters, viewer: Membership | None):
    channel_rows = _by_channel(workspace, filters, viewer)
    step_rows = _by_step(workspace, filters, viewer)
    total = {key: sum(row[key] for row in channel_rows) for key, _l, _c in OUTCOMES}
    total["opted_out"] = sum(row["opted_out"] for row in channel_rows)
    total = _rates(total)
    return ReportResult(
        headline=[
            Figure("sent", "Sent", total["sent"]),
            Figure("delivered_rate", "Delivered", total["delivered_rate"], "percent"),
            Figure("replied_rate", "Replied", total["replied_rate"], "percent"),
            Figure("bounced_rate", "Bounced", total["bounced_rate"], "percent"),
            Figure("opted_out_rate", "Opted out", total["opted_out_rate"], "percent"),
        ],
        tables=[
            Table(
                "by_channel",
                "By channel",
                [Column("channel", "Channel", "text"), *_columns(with_opt_outs=True)],
                channel_rows,
            ),
            Table(
                "by_step",
                "By cadence step and A/B variant",
                [
                    Column("step", "Step", "text"),
                    Column("variant", "Variant", "text"),
                    *_columns(with_opt_outs=False),
                ],
                step_rows,
            ),
        ],
        charts=[
            Chart(
                "reply_rate",
                "Reply rate by channel",
                "Percent of the messages sent on each channel that got a reply.",
                "percent",
                [(row["channel"], row["replied_rate"]) for row in channel_rows],
            ),
            Chart(
                "step_reply_rate",
                "Reply rate by cadence step and variant",
                "Percent of each step's (and variant's) messages that got a reply.",
                "percent",
                [(f"{row['step']} {row['variant']}", row["replied_rate"]) for row in step_rows],
            ),
        ],
        warnings=_warnings(channel_rows),
    )


REPORT = Report(
    slug="channels",
    title="Channels",
    description="Sent, delivered, opened, clicked, replied, bounced and opted out, per channel "
    "and per cadence step with A/B variants side by side.",
    compute=compute,
)
