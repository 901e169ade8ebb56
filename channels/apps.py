from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "channels"
    label = "lf_channels"
    verbose_name = "Channels"
