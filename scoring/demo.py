"""The demo workspace's rules: what a solar installer's manager would set up on day one."""

from __future__ import annotations

from scoring.models import RoutingRule, RuleSettings, ScoringRule, SlaPolicy, Team, TeamMember

DECISION_MAKERS = "owner ceo president founder director manager principal administrator"


def _is(field: str, value, op: str = "equals") -> dict:
    return {"field": field, "op": op, "value": value}


FIT_RULES = [
    ("Decision-maker title", _is("title", DECISION_MAKERS, "matches_any_word"), 20),
    ("Business email", _is("email_is_free_mail", False), 15),
    ("Free-mail address", _is("email_is_free_mail", True), -10),
    ("Asked through the website form", _is("source", "Website contact form"), 15),
    ("Met us at the trade show", _is("source", "Trade show import"), 10),
]
ENGAGEMENT_RULES = [
    ("Replied", "replied", 30),
    ("Clicked a link", "clicked", 10),
    ("Opened an email", "opened", 3),
]
TEAM = "Inside sales"
REPS = ("rep1@demo.leadfollow.test", "rep2@demo.leadfollow.test")
MANAGER = "manager@demo.leadfollow.test"


def seed_demo_rules(*, workspace, members: dict) -> None:
    """Scoring rules, a round-robin team of the demo reps that catches every lead, and a
    five-minute business-hours SLA for hot leads."""
    RuleSettings.objects.get_or_create(workspace=workspace)
    for position, (name, conditions, points) in enumerate(FIT_RULES):
        ScoringRule.objects.get_or_create(
            workspace=workspace,
            name=name,
            defaults={"conditions": conditions, "points": points, "position": position},
        )
    for position, (name, activity_kind, points) in enumerate(ENGAGEMENT_RULES, len(FIT_RULES)):
        ScoringRule.objects.get_or_create(
            workspace=workspace,
            name=name,
            defaults={
                "kind": ScoringRule.Kind.ENGAGEMENT,
                "activity_kind": activity_kind,
                "conditions": {},
                "points": points,
                "position": position,
            },
        )
    team, _ = Team.objects.get_or_create(
        workspace=workspace, name=TEAM, defaults={"manager": members[MANAGER]}
    )
    for position, email in enumerate(REPS):
        TeamMember.objects.get_or_create(
            workspace=workspace,
            team=team,
            membership=members[email],
            defaults={"position": position},
        )
    RoutingRule.objects.get_or_create(
        workspace=workspace,
        name="Every lead to inside sales",
        defaults={"team": team, "conditions": {"all": []}},
    )
    SlaPolicy.objects.get_or_create(
        workspace=workspace,
        name="Hot leads: first touch in 5 minutes",
        defaults={
            "conditions": _is("score_band", "hot"),
            "minutes": 5,
            "business_hours_only": True,
            "position": 0,
        },
    )
    SlaPolicy.objects.get_or_create(
        workspace=workspace,
        name="Everyone else: first touch within the business hour",
        defaults={
            "conditions": {"all": []},
            "minutes": 60,
            "business_hours_only": True,
            "position": 1,
        },
    )
