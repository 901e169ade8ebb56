"""A rep's own email or text to a lead, written on the lead page with template variables."""

from __future__ import annotations

from dataclasses import dataclass

from cadences import templating
from channels.compliance import Verdict, check_send
from channels.conversations import last_inbound
from channels.models import Channel
from channels.services.sending import BLOCKED, DEFERRED, Outgoing, SendOutcome, send_message
from leadfollow.errors import InvalidInput
from leadfollow.models import Membership, Workspace
from leads.models import Lead

REPLY_CHANNELS = (Channel.EMAIL, Channel.SMS)


@dataclass(frozen=True)
class ReplyDraft:
    """The reply as the lead will read it."""

    channel: str
    subject: str
    text: str
    html: str


def render_reply(
    *, workspace: Workspace, lead: Lead, channel: str, subject: str, body: str
) -> ReplyDraft:
    """Fill `{{ lead.first_name }}`-style variables for this lead. Raises InvalidInput for a
    template mistake or a variable the lead has no value for (and no fallback)."""
    if channel not in REPLY_CHANNELS:
        raise InvalidInput("Reply by email or by text.", field="channel")
    if not body.strip():
        raise InvalidInput("Write the message first.", field="body")
    if channel == Channel.EMAIL and not subject.strip():
        raise InvalidInput("Give the email a subject.", field="subject")
    subject = subject if channel == Channel.EMAIL else ""
    for field, text in (("subject", subject), ("body", body)):
        errors = templating.validate(text)
        if errors:
            raise InvalidInput(" ".join(str(error) for error in errors), field=field)
    used = templating.variables_used(subject) | templating.variables_used(body)
    context = templating.build_context(
        lead=lead,
        owner_membership=lead.owner,
        workspace=workspace,
        # Proposing meeting times reads the owner's hours and time off: only when asked for.
        meeting_slots=None if any(name.startswith("meeting.") for name in used) else (),
    )
    filled_subject = templating.render(subject, context)
    filled_body = templating.render(body, context)
    missing = sorted(set(filled_subject.missing) | set(filled_body.missing))
    if missing:
        names = ", ".join(missing)
        raise InvalidInput(
            f"This lead has no value for {names}: remove it or add a fallback, "
            f'e.g. {{{{ {missing[0]} | "there" }}}}.',
            field="body",
        )
    html = templating.render_html(body, context).text if channel == Channel.EMAIL else ""
    return ReplyDraft(channel, filled_subject.text.strip(), filled_body.text, html)


def send_reply(
    *,
    workspace: Workspace,
    lead: Lead,
    draft: ReplyDraft,
    actor: Membership,
    send_id: str,
    verdict: Verdict | None = None,
) -> SendOutcome:
    """Send the rep's reply now, or say why not (deferred or blocked) without writing anything.

    `send_id` names this one composed reply: a double click or a resubmitted form sends once.
    It answers the lead's latest message on the channel, so the reply threads under it.
    """
    verdict = verdict or check_send(workspace=workspace, lead=lead, channel=draft.channel)
    if verdict.deferred:
        return SendOutcome(DEFERRED, verdict=verdict, reason=verdict.reason)
    if verdict.blocked:
        return SendOutcome(BLOCKED, verdict=verdict, reason=verdict.reason)
    answered = last_inbound(workspace=workspace, lead_id=lead.pk, channel=draft.channel)
    return send_message(
        workspace=workspace,
        lead=lead,
        outgoing=Outgoing(
            channel=draft.channel, text=draft.text, subject=draft.subject, html=draft.html
        ),
        dedupe_key=f"reply:{lead.pk}:{send_id}"[:120],
        actor=actor,
        automated=False,
        in_reply_to=answered,
        verdict=verdict,
    )


def default_subject(*, workspace: Workspace, lead: Lead) -> str:
    """ "Re: <their last email's subject>" when the lead wrote to us by email, else blank."""
    answered = last_inbound(workspace=workspace, lead_id=lead.pk, channel=Channel.EMAIL)
    if answered is None or not answered.subject:
        return ""
    subject = answered.subject
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"
