import pytest
from django.core.management import call_command

from leadfollow.models import Membership, Workspace
from leadfollow.tenancy import workspace_scope
from leads.models import Activity, Consent, Lead, LeadSource

pytestmark = pytest.mark.django_db

UNNAMED_OWNER = {"Dana", "Luis", "Ethan", "Noah"}


def _counts() -> dict[str, int]:
    workspace = Workspace.objects.get(slug="demo")
    with workspace_scope(workspace):
        return {
            "members": Membership.objects.count(),
            "sources": LeadSource.objects.count(),
            "leads": Lead.objects.count(),
            "activities": Activity.objects.count(),
            "consents": Consent.objects.count(),
        }


def _seed(capsys) -> str:
    call_command("seed_demo")
    return capsys.readouterr().out


def test_seed_demo_twice_creates_nothing_new(capsys):
    _seed(capsys)
    first = _counts()
    _seed(capsys)
    assert _counts() == first


def test_seed_demo_creates_varied_leads_through_intake(capsys):
    _seed(capsys)
    workspace = Workspace.objects.get(slug="demo")
    with workspace_scope(workspace):
        leads = list(Lead.objects.all())
        assert len(leads) == 25
        assert len({lead.status for lead in leads}) == len(Lead.Status.values)
        assert len({lead.time_zone for lead in leads}) >= 5
        assert Activity.objects.filter(kind=Activity.Kind.RE_INQUIRY).count() == 3
        assert Activity.objects.filter(kind=Activity.Kind.NOTE).exists()
        form = LeadSource.objects.get(name="Website contact form")
        assert form.kind == "form"
        assert "Reply STOP" in form.consent_text


def test_seed_demo_prints_the_logins(capsys):
    out = _seed(capsys)
    assert "rep1@demo.leadfollow.test" in out
    assert "leadfollow-demo" in out


def test_seed_demo_routes_every_new_lead_to_the_round_robin_team(
    capsys, django_capture_on_commit_callbacks
):
    from scoring.models import LeadScore, SlaClock, Team

    with django_capture_on_commit_callbacks(execute=True):
        _seed(capsys)
    workspace = Workspace.objects.get(slug="demo")
    with workspace_scope(workspace):
        team = Team.objects.get()
        reps = {seat.membership_id for seat in team.members.all()}
        # The demo's leads without a named owner are the routing team's.
        routed = [lead for lead in Lead.objects.all() if lead.first_name in UNNAMED_OWNER]
        assert len(routed) == len(UNNAMED_OWNER)
        assert {lead.owner_id for lead in routed} == reps
        assert LeadScore.objects.count() == Lead.objects.count()
        assert SlaClock.objects.exists()


def test_seed_demo_enrolls_new_leads_in_speed_to_lead(capsys, django_capture_on_commit_callbacks):
    import time_machine

    from cadences.models import Cadence, Enrollment, Touch
    from channels.models import Message

    # Wednesday 10 June 2026, 17:00 UTC: inside every US demo lead's send window.
    with (
        time_machine.travel("2026-06-10T17:00:00Z", tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        _seed(capsys)
    workspace = Workspace.objects.get(slug="demo")
    with workspace_scope(workspace):
        speed = Cadence.objects.get(preset="speed-to-lead")
        assert Cadence.objects.count() == 4
        assert (speed.auto_enroll, speed.exclusive_group) == (True, "new-leads")
        confirmation = Touch.objects.filter(
            enrollment__cadence=speed, sequence=1, status="sent"
        ).first()
        assert confirmation is not None
        lead = confirmation.enrollment.lead
        assert Enrollment.objects.filter(lead=lead, cadence=speed).exists()
        message = Message.objects.get(pk=confirmation.message_id)
        assert (message.provider, message.channel, message.to_address) == (
            "outbox",
            "email",
            lead.email,
        )
        assert message.subject.startswith("We got your request")
