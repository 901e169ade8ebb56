"""The Celery app. Redis is the broker when REDIS_URL is set; without it tasks run in-process."""

import os

from celery import Celery

# The one place outside settings.py that touches the environment: Celery needs the settings
# module before Django is set up.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadfollow.settings")

app = Celery("leadfollow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
