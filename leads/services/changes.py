"""Changing a lead after intake: edits, status and owner, erasure, and lead sources."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import replace
from functools import partial, reduce

import phonenumbers
from django.db import IntegrityError, transaction
from django.db.models import Q, TextField, Value
from django.db.models.functions import Cast, Replace
from django.utils import timezone

from channels.services import address_hash, suppress_erased_contact
from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.idempotency import replace_replayed_bodies
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Consent, Lead, LeadImportReject, LeadSource
from leads.normalize import clean_lead_fields
from leads.services.accounts import account_for
from leads.services.activities import log_activity
from leads.services.intake import IntakeResult, intake_lead

FLAGS = ("do_not_email", "do_not_sms", "do_not_call", "do_not_voicemail")
EraseStep = Callable[..., None]  # step(*, workspace, lead) -> None
_ERASE_STEPS: list[EraseStep] = []


def register_erase_step(step: EraseStep) -> None:
    """Let another app remove what it keeps about a lead (message bodies, recordings)."""
    _ERASE_STEPS.append(step)


def lead_for_update(workspace: Workspace, lead_id: int) -> Lead:
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
    lead = lead_for_update(workspace, lead_id)
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
    log_changes(workspace, lead, before, actor)
    return lead


def log_changes(workspace: Workspace, lead: Lead, before: dict, actor) -> None:
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
    lead = lead_for_update(workspace, lead_id)
    suppress_erased_contact(workspace=workspace, email=lead.email, phone=lead.phone)
    _erase_from_import_files_after_commit(workspace, lead)
    for step in _ERASE_STEPS:
        step(workspace=workspace, lead=lead)
    Consent.objects.filter(workspace=workspace, lead=lead).delete()
    _erase_activities(workspace, lead)
    _erase_import_rejects(workspace, lead)
    # The API's stored answer to the request that sent the lead in: a retry gets the id alone.
    replace_replayed_bodies(
        workspace=workspace,
        where={"id": lead.pk, "erased_at": None},  # the shape of a lead, not of another object
        body={"id": lead.pk, "erased": True},
    )
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


def _erase_from_import_files_after_commit(workspace: Workspace, lead: Lead) -> None:
    from leads import tasks  # tasks import the services they call

    hashes = [address_hash(address) for address in (lead.email, lead.phone) if address]
    job = partial(
        tasks.erase_from_import_files.delay, workspace_id=workspace.pk, address_hashes=hashes
    )
    transaction.on_commit(job)  # files are no part of the transaction: rewritten once it holds


def _erase_activities(workspace: Workspace, lead: Lead) -> None:
    """Blank the timeline's words, keeping the ids, outcomes and durations reports count."""
    activities = list(
        Activity.objects.filter(workspace=workspace, lead=lead).only("pk", "kind", "payload")
    )
    for activity in activities:
        activity.summary = ""
        activity.payload = _counted_part(activity.kind, activity.payload)
    Activity.objects.bulk_update(activities, ["summary", "payload"], batch_size=500)


# What reports and the timeline read of an erased lead's activities: never a person's words.
_KEPT_NUMBERS = frozenset({"message_id", "duration_seconds", "human", "from", "to"})
_KEPT_CODES = frozenset({"outcome", "channel"})


def _counted_part(kind: str, payload: dict) -> dict:
    def kept(key: str, value) -> bool:
        if value is None or isinstance(value, bool | int | float):
            return key in _KEPT_NUMBERS
        if kind == Activity.Kind.STATUS_CHANGED and key in ("from", "to"):
            return value in Lead.Status.values
        return key in _KEPT_CODES and isinstance(value, str) and value.isidentifier()

    return {key: value for key, value in payload.items() if kept(key, value)}


def _erase_import_rejects(workspace: Workspace, lead: Lead) -> None:
    """Empty the rejected import rows that held the person's email or number: they belong
    to no lead, so they are found by the address itself, the number by its digits alone."""
    rejects = LeadImportReject.objects.filter(workspace=workspace)
    matches = Q()
    if lead.email:
        matches |= Q(values__icontains=lead.email) | Q(reason__icontains=lead.email)
    if lead.phone:
        # A file writes numbers its own way: "(415) 555-2671" is found as "4155552671".
        national = str(phonenumbers.parse(lead.phone).national_number)
        rejects = rejects.annotate(
            values_digits=_digits(Cast("values", TextField())), reason_digits=_digits("reason")
        )
        matches |= Q(values_digits__contains=national) | Q(reason_digits__contains=national)
    if matches:
        rejects.filter(matches).update(
            values=[], reason="Row emptied: the person's data was erased."
        )


