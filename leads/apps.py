from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from leads.services import status_flow
        from leads.services.activities import register_activity_listener

        register_activity_listener(status_flow.on_activity, batch=status_flow.on_activities)
