from django.apps import AppConfig


class CadencesConfig(AppConfig):
    name = "cadences"
    verbose_name = "Cadences"

    def ready(self) -> None:
        from cadences import hooks
        from cadences.demo import seed_demo_cadences
        from cadences.services.dispatch import dispatch_due, recover
        from cadences.services.erase import erase_lead_touches
        from cadences.services.tasks import close_tasks_of_erased_lead, expire_waiting_tasks
        from channels.hooks import register_lead_signal_listener
        from leadfollow.demo import register_demo_step
        from leadfollow.scheduler import register_tick
        from leads.services import received
        from leads.services.activities import register_activity_listener
        from leads.services.changes import register_erase_step

        register_lead_signal_listener(hooks.on_lead_signal)
        register_activity_listener(hooks.on_activity)
        # After scoring and routing (registered by the scoring app, earlier in INSTALLED_APPS).
        received.register_intake_step("enroll", hooks.enroll_on_intake)
        register_tick("cadence-dispatch", dispatch_due, every_seconds=1)
        register_tick("cadence-recover", recover, every_seconds=30)
        register_tick("cadence-task-timeouts", expire_waiting_tasks, every_seconds=60)
        # After the scoring app's rules and team: the demo's leads are enrolled at intake.
        register_demo_step("before_leads", seed_demo_cadences)
        # Erasing a lead cancels its open tasks in the same transaction.
        register_erase_step(close_tasks_of_erased_lead)
        # Erasing a lead also blanks what its touches said to the person.
        register_erase_step(erase_lead_touches)
