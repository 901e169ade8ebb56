"""Template helpers of the rules pages: conditions in words, audit diffs, SLA states."""

from __future__ import annotations

from django import template
from django.utils import timezone

from scoring.condition_builder import ATTRIBUTE_LABELS
from scoring.conditions import ATTRIBUTES, NO_VALUE, OPERATOR_LABELS
from scoring.services.scores import ENGAGEMENT_KINDS

register = template.Library()


def _attribute(field: str) -> str:
    for prefix in ("custom.", "activity_count."):
        if field.startswith(prefix):
            name = field[len(prefix) :]
            return f"custom field “{name}”" if prefix == "custom." else f"number of “{name}”"
    return ATTRIBUTE_LABELS.get(field, field).split(" (")[0].lower()


def _value(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def describe(node: dict) -> str:
    if not node:
        return "every lead"
    for group, joiner in (("all", " and "), ("any", " or ")):
        if group in node:
            parts = [describe(child) for child in node[group]]
            if not parts:
                return "every lead" if group == "all" else "no lead"
            text = joiner.join(parts)
            return f"({text})" if len(parts) > 1 and group == "any" else text
    if "not" in node:
        return f"not ({describe(node['not'])})"
    if ATTRIBUTES.get(node["field"]) == "bool" and node["op"] == "equals":
        label = _attribute(node["field"])
        return label if node.get("value") is True else f"not: {label}"
    words = f"{_attribute(node['field'])} {OPERATOR_LABELS.get(node['op'], node['op'])}"
    return words if node["op"] in NO_VALUE else f"{words} {_value(node.get('value'))}"


@register.filter
def condition_text(conditions: dict) -> str:
    """A rule's conditions in words: "source is one of Web, Ads and job title contains CEO"."""
    return describe(conditions or {})


@register.filter
def when_text(conditions: dict) -> str:
    """ "When …" for a rule with conditions, "Every lead" for one without."""
    text = describe(conditions or {})
    return "Every lead" if text == "every lead" else f"When {text}"


@register.filter
def changed_fields(change) -> list[tuple[str, object, object]]:
    """(field, before, after) for every field an audited change touched."""
    before, after = change.before or {}, change.after or {}
    keys = [key for key in {**before, **after} if key not in {"id", "updated_at", "created_at"}]
    if change.action in ("created", "deleted"):
        source = after if change.action == "created" else before
        return [(key, None, source.get(key)) for key in keys if key in source]
    return [
        (key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)
    ]


@register.simple_tag
def sla_state(clock) -> dict:
    """What a lead's SLA clock says now: met, breached, due (with minutes left) or none."""
    if not clock:
        return {"state": "none", "label": "No SLA"}
    if clock.met_at:
        on_time = clock.met_at <= clock.due_at
        return {"state": "met", "label": "Met" if on_time else "Met late", "at": clock.met_at}
    if clock.breached_at or clock.due_at <= timezone.now():
        return {"state": "breached", "label": "Breached", "at": clock.due_at}
    minutes = int((clock.due_at - timezone.now()).total_seconds() // 60)
    warn = clock.warned_at or clock.warn_at <= timezone.now()
    return {
        "state": "warn" if warn else "due",
        "label": "Due",
        "at": clock.due_at,
        "minutes": minutes,
    }


@register.filter
def activity_label(kind: str) -> str:
    return ENGAGEMENT_KINDS.get(kind, kind).lower()


SUBJECT_LABELS = {
    "scoring_rule": "Scoring rule",
    "routing_rule": "Routing rule",
    "sla_policy": "SLA policy",
    "team": "Team",
    "rule_settings": "Rule settings",
    "holiday": "Holiday",
    "availability": "Availability",
    "time_off": "Time off",
}


@register.filter
def subject_label(subject: str) -> str:
    return SUBJECT_LABELS.get(subject, subject)


@register.filter
def show_value(value) -> str:
    """An audited value for people: conditions in words, lists joined, empty as a dash."""
    if value is None or value == "" or value == {}:
        return "—"
    if isinstance(value, dict) and ({"all", "any", "not", "field"} & value.keys()):
        return describe(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(show_value(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {show_value(item)}" for key, item in value.items())
    return str(value)


DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


@register.filter
def hours_text(hours: dict) -> str:
    """Working hours in short: "Mon–Fri 09:00–17:00", days with other hours listed apart."""
    spans = {int(day): tuple(map(tuple, value)) for day, value in (hours or {}).items() if value}
    if not spans:
        return "No working hours"
    groups: list[tuple[list[int], tuple]] = []
    for day in sorted(spans):
        if groups and groups[-1][1] == spans[day] and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], spans[day]))
    parts = []
    for days, value in groups:
        label = (
            DAY_NAMES[days[0]] if len(days) == 1 else f"{DAY_NAMES[days[0]]}–{DAY_NAMES[days[-1]]}"
        )
        parts.append(f"{label} " + ", ".join(f"{start}–{end}" for start, end in value))
    return "; ".join(parts)


@register.filter
def change_name(change) -> str:
    """The name of what an audited change touched, from after or, once deleted, before."""
    for side in (change.after, change.before):
        if isinstance(side, dict) and side.get("name"):
            return side["name"]
    return ""
