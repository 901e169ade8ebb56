"""Ready-made cadences a workspace can install and then adjust: "Create from preset".

Each preset is plain data: its steps, their timing, their messages and their branches. Installing
one copies it into the workspace as an ordinary cadence, so a manager edits it like any other.
Every message reads well when the lead's first name is missing, and every automated email
carries the unsubscribe link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from cadences.models import Cadence, Step
from cadences.services.branching import validate_branches
from cadences.templating import TemplateInvalid, validate
from leadfollow.errors import InvalidInput
from leadfollow.models import Membership, Workspace

SPEED_TO_LEAD = "speed-to-lead"
SEVEN_TOUCH = "seven-touch-14-days"
EMAIL_LED = "email-led-21-days"
RENURTURE = "renurture"

_HI = 'Hi {{ lead.first_name | "there" }},'
_SIGN = '{{ owner.first_name | "The team" }}\n{{ workspace.name }}'
_FOOTER = "Rather not hear from us? {{ unsubscribe_url }}"
_TIMES = (
    '{{ meeting.option_1 | "a time early this week" }} or '
    '{{ meeting.option_2 | "one later in the week" }}'
)


@dataclass(frozen=True)
class PresetStep:
    kind: str
    delay: int = 0
    unit: str = Step.Unit.DAYS
    after: str = Step.After.PREVIOUS
    subject: str = ""
    body: str = ""
    # [{"when": …, "then": "goto", "step": <position>}]: positions of this preset's own steps.
    branches: list = field(default_factory=list)
    task_timeout_hours: int = 24


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    description: str
    steps: tuple[PresetStep, ...]
    business_days_only: bool = False
    renurture: str = ""  # the preset a lead moves on to after the last step
    renurture_after_days: int = 75

    @property
    def step_count(self) -> int:
        return len(self.steps)


def _email(subject: str, body: str, **timing) -> PresetStep:
    return PresetStep(
        kind=Step.Kind.EMAIL,
        subject=subject,
        body=f"{_HI}\n\n{body}\n\n{_SIGN}\n\n{_FOOTER}",
        **timing,
    )


def _sms(body: str, **timing) -> PresetStep:
    return PresetStep(kind=Step.Kind.SMS, body=body, **timing)


def _task(kind: str, title: str, notes: str, **timing) -> PresetStep:
    return PresetStep(kind=kind, subject=title, body=notes, **timing)


_SPEED = Preset(
    key=SPEED_TO_LEAD,
    title="Speed to lead",
    description=(
        "For fresh inquiries: a confirmation the moment they ask, an automated call within five "
        "minutes, a text if nobody picks up, then useful emails, a second contact at the "
        "account, a meeting ask with two times and a polite goodbye. Quiet leads move to "
        "re-nurture after about ten weeks."
    ),
    renurture=RENURTURE,
    renurture_after_days=75,
    steps=(
        _email(
            'We got your request, {{ lead.first_name | "thanks" }}',
            "Thanks for reaching out to {{ workspace.name }}. Your request is with "
            '{{ owner.full_name | "our team" }}, who will call you in the next few minutes.\n\n'
            "If email suits you better, just reply here: a person reads every answer.",
            delay=0,
            unit=Step.Unit.MINUTES,
        ),
        PresetStep(
            kind=Step.Kind.VOICEMAIL_DROP,
            body=(
                'Hi {{ lead.first_name | "there" }}, this is '
                '{{ owner.first_name | "the team" }} from {{ workspace.name }}, calling about '
                "the request you just sent. I'll follow up by text as well. Talk soon."
            ),
            delay=5,
            unit=Step.Unit.MINUTES,
            after=Step.After.ENROLLMENT,
            # Somebody picked up: no need for the text that chases a missed call.
            branches=[{"when": "outcome:answered", "then": "goto", "step": 3}],
        ),
        _sms(
            'Hi {{ lead.first_name | "there" }}, this is {{ owner.first_name | "the team" }} at '
            "{{ workspace.name }}. We just tried calling about your request. When is a good time "
            "to talk? Reply STOP to opt out.",
            delay=10,
            unit=Step.Unit.MINUTES,
        ),
        _email(
            "Something useful while you decide",
            "Most people who ask us about this want to know two things first: what it will cost "
            "and how long it takes. Both depend on a few details we can settle in a short call, "
            "and you get a written estimate afterwards, free of charge.\n\n"
            "No need to reply unless you have a question.",
            delay=1,
        ),
        _email(
            "One quick question",
            'What would make this worth doing for {{ account.name | "you" }} this year?\n\n'
            "A one-line answer is plenty.",
            delay=2,
        ),
        _task(
            Step.Kind.MANUAL_TASK,
            "Reach a second contact at the account",
            'Find another person at {{ account.name | "the lead\'s company" }} who cares about '
            "this (a colleague, a partner, an office manager) and introduce yourself.",
            delay=2,
            task_timeout_hours=48,
        ),
        _email(
            "15 minutes this week?",
            f"Would {_TIMES} work for a short call? If neither fits, reply with a time that "
            "does and I'll make it work.",
            delay=2,
        ),
        _email(
            "Should I close your file?",
            "I haven't heard back, so I'll assume the timing isn't right and stop writing. If "
            "anything changes, reply to this email and you'll have my full attention.",
            delay=4,
        ),
    ),
)

_SEVEN = Preset(
    key=SEVEN_TOUCH,
    title="7 touches in 14 days",
    description=(
        "A two-week multi-channel rhythm on business days: day 1 a call with a text right "
        "after, then an email on day 2, a call on day 4, a text on day 6, an email on day 8, a "
        "last call on day 11 and a closing email on day 14."
    ),
    business_days_only=True,
    steps=(
        _task(
            Step.Kind.CALL_TASK,
            "First call",
            "Introduce yourself and ask what prompted the inquiry. No answer? Leave a short "
            "voicemail; a text follows automatically.",
            delay=0,
            after=Step.After.ENROLLMENT,
            branches=[{"when": "outcome:answered", "then": "goto", "step": 2}],
        ),
        _sms(
            'Hi {{ lead.first_name | "there" }}, this is {{ owner.first_name | "the team" }} at '
            "{{ workspace.name }}. We just called about your request: text back a good time and "
            "we'll call then. Reply STOP to opt out.",
            delay=10,
            unit=Step.Unit.MINUTES,
        ),
        _email(
            "Following up on your request",
            "I tried to reach you yesterday. In short: we look at your situation, give you a "
            "clear written quote and take care of the work from start to finish. If that sounds "
            "useful, reply with a good time for a call.",
            delay=1,
            after=Step.After.ENROLLMENT,
        ),
        _task(
            Step.Kind.CALL_TASK,
            "Second call",
            "Refer to the email from day 2 and offer one concrete next step.",
            delay=3,
            after=Step.After.ENROLLMENT,
        ),
        _sms(
            '{{ lead.first_name | "Hi" }}, quick one from {{ workspace.name }}: still looking '
            "into this? A yes or no helps me a lot.",
            delay=5,
            after=Step.After.ENROLLMENT,
        ),
        _email(
            "A customer story you may like",
            "A customer who asked us the same questions last season saved a noticeable amount "
            "in the first months. Happy to walk you through what they did.",
            delay=7,
            after=Step.After.ENROLLMENT,
        ),
        _task(
            Step.Kind.CALL_TASK,
            "Last call",
            "Last live attempt. Ask directly whether to keep the request open.",
            delay=10,
            after=Step.After.ENROLLMENT,
        ),
        _email(
            "Closing the loop",
            "I'll stop following up after this one. If the project comes back on the table, "
            "reply here and we'll pick it up where we left off.",
            delay=13,
            after=Step.After.ENROLLMENT,
        ),
    ),
)

_EMAIL_LED = Preset(
    key=EMAIL_LED,
    title="Email-led, 21 days",
    description=(
        "Eight touches over three weeks, mostly email, that react to what the lead does: a "
        "click jumps to the meeting ask, an open without a reply gets a different angle, and "
        "three emails in a row nobody opened end the cadence."
    ),
    steps=(
        _email(
            "Here's what you asked for",
            "As promised, here is the information you requested from {{ workspace.name }}. "
            "Over the next days I'll share a few things that usually help people decide.",
            delay=0,
            unit=Step.Unit.MINUTES,
        ),
        _email(
            "Quick question",
            "What made you look into this now? Knowing that helps me send you only what's "
            "relevant.",
            delay=3,
            unit=Step.Unit.HOURS,
        ),
        _email(
            "A number worth knowing",
            "One figure we see again and again with customers like "
            '{{ account.name | "yours" }}: most of the cost is decided in the first planning '
            "conversation, so that is where we spend our time with you.",
            delay=1,
            branches=[
                {"when": "clicked", "then": "goto", "step": 5},
                {"when": "opened_no_reply", "then": "goto", "step": 4},
            ],
        ),
        _task(
            Step.Kind.CALL_TASK,
            "Call and leave a short voicemail",
            "Mention the emails so far. Keep a voicemail under 30 seconds.",
            delay=1,
        ),
        _email(
            "Another way to look at it",
            "The question we hear most often is whether now is the right time. Customers who "
            "went ahead usually tell us the planning took far less of their time than they "
            "expected.",
            delay=2,
            branches=[
                {"when": "clicked", "then": "goto", "step": 5},
                {"when": "no_engagement:3", "then": "exit"},
            ],
        ),
        _email(
            "Worth a short call?",
            f"Would a 15-minute call help? I could do {_TIMES}. Reply with whichever suits you.",
            delay=2,
        ),
        _email(
            "Still on your list?",
            "It has been a couple of weeks, so no pressure. One new thing since we last wrote: "
            "we can now plan the whole project in one visit.",
            delay=7,
            branches=[{"when": "no_engagement:3", "then": "exit"}],
        ),
        _email(
            "I'll stop here",
            "This is my last note for now. If you want to pick things up later, a one-word "
            "reply is enough.",
            delay=7,
        ),
    ),
)

_RENURTURE = Preset(
    key=RENURTURE,
    title="Re-nurture",
    description=(
        "For leads who went quiet: a gentle check-in, something new a month later and an open "
        "door a month after that. Any reply brings them back to their owner's inbox."
    ),
    steps=(
        _email(
            "Checking in",
            "A while ago you asked us about a project. Has anything changed on your side? If "
            "the timing is better now, reply and we'll take it from there.",
            delay=0,
            unit=Step.Unit.MINUTES,
        ),
        _email(
            "What's new at {{ workspace.name }}",
            "A quick update: a few things changed since we last spoke that may make the "
            "project easier or cheaper for you. Happy to share details if you're curious.",
            delay=30,
        ),
        _email(
            "The door stays open",
            "No reply needed. If you ever want to look at this again, answer this email and "
            "you'll hear back the same day.",
            delay=30,
        ),
    ),
)

_ALL = (_SPEED, _SEVEN, _EMAIL_LED, _RENURTURE)
# Preset key -> what the "Create from preset" buttons show.
PRESETS: dict[str, dict] = {
    preset.key: {
        "title": preset.title,
        "description": preset.description,
        "steps": preset.step_count,
    }
    for preset in _ALL
}
_BY_KEY = {preset.key: preset for preset in _ALL}


def get_preset(key: str) -> Preset:
    try:
        return _BY_KEY[key]
    except KeyError as exc:
        raise InvalidInput("There is no such preset.", field="preset") from exc


@transaction.atomic
def install_preset(workspace: Workspace, key: str, actor: Membership | None = None) -> Cadence:
    """Copy the preset into the workspace as a new cadence, named uniquely ("… (2)" for a
    second copy). A preset that leads on to re-nurture links to the workspace's re-nurture
    cadence, installing that one too when it has none.

    `actor` is the member who asked (None: the system, e.g. the demo)."""
    preset = get_preset(key)
    renurture = None
    if preset.renurture:
        renurture = (
            Cadence.objects.filter(workspace=workspace, preset=preset.renurture)
            .order_by("pk")
            .first()
        ) or install_preset(workspace, preset.renurture, actor)
    cadence = Cadence.objects.create(
        workspace=workspace,
        name=_free_name(workspace, preset.title),
        description=preset.description,
        business_days_only=preset.business_days_only,
        renurture_cadence=renurture,
        renurture_after_days=preset.renurture_after_days,
        preset=preset.key,
    )
    steps = []
    for position, spec in enumerate(preset.steps):
        for text in (spec.subject, spec.body):
            errors = validate(text)
            if errors:
                raise TemplateInvalid(errors)
        steps.append(
            Step(
                workspace=workspace,
                cadence=cadence,
                position=position,
                kind=spec.kind,
                delay=spec.delay,
                delay_unit=spec.unit,
                delay_after=spec.after,
                subject=spec.subject,
                body=spec.body,
                branches=[],
                task_timeout_hours=spec.task_timeout_hours,
            )
        )
    Step.objects.bulk_create(steps)
    # Branches name positions, so they are checked once every step exists.
    for step, spec in zip(steps, preset.steps, strict=True):
        if spec.branches:
            step.branches = validate_branches(list(spec.branches), cadence=cadence)
            step.save(update_fields=["branches"])
    return cadence


def _free_name(workspace: Workspace, title: str) -> str:
    taken = set(
        Cadence.objects.filter(workspace=workspace, name__startswith=title).values_list(
            "name", flat=True
        )
    )
    name, number = title, 1
    while name in taken:
        number += 1
        name = f"{title} ({number})"
    return name
