"""One function decides every send: allowed now, deferred until a time, or blocked with a reason.

Every outbound path (cadence touches, a rep's reply, a test send to a lead) asks `check_send`
first, and the sending service asks again right before it calls the provider.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from channels.models import Channel, ChannelSettings, Suppression
from channels.services import address_hash, is_suppressed
from leadfollow.tenancy import unscoped
from leads.models import Consent, Lead
from leads.phones import time_zone_for_phone

ALLOWED, DEFERRED, BLOCKED = "allowed", "deferred", "blocked"

# Calls and ringless voicemail share consent: a ringless drop is a prerecorded call (FCC 22-85).
# SMS consent covers neither.
CONSENT_COVERS = {
    Channel.SMS: {Channel.SMS},
    Channel.CALL: {Channel.CALL, Channel.VOICEMAIL},
    Channel.VOICEMAIL: {Channel.VOICEMAIL, Channel.CALL},
}
PHONE_CHANNELS = (Channel.SMS, Channel.CALL, Channel.VOICEMAIL)


@dataclass(frozen=True)
class Verdict:
    outcome: str  # allowed, deferred or blocked
    reason: str = ""  # in plain words, for the timeline and the rep
    code: str = ""  # stable, for code and reports
    not_before: datetime | None = None  # when deferred: the window's next opening (UTC)

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED

    @property
    def blocked(self) -> bool:
        return self.outcome == BLOCKED

    @property
    def deferred(self) -> bool:
        return self.outcome == DEFERRED


@dataclass(frozen=True)
class SendFacts:
    """The suppressions and consents `check_send` reads, loaded for many leads in two queries, so
    a batch of sends is checked without a query per lead. Without it, check_send asks the database.
    """

    suppressed: frozenset[tuple[int, str, str]]  # (workspace id, channel, address hash)
    consented: frozenset[tuple[int, str]]  # (lead id, channel)

    @classmethod
    def load(cls, sends: Iterable[tuple[Lead, str]]) -> SendFacts:
        """The facts for these (lead, channel) pairs, whatever their workspaces."""
        sends = list(sends)
        hashes = {address_hash(address_for(lead, channel)) for lead, channel in sends}
        hashes.discard(address_hash(""))
        consent_leads = {lead.pk for lead, channel in sends if channel in CONSENT_COVERS}
        # A dispatcher batch spans workspaces: every row is matched to its own workspace below.
        with unscoped():
            suppressed = frozenset(
                Suppression.objects.filter(address_hash__in=hashes).values_list(
                    "workspace_id", "channel", "address_hash"
                )
                if hashes
                else ()
            )
            consented = frozenset(
                Consent.objects.filter(lead_id__in=consent_leads).values_list("lead_id", "channel")
                if consent_leads
                else ()
            )
        return cls(suppressed, consented)

    def is_suppressed(self, *, workspace, channel: str, address: str) -> bool:
        return (workspace.pk, channel, address_hash(address)) in self.suppressed

    def has_consent(self, *, lead: Lead, channel: str) -> bool:
        return any((lead.pk, covering) in self.consented for covering in CONSENT_COVERS[channel])


def channel_settings(workspace) -> ChannelSettings:
    """The workspace's channel settings, created with safe defaults on first use."""
    found, _ = ChannelSettings.objects.get_or_create(workspace=workspace)
    return found


def channel_settings_for(workspaces: Iterable) -> dict[int, ChannelSettings]:
    """Channel settings by workspace id for many workspaces: one query when all exist."""
    workspaces = {workspace.pk: workspace for workspace in workspaces}
    with unscoped():  # a dispatcher batch spans workspaces; filtered by their ids
        found = {
            row.workspace_id: row
            for row in ChannelSettings.objects.filter(workspace_id__in=workspaces)
        }
    for workspace_id, workspace in workspaces.items():
        if workspace_id not in found:
            found[workspace_id] = channel_settings(workspace)
        found[workspace_id].workspace = workspace
    return found


def address_for(lead: Lead, channel: str) -> str:
    return (lead.email if channel == Channel.EMAIL else lead.phone) or ""


def lead_time_zone(lead: Lead, workspace) -> zoneinfo.ZoneInfo:
    """The lead's own zone, else the phone number's, else the workspace's."""
    # One by one: parsing the phone number costs more than the rest of a send's checks.
    finders = (
        lambda: lead.time_zone,
        lambda: time_zone_for_phone(lead.phone),
        lambda: workspace.time_zone,
    )
    for find in finders:
        name = find()
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def check_send(
    *,
    workspace,
    lead: Lead,
    channel: str,
    now: datetime | None = None,
    settings: ChannelSettings | None = None,
    facts: SendFacts | None = None,
) -> Verdict:
    """May this lead be reached on this channel now? Blocks first, then the clock.

    Quiet hours hold texts, calls and voicemail drops, whoever sends them. Email is not held:
    a confirmation answers the lead's own inquiry at once, whatever the hour; a cadence step that
    should land in the working day sets its own send window. A batch passes `facts` it loaded for
    all its leads; the rules are the same.
    """
    settings = settings or channel_settings(workspace)
    address = address_for(lead, channel)
    label = Channel(channel).in_a_sentence
    if not address:
        noun = "email address" if channel == Channel.EMAIL else "phone number"
        return Verdict(BLOCKED, f"The lead has no {noun}.", "no_address")
    if getattr(lead, f"do_not_{channel}"):
        return Verdict(BLOCKED, f"The lead asked not to be contacted by {label}.", "opted_out")
    suppressed = facts.is_suppressed if facts is not None else is_suppressed
    if suppressed(workspace=workspace, channel=channel, address=address):
        return Verdict(
            BLOCKED, f"{address} is on the workspace's {label} suppression list.", "suppressed"
        )
    if settings.consent_required(channel) and not (
        facts.has_consent(lead=lead, channel=channel)
        if facts is not None
        else _has_consent(workspace, lead, channel)
    ):
        return Verdict(
            BLOCKED,
            f"No recorded consent for {label}: the workspace requires it before sending.",
            "no_consent",
        )
    if channel in PHONE_CHANNELS:
        opening = next_window_opening(workspace=workspace, lead=lead, settings=settings, now=now)
        if opening is not None:
            local = opening.astimezone(lead_time_zone(lead, workspace))
            return Verdict(
                DEFERRED,
                f"Outside quiet hours: will send at {local:%H:%M} lead time ({local:%a %d %b}).",
                "quiet_hours",
                opening,
            )
    return Verdict(ALLOWED)


def _has_consent(workspace, lead: Lead, channel: str) -> bool:
    return Consent.objects.filter(
        workspace=workspace, lead=lead, channel__in=CONSENT_COVERS[channel]
    ).exists()


def next_window_opening(
    *, workspace, lead: Lead, settings: ChannelSettings, now: datetime | None = None
) -> datetime | None:
    """None when the lead's local time is inside the send window, else when it next opens.

    Local wall-clock times are built in the lead's zone, so a DST change moves the UTC instant,
    never the local 08:00.
    """
    zone = lead_time_zone(lead, workspace)
    local_now = (now or timezone.now()).astimezone(zone)
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    current = local_now.time().replace(tzinfo=None)
    if start <= current < end:
        return None
    day = local_now.date() if current < start else local_now.date() + timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone).astimezone(zoneinfo.ZoneInfo("UTC"))
