"""A touch's message: the step's template (or its A/B variant) filled in for the lead."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from cadences import templating
from cadences.models import Step, Touch
from channels.models import Message
from channels.services.sending import Outgoing, new_token
from channels.unsubscribe import unsubscribe_url


@dataclass(frozen=True)
class RenderedTouch:
    outgoing: Outgoing
    subject: str
    text: str
    variant: int | None
    missing: list[str] = field(default_factory=list)


def render_touch(*, workspace, touch: Touch, now: datetime) -> RenderedTouch:
    step: Step = touch.step
    lead = touch.enrollment.lead
    variant = choose_variant(step, touch.pk)
    source = step.variants[variant] if variant is not None else {}
    subject_template = source.get("subject", step.subject) or ""
    body_template = source.get("body", step.body) or ""
    token = new_token()
    link = unsubscribe_url(Message(workspace=workspace, token=token))
    used = templating.variables_used(subject_template) | templating.variables_used(body_template)
    wants_meeting = any(name.startswith("meeting.") for name in used)
    context = templating.build_context(
        lead=lead,
        owner_membership=lead.owner,
        workspace=workspace,
        unsubscribe_url=link,
        now=now,
        # Proposing times reads the owner's hours and time off: only when the text uses them.
        meeting_slots=None if wants_meeting else (),
    )
    subject = templating.render(subject_template, context)
    body = templating.render(body_template, context)
    html = templating.render_html(body_template, context) if step.kind == Step.Kind.EMAIL else None
    details = {"token": token, "touch_id": touch.pk, "variant": variant}
    if step.kind == Step.Kind.VOICEMAIL_DROP:
        details.update({"mode": "drop", "audio_url": step.audio_url})
    if step.kind == Step.Kind.RINGLESS and step.audio_url:
        details["audio_url"] = step.audio_url
    outgoing = Outgoing(
        channel=step.channel,
        subject=subject.text,
        text=body.text,
        html=html.text if html else "",
        details=details,
    )
    missing = sorted(set(subject.missing) | set(body.missing))
    return RenderedTouch(outgoing, subject.text, body.text, variant, missing)


def choose_variant(step: Step, touch_id: int) -> int | None:
    """A/B: a weighted pick, stable for the touch (the same touch always gets the same variant)."""
    variants = step.variants or []
    if not variants:
        return None
    weights = [max(int(v.get("weight", 1) or 0), 0) for v in variants]
    if not any(weights):
        return 0
    return random.Random(touch_id).choices(range(len(variants)), weights=weights)[0]  # noqa: S311
