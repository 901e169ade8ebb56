from django.core.management.base import BaseCommand, CommandError

from leadfollow.errors import DomainError
from leadfollow.selectors import get_workspace_by_slug
from leadfollow.services.api_keys import create_api_key
from leadfollow.tenancy import workspace_scope


class Command(BaseCommand):
    help = "Create an API key for a lead source and print it once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("workspace", help="the workspace's slug")
        parser.add_argument("name", help="what uses the key, e.g. 'Website form'")

    def handle(self, *args, workspace: str, name: str, **options) -> None:
        try:
            found = get_workspace_by_slug(slug=workspace)
            with workspace_scope(found):
                issued = create_api_key(workspace=found, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            f"API key “{issued.api_key.name}” for {found.name}. It is shown only once:"
        )
        self.stdout.write(issued.secret)
