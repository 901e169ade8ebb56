"""Lead sources: create, edit, switch on and off, and the hosted form's secret address."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet

from leadfollow.errors import Conflict, InvalidInput, NotFound
from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import unscoped
from leads.models import Channel, LeadSource
from leads.selectors import get_source

logger = logging.getLogger(__name__)

EDITABLE = (
    "name",
    "kind",
    "consent_text",
    "consent_channels",
    "thank_you_message",
    "redirect_url",
)
NAME_LIMIT = 120
TEXT_LIMIT = 2000


class SourceNameTaken(Conflict):
    default_code = "source_name_taken"


def sources_overview(*, workspace: Workspace) -> QuerySet[LeadSource]:
    """The workspace's sources by name, each with `lead_count` and `last_lead_at`."""
    return (
        LeadSource.objects.filter(workspace=workspace)
        .annotate(lead_count=Count("leads"), last_lead_at=Max("leads__created_at"))
        .order_by("-is_active", "name")
    )


def get_form_source(*, token: str) -> LeadSource:
    """The active web-form source behind a public form address, or NotFound.

    The address is the only key a visitor has, so this reads across workspaces; the caller
    opens the source's workspace scope before doing anything with it.
    """
    with unscoped():  # a visitor has no workspace: the unguessable token picks it
        source = (
            LeadSource.objects.select_related("workspace")
            .filter(form_token=token, kind=LeadSource.Kind.FORM, is_active=True)
            .first()
        )
    if source is None:
        raise NotFound("This form is not available.")
    return source


def _check(values: dict) -> dict:
    """Trim the texts and check what a form cannot; raise InvalidInput naming the field."""
    values = dict(values)
    channels = values.pop("consent_channels", None)
    clean = {key: (value or "").strip() for key, value in values.items()}
    if channels is not None:
        if not isinstance(channels, list | tuple) or set(channels) - set(Channel.values):
            raise InvalidInput(
                "Choose among email, SMS, call and ringless voicemail.", field="consent_channels"
            )
        clean["consent_channels"] = [c for c in Channel.values if c in channels]
        if not channels and clean.get("consent_text"):
            raise InvalidInput(
                "Tick what the checkbox agrees to, or leave its wording empty.",
                field="consent_channels",
            )
    if "name" in clean:
        if not clean["name"]:
            raise InvalidInput("Give the source a name.", field="name")
        if len(clean["name"]) > NAME_LIMIT:
            raise InvalidInput(f"Keep the name under {NAME_LIMIT} characters.", field="name")
    if "kind" in clean and clean["kind"] not in LeadSource.Kind.values:
        raise InvalidInput("Choose API, web form, CSV import or by hand.", field="kind")
    for name in ("consent_text", "thank_you_message"):
        if len(clean.get(name, "")) > TEXT_LIMIT:
            raise InvalidInput(f"Keep it under {TEXT_LIMIT} characters.", field=name)
    url = clean.get("redirect_url")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidInput(
                "Use a full web address starting with https:// (or http://).",
                field="redirect_url",
            )
    return clean


def _save(source: LeadSource, fields: list[str] | None = None) -> LeadSource:
    try:
        with transaction.atomic():
            source.save(update_fields=fields)
    except IntegrityError as exc:
        raise SourceNameTaken(
            f"There is already a source called “{source.name}”. Choose another name.",
            field="name",
        ) from exc
    return source


def create_source(
    *,
    workspace: Workspace,
    name: str,
    kind: str = LeadSource.Kind.FORM,
    consent_text: str = "",
    consent_channels: list[str] | None = None,
    thank_you_message: str = "",
    redirect_url: str = "",
    actor: Membership | None = None,
) -> LeadSource:
    """Add a lead source. Raises SourceNameTaken when the workspace already has the name."""
    clean = _check(
        {
            "name": name,
            "kind": kind,
            "consent_text": consent_text,
            "thank_you_message": thank_you_message,
            "redirect_url": redirect_url,
            **({"consent_channels": consent_channels} if consent_channels is not None else {}),
        }
    )
    source = _save(LeadSource(workspace=workspace, **clean))
    logger.info("lead source created source=%s actor=%s", source.pk, actor.pk if actor else None)
    return source


def update_source(
    *, workspace: Workspace, source_id: int, changes: dict, actor: Membership | None = None
) -> LeadSource:
    """Change a source's name, kind, consent wording, thank-you message or redirect."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    source = get_source(workspace=workspace, source_id=source_id)
    clean = _check(changes)
    for name, value in clean.items():
        setattr(source, name, value)
    _save(source, list(clean))
    logger.info("lead source updated source=%s actor=%s", source.pk, actor.pk if actor else None)
    return source


def set_source_active(
    *, workspace: Workspace, source_id: int, is_active: bool, actor: Membership | None = None
) -> LeadSource:
    """Switch a source off (its form answers 404) or back on. Safe to call twice."""
    source = get_source(workspace=workspace, source_id=source_id)
    if source.is_active != is_active:
        source.is_active = is_active
        source.save(update_fields=["is_active"])
        logger.info(
            "lead source active=%s source=%s actor=%s",
            is_active,
            source.pk,
            actor.pk if actor else None,
        )
    return source


def regenerate_form_token(
    *, workspace: Workspace, source_id: int, actor: Membership | None = None
) -> LeadSource:
    """Give the source's form a new address; the old address stops working at once."""
    source = get_source(workspace=workspace, source_id=source_id)
    source.form_token = LeadSource._meta.get_field("form_token").get_default()
    source.save(update_fields=["form_token"])
    logger.info("form token regenerated source=%s actor=%s", source.pk, actor.pk if actor else None)
    return source
