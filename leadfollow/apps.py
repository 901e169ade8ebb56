from django.apps import AppConfig


class LeadFollowConfig(AppConfig):
    name = "leadfollow"
    verbose_name = "LeadFollow core"
