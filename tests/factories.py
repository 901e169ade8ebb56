"""One factory per model. Related factories reuse the parent's workspace."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from leadfollow.models import ApiKey, Invitation, Membership, Role, User, Workspace

TEST_PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(TEST_PASSWORD)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")
    time_zone = "America/New_York"
    default_region = "US"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.REP


class InvitationFactory(factory.django.DjangoModelFactory):
    """Pass `token=` to know the link; the factory stores only its hash, like the service."""

    class Meta:
        model = Invitation
        exclude = ["token"]

    workspace = factory.SubFactory(WorkspaceFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Role.REP
    token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    token_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.token.encode()).hexdigest())
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class ApiKeyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApiKey

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    prefix = factory.Sequence(lambda n: f"lf_{n:08x}")
    key_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(32)).hexdigest())


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.Account"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")


class LeadSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.LeadSource"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    kind = "api"


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.Lead"

    workspace = factory.SubFactory(WorkspaceFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"lead{n}@customer.example")
    phone = factory.Sequence(lambda n: f"+1212555{n:04d}")
    phone_region = "US"
    source = factory.SubFactory(LeadSourceFactory, workspace=factory.SelfAttribute("..workspace"))


class LeadImportFactory(factory.django.DjangoModelFactory):
    """An uploaded import's row. The file name points nowhere: pass `file=` to read rows."""

    class Meta:
        model = "leads.LeadImport"

    workspace = factory.SubFactory(WorkspaceFactory)
    file = factory.Sequence(lambda n: f"imports/factory/{n}.csv")
    original_name = factory.Sequence(lambda n: f"leads-{n}.csv")
    headers = factory.LazyFunction(lambda: ["Name", "Email"])
    mapping = factory.LazyFunction(lambda: ["full_name", "email"])


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "leads.Activity"

    workspace = factory.SubFactory(WorkspaceFactory)
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    kind = "note"
    summary = "Called, left a message"
    occurred_at = factory.LazyFunction(timezone.now)


class ScoringRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.ScoringRule"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Rule {n}")
    kind = "fit"
    conditions = factory.LazyFunction(lambda: {"field": "has_phone", "op": "equals", "value": True})
    points = 10


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Team"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class TeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.TeamMember"

    workspace = factory.SubFactory(WorkspaceFactory)
    team = factory.SubFactory(TeamFactory, workspace=factory.SelfAttribute("..workspace"))
    membership = factory.SubFactory(
        MembershipFactory, workspace=factory.SelfAttribute("..workspace")
    )
    position = factory.Sequence(lambda n: n)


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.RoutingRule"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Routing {n}")
    conditions = factory.LazyFunction(dict)
    position = factory.Sequence(lambda n: n)


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.SlaPolicy"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"SLA {n}")
    conditions = factory.LazyFunction(dict)
    minutes = 5


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Holiday"

    workspace = factory.SubFactory(WorkspaceFactory)
    date = factory.Sequence(lambda n: timezone.localdate() + timedelta(days=30 + n))
    name = factory.Sequence(lambda n: f"Holiday {n}")


class TimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.TimeOff"

    workspace = factory.SubFactory(WorkspaceFactory)
    membership = factory.SubFactory(
        MembershipFactory, workspace=factory.SelfAttribute("..workspace")
    )
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    ends_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))


class RuleChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.RuleChange"

    workspace = factory.SubFactory(WorkspaceFactory)
    subject = "scoring_rule"
    action = "created"
    after = factory.LazyFunction(lambda: {"name": "A rule"})


class MessageFactory(factory.django.DjangoModelFactory):
    """An email already sent to a lead (pass channel=, provider=, status= for others)."""

    class Meta:
        model = "lf_channels.Message"

    workspace = factory.SubFactory(WorkspaceFactory)
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    channel = "email"
    direction = "out"
    provider = "sendgrid"
    status = "sent"
    to_address = factory.LazyAttribute(lambda message: message.lead.email or "")
    subject = "Your roof quote"
    body_text = "Hi, here is the quote we talked about."
    token = factory.LazyFunction(lambda: secrets.token_hex(12))
    sent_at = factory.LazyFunction(timezone.now)


class CadenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cadences.Cadence"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Cadence {n}")


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "cadences.Step"

    workspace = factory.SelfAttribute("cadence.workspace")
    cadence = factory.SubFactory(CadenceFactory)
    position = factory.Sequence(lambda n: n)
    kind = "email"
    subject = 'Hello {{ lead.first_name | "there" }}'
    body = 'Hi {{ lead.first_name | "there" }}, thanks for asking about {{ workspace.name }}.'


class TaskFactory(factory.django.DjangoModelFactory):
    """An open follow-up task on a lead, due in an hour, for the lead's owner."""

    class Meta:
        model = "cadences.Task"

    workspace = factory.SubFactory(WorkspaceFactory)
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    assignee = factory.LazyAttribute(lambda task: task.lead.owner)
    kind = "follow_up"
    title = factory.Sequence(lambda n: f"Call back about the quote {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))


class SlaClockFactory(factory.django.DjangoModelFactory):
    """An open speed-to-lead clock that started now: warned in 4 minutes, due in 5."""

    class Meta:
        model = "scoring.SlaClock"

    workspace = factory.SubFactory(WorkspaceFactory)
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    started_at = factory.LazyFunction(timezone.now)
    warn_at = factory.LazyAttribute(lambda clock: clock.started_at + timedelta(minutes=4))
    due_at = factory.LazyAttribute(lambda clock: clock.started_at + timedelta(minutes=5))


class LeadScoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.LeadScore"

    workspace = factory.SubFactory(WorkspaceFactory)
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    total = 40
    band = "warm"
    computed_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "scoring.Notification"

    workspace = factory.SubFactory(WorkspaceFactory)
    recipient = factory.SubFactory(
        MembershipFactory, workspace=factory.SelfAttribute("..workspace")
    )
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    kind = "assigned"
    text = factory.LazyAttribute(lambda note: f"New lead: {note.lead.display_name}.")


class ReplyTemplateFactory(factory.django.DjangoModelFactory):
    """A saved text reply of the lead page's composer."""

    class Meta:
        model = "lf_channels.ReplyTemplate"

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Reply {n}")
    channel = "sms"
    body = 'Hi {{ lead.first_name | "there" }}, sorry I missed you.'


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A lead active in a cadence, on the cadence's first step."""

    class Meta:
        model = "cadences.Enrollment"

    workspace = factory.SelfAttribute("cadence.workspace")
    cadence = factory.SubFactory(CadenceFactory)
    lead = factory.SubFactory(LeadFactory, workspace=factory.SelfAttribute("..workspace"))
    current_step = factory.LazyAttribute(lambda enrollment: enrollment.cadence.steps.first())
    enrolled_at = factory.LazyFunction(timezone.now)


class TouchFactory(factory.django.DjangoModelFactory):
    """The enrollment's first touch, on its current step, due now and not yet claimed."""

    class Meta:
        model = "cadences.Touch"

    workspace = factory.SelfAttribute("enrollment.workspace")
    enrollment = factory.SubFactory(EnrollmentFactory)
    step = factory.SelfAttribute("enrollment.current_step")
    sequence = 1
    channel = factory.LazyAttribute(lambda touch: touch.step.channel)
    due_at = factory.LazyFunction(timezone.now)
