from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from leadfollow.scheduler import register_tick
        from reports.weekly_summary import summaries_tick

        register_tick("weekly-summaries", summaries_tick, every_seconds=3600)
