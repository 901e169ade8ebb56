"""Intake: save a new lead, or merge a repeat inquiry into the lead we already have."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from channels.services import suppressed_channels
from leadfollow.bulk_inserts import insert_objects
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Channel, Consent, Lead, LeadSource
from leads.normalize import clean_lead_fields
from leads.phones import time_zone_for_phone
from leads.services.accounts import account_for
from leads.services.activities import log_activities, log_activity, logged_together
from leads.services.received import IntakeStepFailed, lead_received

logger = logging.getLogger(__name__)

MERGEABLE = ("first_name", "last_name", "title", "time_zone", "email", "phone")
CONFLICT_RETRIES = 3


@dataclass(frozen=True)
class ConsentInput:
    channel: str
    text: str
    also: tuple[str, ...] = ()  # further channels the same wording agrees to
    captured_at: datetime | None = None
    source_url: str = ""
    ip_address: str | None = None
    user_agent: str = ""


@dataclass(frozen=True)
class IntakeResult:
    lead: Lead
    created: bool
    filled: dict = field(default_factory=dict)

    @property
    def merged(self) -> bool:
        return not self.created


def intake_lead(
    *,
    workspace: Workspace,
    fields: dict,
    source: LeadSource | None = None,
    consent: ConsentInput | None = None,
    actor: Membership | None = None,
    via: str = "api",
) -> IntakeResult:
    """Save a lead, or merge it into the workspace's lead with the same email or phone.

    Raises InvalidLead naming every bad field. Two concurrent calls for one person make one
    lead: the database's unique constraints decide, and the loser retries as a merge. Once the
    lead is saved, `lead_received` runs the registered intake steps (scoring, routing, cadences)
    in the same transaction, all together; if one fails, the transaction is rolled back and the
    lead saved again with each step in a savepoint of its own, so the failing step is rolled
    back alone. The timeline entries of the whole intake are written together at the end.
    """
    clean = clean_lead_fields(workspace, fields)
    together = True
    attempt = 1
    while True:
        try:
            with transaction.atomic(), logged_together():
                result = _save_or_merge(workspace, clean, source, actor, via)
                if consent is not None:
                    _record_consent(workspace, result.lead, consent)
                lead_received(
                    workspace=workspace,
                    lead=result.lead,
                    is_new=result.created,
                    fresh=result.created,
                    together=together,
                )
            return result
        except IntakeStepFailed:
            # Rolled back whole: save the lead again, each step in a savepoint of its own.
            together = False
        except IntegrityError:
            # Another request saved the same email, phone or company a moment ago.
            logger.info("intake conflict, retrying as merge attempt=%s", attempt)
            if attempt == CONFLICT_RETRIES:
                raise
            attempt += 1


def _save_or_merge(
    workspace: Workspace, clean: dict, source: LeadSource | None, actor, via: str
) -> IntakeResult:
    matches = _matching_leads(workspace, clean.get("email"), clean.get("phone"))
    if matches:
        return _merge(workspace, matches, clean, source, actor, via)
    return _create(workspace, clean, source, actor, via)


def _matching_leads(workspace: Workspace, email: str | None, phone: str | None) -> list[Lead]:
    match = Q()
    if email:
        match |= Q(email=email)
    if phone:
        match |= Q(phone=phone)
    leads = list(Lead.objects.select_for_update().filter(match, workspace=workspace).order_by("pk"))
    # The email match wins: it is the stronger identity.
    return sorted(leads, key=lambda lead: lead.email != email)


def _create(workspace, clean: dict, source, actor, via: str) -> IntakeResult:
    values = {key: value for key, value in clean.items() if key != "company"}
    if not values.get("time_zone"):
        values["time_zone"] = time_zone_for_phone(values.get("phone")) or ""
    values.update(_suppressed_flags(workspace, values.get("email"), values.get("phone")))
    lead = Lead(
        workspace=workspace,
        account=account_for(
            workspace=workspace, company=clean.get("company", ""), email=clean.get("email")
        ),
        source=source,
        **values,
    )
    insert_objects([lead])
    origin = f" from {source.name}" if source else ""
    log_activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.CREATED,
        summary=f"Lead created{origin}",
        payload={"via": via, "source": source.name if source else None},
        actor=actor,
        occurred_at=lead.created_at,
    )
    return IntakeResult(lead=lead, created=True)


def _suppressed_flags(workspace: Workspace, email: str | None, phone: str | None) -> dict:
    """Someone who opted out, bounced or was erased stays uncontactable as a new lead."""
    channels = suppressed_channels(workspace=workspace, email=email, phone=phone)
    return {f"do_not_{channel}": True for channel in channels}


def _merge(workspace, matches: list[Lead], clean: dict, source, actor, via: str) -> IntakeResult:
    lead, others = matches[0], matches[1:]
    taken = {value for other in others for value in (other.email, other.phone) if value}
    filled, differing = {}, {}
    for name in MERGEABLE:
        incoming, current = clean.get(name), getattr(lead, name)
        if not incoming or incoming == current:
            continue
        if not current and incoming not in taken:
            setattr(lead, name, incoming)
            filled[name] = incoming
        else:
            differing[name] = incoming
    if "phone" in filled:
        lead.phone_region = clean.get("phone_region", "")
        if not lead.time_zone:
            lead.time_zone = time_zone_for_phone(lead.phone) or ""
    for key, value in (clean.get("custom_fields") or {}).items():
        if key not in lead.custom_fields:
            lead.custom_fields[key] = value
            filled[f"custom_fields.{key}"] = value
        elif lead.custom_fields[key] != value:
            differing[f"custom_fields.{key}"] = value
    if lead.account_id is None:
        lead.account = account_for(
            workspace=workspace, company=clean.get("company", ""), email=lead.email
        )
    elif clean.get("company") and clean["company"].lower() != lead.account.name.lower():
        differing["company"] = clean["company"]
    lead.save()
    # Written at once, not with the rest of the intake: a repeat inquiry is engagement, and the
    # scoring step reads it back.
    inquiry = Activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.RE_INQUIRY,
        summary=f"Asked again{f' through {source.name}' if source else ''}",
        payload={
            "via": via,
            "source": source.name if source else None,
            "filled": filled,
            "differing": differing,
            "also_matched": [other.pk for other in others],
        },
        actor=actor,
        occurred_at=timezone.now(),
    )
    log_activities([inquiry])
    return IntakeResult(lead=lead, created=False, filled=filled)


def _record_consent(workspace: Workspace, lead: Lead, consent: ConsentInput) -> list[Consent]:
    """One consent record per channel the wording agrees to, and one timeline entry."""
    channels = list(dict.fromkeys((consent.channel, *consent.also)))
    captured_at = consent.captured_at or timezone.now()
    records = [
        Consent.objects.create(
            workspace=workspace,
            lead=lead,
            channel=channel,
            text=consent.text,
            captured_at=captured_at,
            source_url=consent.source_url[:500],
            ip_address=consent.ip_address,
            user_agent=consent.user_agent[:400],
        )
        for channel in channels
    ]
    labels = [Channel(channel).in_a_sentence for channel in channels]
    named = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} and {labels[-1]}"
    log_activity(
        workspace=workspace,
        lead=lead,
        kind=Activity.Kind.CONSENT,
        channel=consent.channel,
        summary=f"Consent to {named} recorded",
        payload={"text": consent.text, "source_url": consent.source_url, "channels": channels},
    )
    return records
