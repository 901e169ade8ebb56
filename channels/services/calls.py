"""Click-to-call: LeadFollow rings the rep's phone, then bridges the rep to the lead."""

from __future__ import annotations

from datetime import datetime

from channels.services.sending import Outgoing, SendOutcome, send_message
from leadfollow.errors import InvalidInput
from leadfollow.models import Membership, Workspace
from leads.models import Lead
from leads.phones import PhoneInvalid, parse_phone


def start_click_to_call(
    *,
    workspace: Workspace,
    lead: Lead,
    rep: Membership,
    rep_phone: str,
    now: datetime | None = None,
) -> SendOutcome:
    """Call the rep's phone from the workspace number; when the rep answers, dial the lead
    showing the workspace number as caller ID.

    The call is a send like any other: compliance decides first (opt-outs, do-not-call lists,
    consent and quiet hours), and the outbound call message carries the bridge details.
    Returns the send's outcome (sent, deferred, blocked or failed, with the reason in plain
    words). Raises InvalidInput for a bad rep phone.
    """
    if rep.workspace_id != workspace.pk:
        raise InvalidInput("That rep is not a member of this workspace.", field="rep")
    try:
        parsed = parse_phone(rep_phone or "", default_region=workspace.default_region)
    except PhoneInvalid as exc:
        raise InvalidInput(str(exc), field="rep_phone") from exc
    outgoing = Outgoing(
        channel="call",
        details={"mode": "bridge", "rep_phone": parsed.e164, "rep_id": rep.pk},
    )
    return send_message(
        workspace=workspace, lead=lead, outgoing=outgoing, actor=rep, automated=False, now=now
    )
