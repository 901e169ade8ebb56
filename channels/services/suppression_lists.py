"""The workspace's do-not-contact list as managers keep it: add one address, upload a list,
remove what a manager added. Every entry is a Suppression (a hash of the address, never the
address itself), so the send path checks manual entries exactly like opt-outs and bounces."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet

from channels.models import Channel, Suppression
from channels.services.suppression import EMAIL_CHANNELS, PHONE_CHANNELS, address_hash
from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leads.models import Activity, Lead
from leads.phones import PhoneInvalid, parse_phone
from leads.services.activities import log_activity

EVERY = "all"  # every channel the address can be reached on
CHANNEL_CHOICES = [
    (EVERY, "All channels"),
    (Channel.EMAIL, "Email"),
    (Channel.SMS, "Texts (SMS)"),
    (Channel.CALL, "Calls"),
    (Channel.VOICEMAIL, "Ringless voicemail"),
]
CHANNEL_HELP = "All channels: email for an email address; texts, calls and voicemail for a phone."
CHANNEL_NOUNS = {"email": "email", "sms": "texts", "call": "calls", "voicemail": "voicemail"}
MAX_UPLOAD_BYTES = 1_000_000
MAX_UPLOAD_LINES = 20_000
EMAIL_HEADERS = {"email", "e-mail", "email address", "e-mail address"}
PHONE_HEADERS = {"phone", "phone number", "mobile", "mobile phone", "telephone", "number"}
ADDED, REMOVED = "do_not_contact_added", "do_not_contact_removed"
# Why entries other than a manager's own cannot be removed here, in the list page's words too.
NOT_REMOVABLE = {
    Suppression.Reason.OPT_OUT: "The person asked to stop; only they can undo that.",
    Suppression.Reason.BOUNCE: "The address bounced; sending again would hurt your email delivery.",
    Suppression.Reason.SPAM: "The person marked an email as spam; they must not get another.",
    Suppression.Reason.ERASED: "The person's data was erased; they must stay unreachable.",
}


@dataclass(frozen=True)
class Address:
    kind: str  # "email" or "phone"
    value: str  # lower-cased email or E.164 number

    @property
    def label(self) -> str:
        return mask_address(self.value)


@dataclass(frozen=True)
class AddResult:
    label: str
    added: tuple[str, ...]  # channels newly on the list; empty when all were there already
    leads_flagged: int


@dataclass(frozen=True)
class InvalidLine:
    line: int
    text: str
    reason: str


@dataclass(frozen=True)
class UploadResult:
    added: int
    already: int
    leads_flagged: int
    invalid: list[InvalidLine] = field(default_factory=list)


def mask_address(address: str) -> str:
    """A hint for people reading the list: d***@example.com, +1415***2671."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"[:120]
    return f"{address[:5]}***{address[-4:]}" if len(address) > 9 else "***"


def read_address(*, workspace: Workspace, raw: str) -> Address:
    """An email or a phone number as typed, normalised the way leads store them."""
    text = raw.strip()
    if not text:
        raise InvalidInput("Type an email address or a phone number.", field="address")
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise InvalidInput(f"“{text}” is not an email address.", field="address") from None
        return Address("email", text.lower())
    try:
        parsed = parse_phone(text, default_region=workspace.default_region)
    except PhoneInvalid as exc:
        raise InvalidInput(str(exc), field="address") from None
    return Address("phone", parsed.e164)


def channels_for(address: Address, choice: str) -> tuple[str, ...]:
    """The channels a choice covers for this kind of address; a mismatch says what fits."""
    fits = EMAIL_CHANNELS if address.kind == "email" else PHONE_CHANNELS
    if choice == EVERY:
        return fits
    if choice not in fits:
        words = (
            "An email address can only be blocked from email."
            if address.kind == "email"
            else "A phone number cannot get email: choose texts, calls, voicemail or every channel."
        )
        raise InvalidInput(words, field="channel")
    return (choice,)


def find_hash(*, workspace: Workspace, raw: str) -> str:
    """The fingerprint to search the list by: the list keeps no addresses, only their hashes."""
    return address_hash(read_address(workspace=workspace, raw=raw).value)


