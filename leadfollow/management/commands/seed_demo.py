"""Create (or refresh) the demo workspace. Safe to run again: nothing is duplicated."""

from django.core.management.base import BaseCommand
from django.db import transaction

from leadfollow.models import Membership, Role, User, Workspace
from leadfollow.tenancy import workspace_scope

DEMO_SLUG = "demo"
DEMO_PASSWORD = "leadfollow-demo"
DEMO_PEOPLE = [
    ("owner@demo.leadfollow.test", "Olivia", "Owens", Role.OWNER),
    ("manager@demo.leadfollow.test", "Marcus", "Reed", Role.MANAGER),
    ("rep1@demo.leadfollow.test", "Rosa", "Alvarez", Role.REP),
    ("rep2@demo.leadfollow.test", "Sam", "Carter", Role.REP),
]


class Command(BaseCommand):
    help = "Create the demo workspace (slug 'demo') with an owner, a manager and two reps."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        workspace, _ = Workspace.objects.get_or_create(
            slug=DEMO_SLUG,
            defaults={
                "name": "Brightside Solar (demo)",
                "time_zone": "America/New_York",
                "default_region": "US",
            },
        )
        with workspace_scope(workspace):
            for email, first, last, role in DEMO_PEOPLE:
                user = User.objects.filter(email=email).first()
                if user is None:
                    user = User.objects.create_user(email, DEMO_PASSWORD)
                user.first_name, user.last_name = first, last
                user.current_workspace = workspace
                user.set_password(DEMO_PASSWORD)
                user.save()
                Membership.objects.update_or_create(
                    workspace=workspace, user=user, defaults={"role": role, "is_active": True}
                )
        self.stdout.write(self.style.SUCCESS(f"Demo workspace “{workspace.name}” is ready."))
        self.stdout.write(f"Log in with any of these (password: {DEMO_PASSWORD}):")
        for email, _first, _last, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<8} {email}")
