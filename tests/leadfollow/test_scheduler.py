import pytest
from django.core.management import call_command

from leadfollow.scheduler import _TICKS, Tick, run_due_ticks


@pytest.fixture
def ticks():
    saved = dict(_TICKS)
    _TICKS.clear()
    yield _TICKS
    _TICKS.clear()
    _TICKS.update(saved)


def test_a_tick_runs_again_only_after_its_interval(ticks):
    calls = []
    ticks["t"] = Tick("t", lambda: calls.append(1), every_seconds=10)
    run_due_ticks(now=100)
    run_due_ticks(now=105)
    run_due_ticks(now=110)
    assert len(calls) == 2


def test_a_failing_tick_does_not_stop_the_others(ticks):
    calls = []
    ticks["bad"] = Tick("bad", lambda: 1 / 0, every_seconds=1)
    ticks["good"] = Tick("good", lambda: calls.append(1), every_seconds=1)
    assert run_due_ticks(now=1) == ["bad", "good"]
    assert calls == [1]


@pytest.mark.django_db
def test_run_scheduler_once_runs_the_sla_tick(capsys):
    call_command("run_scheduler", "--once")
    assert "sla" in capsys.readouterr().out


def test_celery_beat_runs_every_registered_tick():
    from leadfollow.celery import app
    from leadfollow.scheduler import registered_ticks

    app.finalize()
    scheduled = {entry["args"][0] for entry in app.conf.beat_schedule.values()}

    assert {tick.name for tick in registered_ticks()} <= scheduled


def test_run_tick_refuses_an_unknown_name():
    from leadfollow.tasks import run_tick

    with pytest.raises(LookupError):
        run_tick("no-such-tick")
