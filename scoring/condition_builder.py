"""The rule editor's condition rows: read them from a POST, and turn a rule back into rows.

Most rules are a flat "match all / any of these conditions" list, which managers edit as rows
(attribute, operator, value). Nested rules are edited as JSON in the same form.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.http import QueryDict

from scoring.conditions import (
    ATTRIBUTES,
    NO_VALUE,
    NUMERIC,
    OPERATOR_LABELS,
    InvalidRule,
    validate_condition,
)

ATTRIBUTE_LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "email": "Email",
    "phone": "Phone",
    "title": "Job title",
    "company": "Company",
    "status": "Status",
    "source": "Source",
    "source_kind": "Source kind (api, form, import, manual)",
    "owner": "Owner's email",
    "time_zone": "Time zone",
    "email_domain": "Email domain",
    "email_is_free_mail": "Email is a free-mail address",
    "phone_country": "Phone country (US, GB, …)",
    "has_email": "Has an email",
    "has_phone": "Has a phone",
    "score": "Score",
    "score_band": "Score band",
    "local_hour": "Lead's local hour (0–24)",
    "local_weekday": "Lead's local weekday (mon…sun)",
    "days_since_created": "Days since created",
    "custom.": "Custom field…",
    "activity_count.": "Number of activities of kind…",
}
assert set(ATTRIBUTE_LABELS) >= set(ATTRIBUTES)  # every attribute has a label


@dataclass(frozen=True)
class Row:
    field: str = ""
    key: str = ""
    op: str = "equals"
    value: str = ""
    error: str = ""  # set when the editor comes back with this row at fault


def _value_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def rows_for(conditions: dict) -> tuple[str, list[Row], str]:
    """(match, rows, json) for the editor. A nested rule comes back as JSON only."""
    if not conditions:
        return "all", [Row()], ""
    match = "all" if "all" in conditions else "any" if "any" in conditions else None
    leaves = conditions.get(match, []) if match else [conditions] if "field" in conditions else None
    if leaves is None or any("field" not in leaf for leaf in leaves):
        return "all", [], json.dumps(conditions, indent=2)
    rows = []
    for leaf in leaves:
        field, key = leaf["field"], ""
        for prefix in ("custom.", "activity_count."):
            if field.startswith(prefix):
                field, key = prefix, leaf["field"][len(prefix) :]
        rows.append(Row(field, key, leaf["op"], _value_text(leaf.get("value"))))
    return match or "all", rows or [Row()], ""


def _typed(op: str, text: str):
    text = text.strip()
    if op in NO_VALUE:
        return None
    if op == "in":
        return [item.strip() for item in text.split(",") if item.strip()]
    if op in NUMERIC:
        try:
            return float(text) if "." in text else int(text)
        except ValueError:
            return text  # validate_condition names it
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    return text


def conditions_from_post(data: QueryDict) -> dict:
    """Build and validate the condition from the editor's fields. Raises InvalidRule."""
    raw_json = (data.get("cond-json") or "").strip()
    if raw_json:
        try:
            conditions = json.loads(raw_json)
        except json.JSONDecodeError as exc:
            raise InvalidRule("json", f"not valid JSON ({exc.msg}, line {exc.lineno}).") from exc
        validate_condition(conditions)
        return conditions
    match = "any" if data.get("cond-match") == "any" else "all"
    fields, keys = data.getlist("cond-field"), data.getlist("cond-key")
    ops, values = data.getlist("cond-op"), data.getlist("cond-value")
    leaves = []
    for index, field in enumerate(fields):
        if not field:
            continue
        key = keys[index].strip() if index < len(keys) else ""
        op = ops[index] if index < len(ops) else "equals"
        value = values[index] if index < len(values) else ""
        if field.endswith("."):
            if not key:
                raise InvalidRule(f"condition {index + 1}", "name the field or activity kind.")
            field += key
        leaf = {"field": field, "op": op}
        if op not in NO_VALUE:
            leaf["value"] = _typed(op, value)
        try:
            validate_condition(leaf)
        except InvalidRule as exc:
            raise InvalidRule(f"condition {index + 1}", exc.message.split(": ", 1)[-1]) from exc
        leaves.append(leaf)
    return {match: leaves} if leaves else {}


def editor_context(conditions: dict) -> dict:
    match, rows, raw_json = rows_for(conditions)
    return {
        "cond_match": match,
        "cond_rows": rows,
        "cond_json": raw_json,
        "attribute_choices": list(ATTRIBUTE_LABELS.items()),
        "operator_choices": list(OPERATOR_LABELS.items()),
    }


def editor_context_from_post(data: QueryDict, error: InvalidRule | None = None) -> dict:
    """The editor as the manager left it, with `error` shown on the row or box at fault."""
    fields, keys = data.getlist("cond-field"), data.getlist("cond-key")
    ops, values = data.getlist("cond-op"), data.getlist("cond-value")
    raw_json = (data.get("cond-json") or "").strip()
    bad_row, message = None, ""
    if error is not None:
        message = error.message.split(": ", 1)[-1]
        if not raw_json and error.path.startswith("condition "):
            bad_row = int(error.path.split()[1]) - 1
    rows = [
        Row(
            field=field,
            key=keys[index] if index < len(keys) else "",
            op=ops[index] if index < len(ops) else "equals",
            value=values[index] if index < len(values) else "",
            error=message if index == bad_row else "",
        )
        for index, field in enumerate(fields)
    ]
    context = editor_context({})
    context.update(
        cond_match="any" if data.get("cond-match") == "any" else "all",
        cond_rows=rows or [Row()],
        cond_json=raw_json,
        cond_error=error.message if error is not None and bad_row is None else "",
        cond_invalid=error is not None,
    )
    return context
