from django.urls import path

from scoring.views import (
    availability,
    conditions,
    history,
    notifications,
    routing,
    rules,
    scoring,
    slas,
    team_board,
)

app_name = "scoring"


def _rule_routes(prefix: str, subject: str, name: str) -> list:
    """Editor, reorder, on/off and delete of one kind of ordered rule."""
    kind = {"subject": subject}
    return [
        path(f"{prefix}new/", rules.rule_form, kind, name=f"{name}-new"),
        path(f"{prefix}<int:rule_id>/", rules.rule_form, kind, name=f"{name}-edit"),
        path(f"{prefix}<int:rule_id>/move/", rules.rule_move, kind, name=f"{name}-move"),
        path(f"{prefix}<int:rule_id>/toggle/", rules.rule_toggle, kind, name=f"{name}-toggle"),
        path(f"{prefix}<int:rule_id>/delete/", rules.rule_delete, kind, name=f"{name}-delete"),
    ]


urlpatterns = [
    path("rules/condition-row/", conditions.condition_row, name="condition-row"),
    path("rules/", scoring.rule_list, name="rule-list"),
    path("rules/bands/", scoring.score_settings, name="score-settings"),
    path("rules/try/", scoring.try_rules, name="rule-try"),
    path("rules/try/leads/", scoring.try_lead_search, name="rule-try-leads"),
    *_rule_routes("rules/scoring/", "scoring_rule", "scoring-rule"),
    path("rules/routing/", routing.routing, name="routing"),
    path("rules/routing/fallback/", routing.fallback, name="routing-fallback"),
    path("rules/routing/teams/new/", routing.team_form, name="team-new"),
    path("rules/routing/teams/<int:team_id>/", routing.team_form, name="team-edit"),
    path("rules/routing/teams/<int:team_id>/delete/", routing.team_delete, name="team-delete"),
    *_rule_routes("rules/routing/rules/", "routing_rule", "routing-rule"),
    path("rules/slas/", slas.sla_list, name="sla-list"),
    path("rules/slas/holidays/", slas.holiday_add, name="holiday-add"),
    path(
        "rules/slas/holidays/<int:holiday_id>/delete/",
        slas.holiday_delete,
        name="holiday-delete",
    ),
    *_rule_routes("rules/slas/policies/", "sla_policy", "sla-policy"),
    path("rules/availability/", availability.availability, name="availability"),
    path(
        "rules/availability/<int:membership_id>/",
        availability.availability_edit,
        name="availability-edit",
    ),
    path(
        "rules/availability/<int:membership_id>/time-off/",
        availability.time_off_add,
        name="time-off-add",
    ),
    path(
        "rules/availability/time-off/<int:time_off_id>/delete/",
        availability.time_off_delete,
        name="time-off-delete",
    ),
    path("rules/history/", history.rule_history, name="rule-history"),
]

notification_patterns = [
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/bell/", notifications.notification_bell, name="notification-bell"),
    path("notifications/read/", notifications.notifications_read, name="notifications-read"),
    path(
        "notifications/<int:notification_id>/",
        notifications.notification_open,
        name="notification-open",
    ),
]
urlpatterns += notification_patterns

# The managers' team board in the Inbox section.
team_board_patterns = [
    path("inbox/team/", team_board.team_board, name="team-board"),
    path("inbox/team/reassign/", team_board.team_reassign, name="team-reassign"),
]
urlpatterns += team_board_patterns
