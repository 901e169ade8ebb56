"""A Celery worker process hides its start-up objects from the garbage collector."""

from __future__ import annotations

import gc

import pytest
from celery.signals import worker_process_init

import leadfollow.celery  # noqa: F401 - connects the worker start handler


@pytest.fixture
def collector():
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_worker_process_start_freezes_what_is_loaded(collector):
    worker_process_init.send(sender=None)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[0] == 20_000