def do_not_contact_entries(
    *, workspace: Workspace, channel: str = "", reason: str = "", digest: str = ""
) -> QuerySet[Suppression]:
    """The list, newest first, filtered by channel, reason and an exact address's hash."""
    entries = Suppression.objects.filter(workspace=workspace)
    if channel:
        entries = entries.filter(channel=channel)
    if reason:
        entries = entries.filter(reason=reason)
    if digest:
        entries = entries.filter(address_hash=digest)
    return entries.order_by("-created_at", "-pk")


@transaction.atomic
def add_to_do_not_contact(
    *, workspace: Workspace, address: str, channel: str, actor: Membership | None = None
) -> AddResult:
    """Put one address on the list for the chosen channels and flag the leads using it.

    Safe to call twice: channels already on the list are left as they are.
    """
    parsed = read_address(workspace=workspace, raw=address)
    wanted = channels_for(parsed, channel)
    added, flagged = _suppress(workspace, [(parsed, wanted)], actor)
    return AddResult(parsed.label, added.get(parsed.value, ()), flagged)


@transaction.atomic
def upload_do_not_contact(
    *, workspace: Workspace, content: bytes, channel: str, actor: Membership | None = None
) -> UploadResult:
    """Add every address of an uploaded list (one per line, or an email/phone column).

    Lines that are not an address are listed back, not added; the rest are added in one go.
    """
    entries, invalid, seen = [], [], set()
    for number, text in _lines(content):
        try:
            parsed = read_address(workspace=workspace, raw=text)
            wanted = channels_for(parsed, channel)
        except InvalidInput as exc:
            invalid.append(InvalidLine(number, text[:120], exc.message))
            continue
        if parsed.value not in seen:
            seen.add(parsed.value)
            entries.append((parsed, wanted))
    added, flagged = _suppress(workspace, entries, actor)
    fresh = sum(1 for parsed, _ in entries if added.get(parsed.value))
    return UploadResult(
        added=fresh, already=len(entries) - fresh, leads_flagged=flagged, invalid=invalid
    )


@transaction.atomic
def remove_from_do_not_contact(
    *, workspace: Workspace, suppression_id: int, actor: Membership | None = None
) -> Suppression:
    """Take a manager's entry off the list. Opt-outs, bounces, spam reports and erasures stay.

    Leads this list flagged get their flag back off; a flag set any other way stays.
    """
    entry = Suppression.objects.select_for_update().filter(workspace=workspace, pk=suppression_id)
    entry = entry.first()
    if entry is None:
        raise NotFound("That entry is not on this workspace's list.")
    if entry.reason != Suppression.Reason.MANUAL:
        raise Conflict(
            f"{entry.get_reason_display()} entries cannot be removed. "
            + NOT_REMOVABLE.get(entry.reason, ""),
            code="not_removable",
        )
    entry.delete()
    for lead in _leads_flagged_by(workspace, entry):
        Lead.objects.filter(workspace=workspace, pk=lead.pk).update(**{_flag(entry.channel): False})
        log_activity(
            workspace=workspace,
            lead=lead,
            kind=REMOVED,
            channel=entry.channel,
            summary=f"Taken off the do-not-contact list for {CHANNEL_NOUNS[entry.channel]}",
            payload={"channels": [entry.channel], "address_hash": entry.address_hash},
            actor=actor,
        )
    return entry


def _suppress(
    workspace: Workspace, entries: list[tuple[Address, tuple[str, ...]]], actor
) -> tuple[dict[str, tuple[str, ...]], int]:
    """Add the missing (channel, address) rows in one insert; flag and tell the leads using them.

    Returns the channels newly added per address value, and how many leads were flagged.
    """
    digests = {parsed.value: address_hash(parsed.value) for parsed, _ in entries}
    existing = set(
        Suppression.objects.filter(
            workspace=workspace, address_hash__in=set(digests.values())
        ).values_list("channel", "address_hash")
    )
    added: dict[str, tuple[str, ...]] = {}
    rows = []
    for parsed, wanted in entries:
        digest = digests[parsed.value]
        fresh = tuple(each for each in wanted if (each, digest) not in existing)
        if fresh:
            added[parsed.value] = fresh
            rows += [
                Suppression(
                    workspace=workspace,
                    channel=each,
                    address_hash=digest,
                    label=parsed.label,
                    reason=Suppression.Reason.MANUAL,
                )
                for each in fresh
            ]
    Suppression.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent add is fine
    return added, _flag_leads(workspace, added, digests, actor)


