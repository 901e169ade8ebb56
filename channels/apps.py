from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "lf_channels"
    verbose_name = "Channels"

    def ready(self) -> None:
        import channels.webhooks.dropcowboy  # noqa: F401 - registers Drop Cowboy's receiver
        import channels.webhooks.sendgrid  # noqa: F401 - registers SendGrid's receivers
        import channels.webhooks.twilio  # noqa: F401 - registers Twilio's receivers
        from channels.services.erase import erase_lead_messages
        from channels.tasks import retry_failed_webhooks
        from leadfollow.scheduler import register_tick
        from leads.services.changes import register_erase_step

        register_tick("webhook-retry", retry_failed_webhooks, every_seconds=60)

        # Erasing a lead blanks its messages and the webhooks about them, in one transaction.
        register_erase_step(erase_lead_messages)
