"""The audit trail of rule changes: who changed which rule, when, from what to what."""

from __future__ import annotations

from django.db import models
from django.forms.models import model_to_dict

from leadfollow.models import Membership, Workspace
from scoring.models import RuleChange


def snapshot(instance: models.Model) -> dict:
    """A JSON-safe copy of a rule's fields for the audit trail."""
    data = model_to_dict(instance)
    data.pop("workspace", None)
    return {
        key: value
        if isinstance(value, (str, int, float, bool, list, dict, type(None)))
        else str(value)
        for key, value in data.items()
    }


def record_rule_change(
    *,
    workspace: Workspace,
    actor: Membership | None,
    subject: str,
    subject_id: int | None,
    action: str,
    before: dict | None,
    after: dict | None,
) -> RuleChange:
    """Write one audit entry. Call it inside the transaction that changed the rule."""
    return RuleChange.objects.create(
        workspace=workspace,
        actor=actor,
        subject=subject,
        subject_id=subject_id,
        action=action,
        before=before,
        after=after,
    )
