"""Configure a workspace's provider from the shell, for scripted deployments.

    manage.py set_provider acme twilio --account-sid AC… --auth-token … --number +14155550100 \
        --use-for sms,call
    manage.py set_provider acme sendgrid --api-key SG.… --from-email sales@acme.example \
        --use-for email
    manage.py set_provider acme outbox --use-for email,sms,call,voicemail
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from channels.models import CHANNEL_PROVIDERS, Channel, Provider
from channels.providers import PROVIDER_FIELDS, provider_fields
from channels.services import providers as service
from leadfollow.errors import DomainError
from leadfollow.selectors import get_workspace_by_slug
from leadfollow.tenancy import workspace_scope

SENDER_OPTIONS = ("from_name", "from_email", "reply_domain")


class Command(BaseCommand):
    help = "Set a workspace's provider credentials, numbers and which channels use it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("workspace", help="the workspace's slug")
        parser.add_argument("provider", choices=[p.value for p in Provider])
        names = sorted({field.name for fields in PROVIDER_FIELDS.values() for field in fields})
        for name in names:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None)
        for name in SENDER_OPTIONS:
            parser.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None)
        parser.add_argument(
            "--number",
            action="append",
            default=[],
            help="a sending number the workspace owns at the provider (repeat for several)",
        )
        parser.add_argument(
            "--use-for",
            default="",
            help="comma-separated channels to send through this provider: "
            + ", ".join(c.value for c in Channel),
        )

    def handle(self, *args, workspace: str, provider: str, **options) -> None:
        try:
            found = get_workspace_by_slug(slug=workspace)
            with workspace_scope(found):
                self._configure(found, provider, options)
        except DomainError as exc:
            details = "; ".join(
                f"{field}: {' '.join(messages)}" for field, messages in (exc.errors or {}).items()
            )
            raise CommandError(details or exc.message) from exc

    def _configure(self, workspace, provider: str, options: dict) -> None:
        fields = provider_fields(provider)
        known = {field.name for field in fields}
        stray = [
            name
            for fields_of in PROVIDER_FIELDS.values()
            for field in fields_of
            if (name := field.name) not in known and options.get(name) is not None
        ]
        if stray:
            raise CommandError(f"{provider} takes no --{stray[0].replace('_', '-')}.")
        if fields and any(options.get(field.name) is not None for field in fields):
            current = service.provider_account(workspace=workspace, provider=provider)
            values = dict(current.options) if current else {}
            values.update({f.name: options[f.name] for f in fields if options.get(f.name)})
            account = service.save_provider_account(
                workspace=workspace, provider=provider, values=values
            )
            missing = service.missing_fields(account)
            self.stdout.write(
                f"{provider}: saved"
                + (f"; still missing {', '.join(missing)}" if missing else "; ready")
            )
        for number in options["number"]:
            phone = service.add_phone_number(workspace=workspace, number=number, provider=provider)
            self.stdout.write(f"{phone.number}: added" + (" (default)" if phone.is_default else ""))
        changes = {name: options[name] for name in SENDER_OPTIONS if options.get(name) is not None}
        for channel in filter(None, (c.strip() for c in options["use_for"].split(","))):
            if channel not in Channel.values:
                raise CommandError(f"Unknown channel {channel!r}: use {', '.join(Channel.values)}.")
            if provider not in CHANNEL_PROVIDERS[channel]:
                raise CommandError(f"{provider} cannot send {channel}.")
            changes[f"{channel}_provider"] = provider
        if changes:
            service.update_channel_settings(workspace=workspace, changes=changes)
            self.stdout.write("channel settings: " + ", ".join(sorted(changes)))