def _digits(text):
    """`text` without the separators people put inside phone numbers."""
    return reduce(
        lambda inner, mark: Replace(inner, Value(mark), output_field=TextField()), " -().+/", text
    )


def source_named(*, workspace: Workspace, name: str, kind: str = LeadSource.Kind.API) -> LeadSource:
    """The workspace's lead source with this name, created on first use."""
    name = name.strip()[:120] or "API"
    # Nearly every call finds it: a plain read spares each lead a savepoint round trip.
    source = LeadSource.objects.filter(workspace=workspace, name=name).first()
    if source is not None:
        return source
    try:
        with transaction.atomic():
            source, _ = LeadSource.objects.get_or_create(
                workspace=workspace, name=name, defaults={"kind": kind}
            )
    except IntegrityError:
        source = LeadSource.objects.get(workspace=workspace, name=name)
    return source


MANUAL_SOURCE = "Added by hand"
NOTE_LIMIT = 5000
BULK_LIMIT = 500


class _Keep(enum.Enum):
    KEEP = "keep"


KEEP = _Keep.KEEP  # bulk_update_leads(owner_id=KEEP): leave owners alone (None unassigns)


@transaction.atomic
def add_note(
    *, workspace: Workspace, lead_id: int, text: str, actor: Membership | None = None
) -> Activity:
    """Write a member's note on the lead's timeline."""
    text = text.strip()
    if not text:
        raise InvalidInput("Write the note first.", field="text")
    if len(text) > NOTE_LIMIT:
        raise InvalidInput(f"Keep a note under {NOTE_LIMIT} characters.", field="text")
    lead = lead_for_update(workspace, lead_id)
    summary = text if len(text) <= 300 else text[:299] + "…"
    return log_activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.NOTE,
        actor=actor,
        summary=summary,
        payload={"text": text},
    )


@transaction.atomic
def bulk_update_leads(
    *,
    workspace: Workspace,
    lead_ids: list[int],
    owner_id: int | None | _Keep = KEEP,
    status: str | None = None,
    actor: Membership | None = None,
) -> list[Lead]:
    """Assign and/or re-status many leads, logging an activity on each lead that changed.

    All or nothing: one id that is not a lead of this workspace rejects the whole request, so a
    tampered form never changes part of a selection. Rows are locked in id order (no deadlocks).
    """
    ids = sorted(set(lead_ids))
    if not ids:
        raise InvalidInput("Select at least one lead.", field="lead_ids")
    if len(ids) > BULK_LIMIT:
        raise InvalidInput(f"Change at most {BULK_LIMIT} leads at once.", field="lead_ids")
    changes: dict = {}
    if status is not None:
        if status not in Lead.Status.values:
            raise InvalidInput(f"“{status}” is not a lead status.", field="status")
        changes["status"] = status
    if owner_id is not KEEP:
        _owner(workspace, owner_id)  # an unknown member fails before any lead is touched
        changes["owner"] = owner_id
    if not changes:
        raise InvalidInput("Choose an owner or a status to apply.")
    found = set(
        Lead.objects.filter(workspace=workspace, pk__in=ids, erased_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if missing := len(set(ids) - found):
        raise NotFound(
            f"{missing} of the selected leads are not in this workspace. Nothing was changed.",
            code="unknown_leads",
        )
    return [
        update_lead(workspace=workspace, lead_id=pk, changes=changes, actor=actor) for pk in ids
    ]


@transaction.atomic
def add_lead_by_hand(
    *,
    workspace: Workspace,
    fields: dict,
    owner_id: int | None = None,
    note: str = "",
    actor: Membership | None = None,
) -> IntakeResult:
    """Save a lead a member typed in, with the API's validation and dedupe.

    Someone we already know merges into their lead (the result says `merged`); the owner picked
    then applies only if nobody owns that lead yet.
    """
    source = source_named(workspace=workspace, name=MANUAL_SOURCE, kind=LeadSource.Kind.MANUAL)
    result = intake_lead(
        workspace=workspace, fields=fields, source=source, actor=actor, via="manual"
    )
    lead = result.lead
    if owner_id is not None and lead.owner_id is None:
        lead = update_lead(
            workspace=workspace, lead_id=lead.pk, changes={"owner": owner_id}, actor=actor
        )
    if note.strip():
        add_note(workspace=workspace, lead_id=lead.pk, text=note, actor=actor)
    return replace(result, lead=lead)
