"""Builders for report fixtures: leads whose intake and touch times are set to the second."""

from __future__ import annotations

from datetime import datetime, timedelta

from leadfollow.tenancy import unscoped
from leads.models import Lead
from tests.factories import LeadFactory


def lead_at(
    workspace,
    created_at: datetime,
    *,
    touch_after: float | None = None,
    human_after: float | None = None,
    **fields,
) -> Lead:
    """A lead that arrived at `created_at` and was first touched `touch_after` seconds later
    (and by a person `human_after` seconds later); None leaves it untouched."""
    lead = LeadFactory(workspace=workspace, **fields)
    times = {
        "created_at": created_at,
        "first_touch_at": None
        if touch_after is None
        else created_at + timedelta(seconds=touch_after),
        "first_human_touch_at": None
        if human_after is None
        else created_at + timedelta(seconds=human_after),
    }
    # created_at is auto_now_add: set the intake time afterwards.
    with unscoped():
        Lead.objects.filter(pk=lead.pk).update(**times)
    for name, value in times.items():
        setattr(lead, name, value)
    return lead
