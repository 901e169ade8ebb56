"""The Celery app. Redis is the broker when REDIS_URL is set; without it tasks run in-process."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

# The one place outside settings.py that touches the environment: Celery needs the settings
# module before Django is set up.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadfollow.settings")

app = Celery("leadfollow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_registered_ticks(sender: Celery, **kwargs) -> None:
    """Beat runs every tick the apps registered (the same ones `run_scheduler` runs without
    Redis), so a tick is declared once, in its app's ready()."""
    from leadfollow.scheduler import registered_ticks
    from leadfollow.tasks import run_tick

    for tick in registered_ticks():
        sender.add_periodic_task(
            tick.every_seconds, run_tick.s(tick.name), name=f"tick {tick.name}"
        )


@worker_process_init.connect
def freeze_start_up_objects(**kwargs) -> None:
    """A worker process starts with Django, the tasks and the provider SDKs loaded: move those
    objects out of the garbage collector's sight, as leadfollow/wsgi.py does for web workers, so
    a full collection in the middle of a batch of sends walks only what the batch keeps."""
    gc.freeze()
    gc.set_threshold(20_000, 10, 10)
