"""Saved replies: a manager writes them once, reps start their texts and emails from them."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from channels.models import Channel, ReplyTemplate
from leadfollow.errors import InvalidInput, NotFound
from leadfollow.models import Membership, Workspace


def save_reply_template(
    *,
    workspace: Workspace,
    name: str,
    channel: str,
    body: str,
    subject: str = "",
    template_id: int | None = None,
    actor: Membership | None = None,
) -> ReplyTemplate:
    """Create a reply template, or change the one `template_id` names. Names are unique in a
    workspace: a rep picks a template by its name. The caller checks the variables' syntax."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("Give the template a name.", field="name")
    if channel not in (Channel.SMS, Channel.EMAIL):
        raise InvalidInput("Choose text or email.", field="channel")
    if not body.strip():
        raise InvalidInput("Write the message.", field="body")
    if channel == Channel.EMAIL and not subject.strip():
        raise InvalidInput("Give the email a subject.", field="subject")
    if template_id is None:
        template = ReplyTemplate(workspace=workspace, created_by=actor)
    else:
        template = get_reply_template(workspace=workspace, template_id=template_id)
    template.name, template.channel, template.body = name, channel, body.strip()
    template.subject = subject.strip() if channel == Channel.EMAIL else ""
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError as exc:
        raise InvalidInput("Another template already has this name.", field="name") from exc
    return template


def delete_reply_template(*, workspace: Workspace, template_id: int) -> None:
    """Remove a template. Messages sent from it keep their text."""
    get_reply_template(workspace=workspace, template_id=template_id).delete()


def get_reply_template(*, workspace: Workspace, template_id: int) -> ReplyTemplate:
    template = ReplyTemplate.objects.filter(workspace=workspace, pk=template_id).first()
    if template is None:
        raise NotFound("No such reply template in your workspace.")
    return template
