"""Changing a lead after intake: edits, status and owner, erasure, and lead sources."""

from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.services import suppress_erased_contact
from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Consent, Lead, LeadSource
from leads.normalize import clean_lead_fields
from leads.services.accounts import account_for
from leads.services.activities import log_activity

FLAGS = ("do_not_email", "do_not_sms", "do_not_call", "do_not_voicemail")
EraseStep = Callable[..., None]  # step(*, workspace, lead) -> None
_ERASE_STEPS: list[EraseStep] = []


def register_erase_step(step: EraseStep) -> None:
    """Let another app remove what it keeps about a lead (message bodies, recordings)."""
    _ERASE_STEPS.append(step)


def _get_for_update(workspace: Workspace, lead_id: int) -> Lead:
    try:
        return Lead.objects.select_for_update().get(
            workspace=workspace, pk=lead_id, erased_at__isnull=True
        )
    except Lead.DoesNotExist as exc:
        raise NotFound("No lead with this id in your workspace.") from exc


def _owner(workspace: Workspace, owner_id: int | None) -> Membership | None:
    if owner_id is None:
        return None
    owner = Membership.objects.filter(workspace=workspace, pk=owner_id, is_active=True).first()
    if owner is None:
        raise InvalidInput("No active member with this id in your workspace.", field="owner")
    return owner


@transaction.atomic
def update_lead(
    *, workspace: Workspace, lead_id: int, changes: dict, actor: Membership | None = None
) -> Lead:
    """Edit a lead's details, status, owner or do-not-contact flags, logging each change."""
    lead = _get_for_update(workspace, lead_id)
    clean = clean_lead_fields(workspace, changes, require_contact=False)
    if "company" in clean:
        lead.account = account_for(
            workspace=workspace, company=clean.pop("company"), email=clean.get("email", lead.email)
        )
    before = {name: getattr(lead, name) for name in (*clean, *FLAGS, "status", "owner_id")}
    for name, value in clean.items():
        setattr(lead, name, value)
    for name in FLAGS:
        if name in changes:
            setattr(lead, name, changes[name])
    if not (lead.email or lead.phone):
        raise InvalidInput("A lead needs an email address or a phone number.", field="email")
    if "status" in changes:
        lead.status = changes["status"]
    if "owner" in changes:
        lead.owner = _owner(workspace, changes["owner"])
    try:
        with transaction.atomic():
            lead.save()
    except IntegrityError as exc:
        raise Conflict(
            "Another lead already has this email address or phone number.", code="duplicate"
        ) from exc
    _log_changes(workspace, lead, before, actor)
    return lead


def _log_changes(workspace: Workspace, lead: Lead, before: dict, actor) -> None:
    changed = {name: getattr(lead, name) for name in before if getattr(lead, name) != before[name]}
    if "status" in changed:
        log_activity(
            workspace=workspace,
            lead=lead,
            kind=Activity.Kind.STATUS_CHANGED,
            actor=actor,
            summary=f"Status: {lead.get_status_display()}",
            payload={"from": before["status"], "to": lead.status},
        )
    if "owner_id" in changed:
        name = lead.owner.user.display_name if lead.owner else "nobody"
        log_activity(
            workspace=workspace,
            lead=lead,
            kind=Activity.Kind.OWNER_CHANGED,
            actor=actor,
            summary=f"Assigned to {name}",
            payload={"from": before["owner_id"], "to": lead.owner_id},
        )
    details = sorted(set(changed) - {"status", "owner_id"})
    if details:
        log_activity(
            workspace=workspace,
            lead=lead,
            kind=Activity.Kind.UPDATED,
            actor=actor,
            summary="Changed " + ", ".join(name.replace("_", " ") for name in details),
            payload={"fields": details},
        )


@transaction.atomic
def erase_lead(*, workspace: Workspace, lead_id: int, actor: Membership | None = None) -> Lead:
    """Erase a person's data (GDPR). Counts stay; a hash keeps them off every channel."""
    lead = _get_for_update(workspace, lead_id)
    suppress_erased_contact(workspace=workspace, email=lead.email, phone=lead.phone)
    for step in _ERASE_STEPS:
        step(workspace=workspace, lead=lead)
    Consent.objects.filter(workspace=workspace, lead=lead).delete()
    lead.activities.update(summary="", payload={})
    lead.first_name = lead.last_name = lead.title = lead.time_zone = lead.phone_region = ""
    lead.email = lead.phone = None
    lead.custom_fields = {}
    for name in FLAGS:
        setattr(lead, name, True)
    lead.erased_at = timezone.now()
    lead.save()
    log_activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.ERASED,
        actor=actor,
        summary="Personal data erased on request",
    )
    return lead


def source_named(*, workspace: Workspace, name: str, kind: str = LeadSource.Kind.API) -> LeadSource:
    """The workspace's lead source with this name, created on first use."""
    name = name.strip()[:120] or "API"
    try:
        with transaction.atomic():
            source, _ = LeadSource.objects.get_or_create(
                workspace=workspace, name=name, defaults={"kind": kind}
            )
    except IntegrityError:
        source = LeadSource.objects.get(workspace=workspace, name=name)
    return source
