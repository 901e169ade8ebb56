"""What a rule can know about a lead, as a flat mapping the condition evaluator reads."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from datetime import datetime

from django.db.models import Count
from django.utils import timezone

from leadfollow.models import Workspace
from leads.email_domains import email_domain, is_free_mail
from leads.models import Activity, Lead

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_OWNER_TO_SETTLE = "_owner_to_settle"


def owner_pending(lead: Lead, settle: Callable[[], None]) -> None:
    """The lead's owner is decided but not given yet: `settle` gives it. Rules that read the
    owner settle it first (`settle_owner`)."""
    setattr(lead, _OWNER_TO_SETTLE, settle)


def settle_owner(lead: Lead) -> None:
    """Give the lead the owner routing decided for it, if that is still pending. Once."""
    settle = lead.__dict__.pop(_OWNER_TO_SETTLE, None)
    if settle is not None:
        settle()


def lead_zone(lead: Lead, workspace: Workspace) -> zoneinfo.ZoneInfo:
    """The lead's time zone: their own, else the workspace's."""
    try:
        return zoneinfo.ZoneInfo(lead.time_zone or workspace.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(workspace.time_zone)


def lead_facts(
    *,
    workspace: Workspace,
    lead: Lead,
    needed: Iterable[str] = (),
    score: tuple[int, str] | None = None,
    now: datetime | None = None,
) -> dict:
    """Every fact about `lead`. Activity counts are read (in one query) only when `needed`, and a
    pending owner is settled when `needed` names the owner."""
    if "owner" in needed:
        settle_owner(lead)
    now = now or timezone.now()
    local = now.astimezone(lead_zone(lead, workspace))
    created = lead.created_at or now
    facts = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "title": lead.title,
        # Read through the relation, not its id: the "try it" panel scores an unsaved lead
        # whose company and source are unsaved too.
        "company": lead.account.name if lead.account is not None else None,
        "status": lead.status,
        "source": lead.source.name if lead.source is not None else None,
        "source_kind": lead.source.kind if lead.source is not None else None,
        "owner": lead.owner.user.email if lead.owner_id else None,
        "time_zone": lead.time_zone or workspace.time_zone,
        "email_domain": email_domain(lead.email),
        "email_is_free_mail": is_free_mail(lead.email),
        "phone_country": lead.phone_region or None,
        "has_email": bool(lead.email),
        "has_phone": bool(lead.phone),
        "score": score[0] if score else None,
        "score_band": score[1] if score else None,
        "local_hour": local.hour + local.minute / 60,
        "local_weekday": WEEKDAYS[local.weekday()],
        "days_since_created": (now - created).total_seconds() / 86400,
    }
    for key, value in (lead.custom_fields or {}).items():
        facts[f"custom.{key}"] = value
    kinds = [name.split(".", 1)[1] for name in needed if name.startswith("activity_count.")]
    if kinds:
        facts.update({f"activity_count.{kind}": 0 for kind in kinds})
        if lead.pk:
            counts = (
                Activity.objects.filter(workspace=workspace, lead=lead, kind__in=kinds)
                .values("kind")
                .annotate(n=Count("id"))
            )
            facts.update({f"activity_count.{row['kind']}": row["n"] for row in counts})
    return facts
