from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scoring and routing"

    def ready(self) -> None:
        from leadfollow.demo import register_demo_step
        from leadfollow.scheduler import register_tick
        from leads.services import received
        from leads.services.activities import register_activity_listener
        from leads.services.changes import register_erase_step
        from scoring import hooks
        from scoring.demo import seed_demo_rules
        from scoring.services.erase import erase_lead_notifications
        from scoring.services.sla import sla_tick

        received.register_intake_step("score", hooks.score_on_intake)
        received.register_intake_step("route", hooks.route_on_intake)
        received.register_intake_step("sla", hooks.start_sla_on_intake)
        register_activity_listener(hooks.on_activity, batch=hooks.on_activities)
        register_tick("sla", sla_tick, every_seconds=15)
        register_demo_step("before_leads", seed_demo_rules)

        # Erasing a lead blanks the notifications about it, in the erasure's transaction.
        register_erase_step(erase_lead_notifications)
