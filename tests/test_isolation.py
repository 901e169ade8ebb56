"""Cross-workspace isolation over every route the project registers.

Every named route must be classified below. A route added without a case makes
`test_every_route_has_an_isolation_case` fail, so no page or endpoint can skip this check.

- PUBLIC: no workspace data behind it (login, health, invitation links by token).
- OBJECT: addresses one tenant-owned object by id. A member of workspace A asking for
  workspace B's object gets 404 on GET and POST, and the object is left unchanged.
- LIST: shows workspace data without an id. Workspace B's data never shows up in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.forms.models import model_to_dict
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from channels.models import Message, PhoneNumber, Suppression
from leadfollow.tenancy import unscoped
from reports.registry import all_reports
from tests.factories import (
    AccountFactory,
    ApiKeyFactory,
    CadenceFactory,
    EnrollmentFactory,
    HolidayFactory,
    InvitationFactory,
    LeadFactory,
    LeadImportFactory,
    LeadSourceFactory,
    MembershipFactory,
    MessageFactory,
    NotificationFactory,
    ReplyTemplateFactory,
    RoutingRuleFactory,
    RuleChangeFactory,
    ScoringRuleFactory,
    SlaClockFactory,
    SlaPolicyFactory,
    StepFactory,
    TaskFactory,
    TeamFactory,
    TimeOffFactory,
    TouchFactory,
)


def _outbox_message(workspace):
    lead = LeadFactory(workspace=workspace)
    return Message.objects.create(
        workspace=workspace,
        lead=lead,
        channel="email",
        direction="out",
        provider="outbox",
        status="sent",
        to_address=lead.email,
        token=f"iso{workspace.pk}",
    )


def _enrollment(workspace):
    from django.utils import timezone

    from cadences.models import Enrollment

    step = StepFactory(cadence=CadenceFactory(workspace=workspace))
    return Enrollment.objects.create(
        workspace=workspace,
        lead=LeadFactory(workspace=workspace),
        cadence=step.cadence,
        current_step=step,
        enrolled_at=timezone.now(),
    )


def _manual_suppression(workspace):
    return Suppression.objects.create(
        workspace=workspace,
        channel="email",
        address_hash=f"{workspace.pk:064d}",
        label="l***@globex-leak.test",
        reason="manual",
    )


PUBLIC = {
    "leadfollow:home",
    "leadfollow:signup",
    "leadfollow:login",
    "leadfollow:logout",
    "leadfollow:password-reset",
    "leadfollow:password-reset-done",
    "leadfollow:password-reset-confirm",
    "leadfollow:password-reset-complete",
    "leadfollow:invite-accept",  # by token, tested in test_invitations.py
    "leadfollow:workspace-create",
    "leadfollow:workspace-switch",  # a foreign id is refused: test_roles_and_switching.py
    "leadfollow:healthz",
    "leadfollow:readyz",
    "leadfollow:api-schema",  # describes the API; no workspace data
    "leadfollow:api-docs",
    "leadfollow:settings",
    "leadfollow:password-change",
    "scoring:condition-row",  # an empty form row: no workspace data
    # Public web forms: the unguessable token is the key, tested in tests/leads/test_public_form.py.
    "leads:public-form",
    "leads:public-form-submit",
    # Provider webhooks: no session; the signature with the owning workspace's key decides,
    # tested in tests/channels/.
    "channels:twilio-sms",
    "channels:twilio-status",
    "channels:twilio-voice",
    "channels:sendgrid-events",
    "channels:sendgrid-inbound",
    "channels:rvm",
    "channels:sms-segments",  # counts the text it is given: no workspace data
    # The email unsubscribe page: the signed token is the key, tested in
    # tests/channels/test_unsubscribe.py.
    "channels:unsubscribe",
}


@dataclass(frozen=True)
class ObjectCase:
    make: Callable  # workspace -> object of that workspace
    kwarg: str  # the URL argument that takes the object's id
    api: bool = False
    methods: tuple[str, ...] = ("get", "post")


OBJECT: dict[str, ObjectCase] = {
    "leadfollow:member-role": ObjectCase(
        lambda ws: MembershipFactory(workspace=ws), "membership_id"
    ),
    "leadfollow:member-remove": ObjectCase(
        lambda ws: MembershipFactory(workspace=ws), "membership_id"
    ),
    "leadfollow:invitation-revoke": ObjectCase(
        lambda ws: InvitationFactory(workspace=ws), "invitation_id"
    ),
    "leadfollow:api-key-revoke": ObjectCase(lambda ws: ApiKeyFactory(workspace=ws), "api_key_id"),
    "leads:api-lead-detail": ObjectCase(
        lambda ws: LeadFactory(workspace=ws),
        "lead_id",
        api=True,
        methods=("get", "patch", "delete"),
    ),
    "leads:api-lead-activities": ObjectCase(
        lambda ws: LeadFactory(workspace=ws), "lead_id", api=True, methods=("get",)
    ),
    # A foreign lead is a 404 before the body is read; a foreign cadence in the body is a 400:
    # tests/cadences/test_enrollment_api.py
    "cadences:api-lead-enrollments": ObjectCase(
        lambda ws: LeadFactory(workspace=ws), "lead_id", api=True, methods=("get", "post")
    ),
    "leads:lead-detail": ObjectCase(lambda ws: LeadFactory(workspace=ws), "lead_id"),
    "leads:lead-state": ObjectCase(lambda ws: LeadFactory(workspace=ws), "lead_id"),
    "leads:lead-note": ObjectCase(lambda ws: LeadFactory(workspace=ws), "lead_id"),
    "leads:import-detail": ObjectCase(lambda ws: LeadImportFactory(workspace=ws), "import_id"),
    "leads:import-map": ObjectCase(lambda ws: LeadImportFactory(workspace=ws), "import_id"),
    "leads:import-start": ObjectCase(
        lambda ws: LeadImportFactory(workspace=ws, status="previewed"), "import_id"
    ),
    "leads:import-cancel": ObjectCase(
        lambda ws: LeadImportFactory(workspace=ws, status="running"), "import_id"
    ),
    "leads:import-rejects": ObjectCase(lambda ws: LeadImportFactory(workspace=ws), "import_id"),
    **{
        f"leads:source-{action}": ObjectCase(
            lambda ws: LeadSourceFactory(workspace=ws, kind="form"), "source_id"
        )
        for action in ("detail", "active", "token")
    },
    **{
        f"scoring:{name}-{action}": ObjectCase(make, "rule_id")
        for name, make in (
            ("scoring-rule", lambda ws: ScoringRuleFactory(workspace=ws)),
            (
                "routing-rule",
                lambda ws: RoutingRuleFactory(workspace=ws, team=TeamFactory(workspace=ws)),
            ),
            ("sla-policy", lambda ws: SlaPolicyFactory(workspace=ws)),
        )
        for action in ("edit", "move", "toggle", "delete")
    },
    "scoring:team-edit": ObjectCase(lambda ws: TeamFactory(workspace=ws), "team_id"),
    "scoring:team-delete": ObjectCase(lambda ws: TeamFactory(workspace=ws), "team_id"),
    "scoring:holiday-delete": ObjectCase(lambda ws: HolidayFactory(workspace=ws), "holiday_id"),
    "scoring:availability-edit": ObjectCase(
        lambda ws: MembershipFactory(workspace=ws), "membership_id"
    ),
    "scoring:time-off-add": ObjectCase(lambda ws: MembershipFactory(workspace=ws), "membership_id"),
    "scoring:time-off-delete": ObjectCase(lambda ws: TimeOffFactory(workspace=ws), "time_off_id"),
    **{
        f"channels:number-{action}": ObjectCase(
            lambda ws: PhoneNumber.objects.create(workspace=ws, number="+14155550199"),
            "number_id",
        )
        for action in ("default", "remove")
    },
    "channels:outbox-simulate": ObjectCase(_outbox_message, "message_id"),
    "cadences:lead-enrollments": ObjectCase(lambda ws: LeadFactory(workspace=ws), "lead_id"),
    "cadences:lead-enroll": ObjectCase(lambda ws: LeadFactory(workspace=ws), "lead_id"),
    "channels:suppression-remove": ObjectCase(_manual_suppression, "suppression_id"),
    "channels:api-outbox-simulate": ObjectCase(
        _outbox_message, "message_id", api=True, methods=("post",)
    ),
    **{
        f"cadences:{name}": ObjectCase(lambda ws: CadenceFactory(workspace=ws), "cadence_id")
        for name in (
            "cadence-builder",
            "cadence-edit",
            "cadence-toggle",
            "cadence-delete",
            "cadence-preview",
            "step-new",
            "enrollment-list",
        )
    },
    **{
        f"cadences:step-{action}": ObjectCase(
            lambda ws: StepFactory(cadence=CadenceFactory(workspace=ws)), "step_id"
        )
        for action in ("edit", "move", "delete")
    },
    **{
        f"cadences:enrollment-{action}": ObjectCase(_enrollment, "enrollment_id")
        for action in ("pause", "resume", "stop")
    },
    # The lead page's actions: tests/leads/test_lead_actions.py
    **{
        f"leads:{name}": ObjectCase(lambda ws: LeadFactory(workspace=ws), "lead_id")
        for name in ("lead-reply", "lead-call", "lead-call-log", "lead-task", "lead-meeting")
    },
    **{
        f"leads:{name}": ObjectCase(
            lambda ws: LeadFactory(workspace=ws), "lead_id", methods=("get",)
        )
        for name in ("lead-reply-preview", "lead-header")
    },
    "leads:reply-template-edit": ObjectCase(
        lambda ws: ReplyTemplateFactory(workspace=ws), "template_id"
    ),
    "leads:reply-template-delete": ObjectCase(
        lambda ws: ReplyTemplateFactory(workspace=ws), "template_id"
    ),
    **{
        f"leads:lead-enrollment-{action}": ObjectCase(_enrollment, "enrollment_id")
        for action in ("pause", "resume", "stop")
    },
    # The inbox's row actions: tests/leads/test_inbox.py
    "leads:inbox-task-done": ObjectCase(lambda ws: TaskFactory(workspace=ws), "task_id"),
    "leads:inbox-meeting-confirm": ObjectCase(
        lambda ws: LeadFactory(workspace=ws, meeting_at=timezone.now()), "lead_id"
    ),
    # Only the member's own notifications open: tests/scoring/test_notifications_pages.py
    "scoring:notification-open": ObjectCase(
        lambda ws: NotificationFactory(workspace=ws), "notification_id"
    ),
    # The Tasks page's row actions: tests/cadences/test_task_pages.py
    **{
        f"cadences:task-{action}": ObjectCase(lambda ws: TaskFactory(workspace=ws), "task_id")
        for action in ("complete", "reschedule", "reassign")
    },
    "leads:account-detail": ObjectCase(lambda ws: AccountFactory(workspace=ws), "account_id"),
}


@dataclass(frozen=True)
class ListCase:
    make: Callable  # workspace -> a string that shows only if that workspace's data leaks
    api: bool = False


LIST: dict[str, ListCase] = {
    "leadfollow:members": ListCase(
        lambda ws: MembershipFactory(workspace=ws, user__email="leak@globex.test").user.email
    ),
    "leadfollow:api-keys": ListCase(
        lambda ws: ApiKeyFactory(workspace=ws, name="Globex feed").name
    ),
    "leadfollow:workspace-settings": ListCase(lambda ws: ws.name),
    "leadfollow:profile": ListCase(lambda ws: ws.name),
    "leadfollow:api-workspace": ListCase(lambda ws: ws.name, api=True),
    "leads:api-lead-list": ListCase(lambda ws: LeadFactory(workspace=ws).email, api=True),
    "leads:lead-list": ListCase(lambda ws: LeadFactory(workspace=ws).email),
    "leads:import-upload": ListCase(
        lambda ws: LeadImportFactory(workspace=ws, original_name="globex-leak.csv").original_name
    ),
    "leads:source-list": ListCase(lambda ws: LeadSourceFactory(workspace=ws, name="Leaky").name),
    "leads:source-new": ListCase(lambda ws: LeadSourceFactory(workspace=ws, name="Leaky").name),
    "leads:lead-new": ListCase(  # the owner choices list the workspace's members
        lambda ws: MembershipFactory(workspace=ws, user__first_name="Leaky").user.display_name
    ),
    "scoring:rule-list": ListCase(lambda ws: ScoringRuleFactory(workspace=ws, name="Leaky").name),
    "scoring:rule-try": ListCase(lambda ws: ScoringRuleFactory(workspace=ws, name="Leaky").name),
    "scoring:rule-try-leads": ListCase(lambda ws: LeadFactory(workspace=ws).email),
    "scoring:scoring-rule-new": ListCase(lambda ws: ws.name),
    "scoring:routing": ListCase(lambda ws: TeamFactory(workspace=ws, name="Leaky team").name),
    "scoring:routing-rule-new": ListCase(  # the target choices list teams and members
        lambda ws: TeamFactory(workspace=ws, name="Leaky team").name
    ),
    "scoring:team-new": ListCase(
        lambda ws: MembershipFactory(workspace=ws, user__first_name="Leaky").user.display_name
    ),
    "scoring:sla-list": ListCase(lambda ws: HolidayFactory(workspace=ws, name="Leaky day").name),
    "scoring:sla-policy-new": ListCase(lambda ws: ws.name),
    "scoring:availability": ListCase(
        lambda ws: MembershipFactory(workspace=ws, user__first_name="Leaky").user.display_name
    ),
    "cadences:enroll-options": ListCase(lambda ws: CadenceFactory(workspace=ws, name="Leaky").name),
    "channels:outbox": ListCase(lambda ws: _outbox_message(ws).to_address),
    "channels:suppressions": ListCase(lambda ws: _manual_suppression(ws).label),
    "channels:api-outbox": ListCase(lambda ws: _outbox_message(ws).to_address, api=True),
    "channels:settings": ListCase(  # numbers and provider settings of the workspace only
        lambda ws: PhoneNumber.objects.create(workspace=ws, number="+14155550199").number
    ),
    "cadences:cadence-list": ListCase(
        lambda ws: CadenceFactory(workspace=ws, name="Leaky cadence").name
    ),
    "cadences:cadence-new": ListCase(  # the re-nurture choices list the workspace's cadences
        lambda ws: CadenceFactory(workspace=ws, name="Leaky cadence").name
    ),
    "scoring:rule-history": ListCase(
        lambda ws: RuleChangeFactory(workspace=ws, after={"name": "Leaky rule"}).after["name"]
    ),
    # The filter choices list the workspace's sources; the unassigned view is checked in
    # tests/leads/test_inbox.py::test_unassigned_view_never_shows_another_workspace
    "leads:inbox": ListCase(lambda ws: LeadSourceFactory(workspace=ws, name="Leaky").name),
    "leads:inbox-live": ListCase(lambda ws: LeadFactory(workspace=ws, first_name="Leaky").email),
    "scoring:notifications": ListCase(lambda ws: NotificationFactory(workspace=ws).text),
    "scoring:notification-bell": ListCase(lambda ws: NotificationFactory(workspace=ws).text),
    "cadences:task-list": ListCase(lambda ws: TaskFactory(workspace=ws, title="Leaky task").title),
    "leads:account-list": ListCase(lambda ws: AccountFactory(workspace=ws, name="Leaky Inc").name),
    "scoring:team-board": ListCase(
        lambda ws: MembershipFactory(workspace=ws, user__first_name="Leaky").user.display_name
    ),
    "leads:reply-template-list": ListCase(
        lambda ws: ReplyTemplateFactory(workspace=ws, name="Leaky reply").name
    ),
    "leads:reply-template-new": ListCase(
        lambda ws: ReplyTemplateFactory(workspace=ws, name="Leaky reply").name
    ),
}


def _leaky_report_data(workspace) -> str:
    """A lead of `workspace` that every report would name: its source, owner, SLA policy and
    cadence are all called "Leaky…". Reports of another workspace must never show it."""
    owner = MembershipFactory(workspace=workspace, user__first_name="Leakyrep")
    lead = LeadFactory(
        workspace=workspace,
        owner=owner,
        source=LeadSourceFactory(workspace=workspace, name="Leakysource"),
        first_touch_at=timezone.now(),
    )
    now = timezone.now()
    SlaClockFactory(
        workspace=workspace,
        lead=lead,
        policy=SlaPolicyFactory(workspace=workspace, name="Leakypolicy"),
        started_at=now,
        breached_at=now,
    )
    step = StepFactory(cadence=CadenceFactory(workspace=workspace, name="Leakycadence"))
    enrollment = EnrollmentFactory(lead=lead, cadence=step.cadence, current_step=step)
    message = MessageFactory(workspace=workspace, lead=lead, status="delivered")
    TouchFactory(enrollment=enrollment, step=step, message=message, status="sent")
    return "Leaky"


# Reports: pages, CSV and API of every report read only the member's (or key's) workspace.
LIST.update(
    {
        "reports:index": ListCase(_leaky_report_data),
        # Headline counts only, no names: tests/reports/test_report_pages.py::
        # test_api_list_never_counts_another_workspace checks the counts.
        "reports:api-report-list": ListCase(_leaky_report_data, api=True),
        **{
            f"reports:{report.slug}{suffix}": ListCase(_leaky_report_data)
            for report in all_reports()
            for suffix in ("", "-csv")
        },
        **{
            f"reports:api-{report.slug}": ListCase(_leaky_report_data, api=True)
            for report in all_reports()
        },
    }
)


# Routes that only write: their body's ids are checked by their own tests.
WRITE_ONLY = {
    # A foreign lead id rejects the whole change: tests/leads/test_lead_pages.py::
    # test_bulk_with_a_foreign_id_changes_nothing_and_says_so
    "leads:lead-bulk",
    "leads:api-lead-bulk",  # writes only to the key's workspace: tests/leads/test_api_leads.py
    # A foreign member id in the body is refused: tests/scoring/test_routing_pages.py
    "scoring:routing-fallback",
    "scoring:score-settings",  # bands of the member's own workspace only
    "scoring:holiday-add",  # adds to the member's own workspace only
    # Save to the member's own workspace only: tests/channels/test_provider_settings.py
    "channels:provider-account",
    "cadences:cadence-from-preset",  # adds to the member's own workspace only
    # A foreign lead id changes nothing: tests/cadences/test_enroll_pages.py
    "cadences:enroll-bulk",
    "channels:number-add",
    "channels:test-send",
    # Add to the member's own workspace's list only: tests/channels/test_suppression_pages.py
    "channels:suppression-add",
    "channels:suppression-upload",
    "scoring:notifications-read",  # marks the member's own notifications only
    # A foreign lead id moves nothing and is named: tests/scoring/test_team_board.py::
    # test_a_lead_of_another_workspace_changes_nothing
    "scoring:team-reassign",
}


def _named_routes(resolver: URLResolver | None = None, namespace: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # operators' site: reads across workspaces by design
            prefix = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_routes(entry, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_route_has_an_isolation_case():
    missing = sorted(set(_named_routes()) - PUBLIC - WRITE_ONLY - set(OBJECT) - set(LIST))
    assert missing == [], f"add these routes to tests/test_isolation.py: {missing}"


def test_isolation_cases_name_only_existing_routes():
    stale = sorted((PUBLIC | WRITE_ONLY | set(OBJECT) | set(LIST)) - set(_named_routes()))
    assert stale == []


def _snapshot(obj) -> dict:
    with unscoped():
        fresh = type(obj).objects.get(pk=obj.pk)
    return model_to_dict(fresh)


def _object_cases() -> list[tuple[str, str]]:
    return [(name, method) for name in sorted(OBJECT) for method in OBJECT[name].methods]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "method"), _object_cases())
def test_foreign_object_answers_404_and_stays_unchanged(
    name, method, owner_client, api_client, other_workspace
):
    case = OBJECT[name]
    foreign = case.make(other_workspace)
    before = _snapshot(foreign)
    client = api_client if case.api else owner_client
    response = getattr(client, method)(reverse(name, kwargs={case.kwarg: foreign.pk}))
    # A POST-only route answers GET with 405 before looking anything up: that reveals nothing.
    assert response.status_code in ({404, 405} if method == "get" else {404})
    assert _snapshot(foreign) == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(LIST))
def test_lists_never_show_another_workspace(name, owner_client, api_client, other_workspace):
    case = LIST[name]
    marker = case.make(other_workspace)
    client = api_client if case.api else owner_client
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert marker not in response.content.decode()