def _flag_leads(workspace, added: dict[str, tuple[str, ...]], digests, actor) -> int:
    emails = [value for value in added if "@" in value]
    phones = [value for value in added if "@" not in value]
    leads = Lead.objects.filter(workspace=workspace, email__in=emails) | Lead.objects.filter(
        workspace=workspace, phone__in=phones
    )
    flagged = 0
    for lead in leads.distinct():
        values = [value for value in (lead.email, lead.phone) if value in added]
        newly = [each for value in values for each in added[value]]
        newly = [each for each in newly if not getattr(lead, _flag(each))]
        if not newly:
            continue
        Lead.objects.filter(workspace=workspace, pk=lead.pk).update(
            **{_flag(each): True for each in newly}
        )
        nouns = ", ".join(CHANNEL_NOUNS[each] for each in newly)
        log_activity(
            workspace=workspace,
            lead=lead,
            kind=ADDED,
            channel=newly[0] if len(newly) == 1 else "",
            summary=f"Put on the do-not-contact list for {nouns}",
            # The flags this list turned on: removing an entry turns off these and no others.
            payload={"channels": newly, "address_hashes": [digests[value] for value in values]},
            actor=actor,
        )
        flagged += 1
    return flagged


def _leads_flagged_by(workspace: Workspace, entry: Suppression) -> list[Lead]:
    field_name = "email" if entry.channel in EMAIL_CHANNELS else "phone"
    candidates = Lead.objects.filter(workspace=workspace, **{_flag(entry.channel): True})
    matching = [
        lead
        for lead in candidates.only("pk", field_name)
        if getattr(lead, field_name)
        and address_hash(getattr(lead, field_name)) == entry.address_hash
    ]
    flagged_here = []
    for lead in matching:
        latest = (
            Activity.objects.filter(workspace=workspace, lead=lead, kind__in=[ADDED, REMOVED])
            .order_by("-occurred_at", "-pk")
            .values_list("kind", "payload")
        )
        for kind, payload in latest:
            hashes = payload.get("address_hashes") or [payload.get("address_hash")]
            if entry.channel in payload.get("channels", ()) and entry.address_hash in hashes:
                if kind == ADDED:
                    flagged_here.append(lead)
                break
    return flagged_here


def _flag(channel: str) -> str:
    return f"do_not_{channel}"


def _lines(content: bytes) -> list[tuple[int, str]]:
    """(line number, text) of each address in an uploaded list."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB: split it into smaller "
            "files.",
            field="file",
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "The file is not plain text: save it as CSV (UTF-8) or as a .txt file.", field="file"
        ) from None
    rows = list(csv.reader(io.StringIO(text), _dialect(text)))
    if len(rows) > MAX_UPLOAD_LINES:
        raise InvalidInput(
            f"The file has more than {MAX_UPLOAD_LINES:,} lines: split it into smaller files.",
            field="file",
        )
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    columns = [i for i, name in enumerate(header) if name in EMAIL_HEADERS | PHONE_HEADERS]
    if len(header) > 1 and not columns:
        raise InvalidInput(
            "The file has several columns but none is named “email” or “phone”: name the "
            "column, or upload one address per line.",
            field="file",
        )
    start = 1 if columns else 0
    columns = columns or [0]
    return [
        (number, row[column].strip())
        for number, row in enumerate(rows[start:], start=start + 1)
        for column in columns
        if column < len(row) and row[column].strip()
    ]


def _dialect(text: str):
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:  # one column: no delimiter to find
        return csv.excel
