"""Liveness and readiness probes: /healthz always answers, /readyz checks the database and Redis."""

from __future__ import annotations

import pytest
import redis
from django.db import connections
from django.urls import reverse

LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
CLOSED_PORT_REDIS_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def live_redis_url(settings) -> str:
    """The Redis the environment configures (CI's), else the local default; skip when absent."""
    url = settings.REDIS_URL or LOCAL_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs a running Redis at {url}: {type(exc).__name__}")
    return url


@pytest.fixture
def unreachable_database(monkeypatch, tmp_path):
    """Point the readiness check at a real connection to a database that cannot be reached."""
    default = connections["default"]
    broken_settings = {**default.settings_dict}
    if default.vendor == "sqlite":
        broken_settings["NAME"] = str(tmp_path / "missing-directory" / "db.sqlite3")
    else:
        broken_settings.update(HOST="127.0.0.1", PORT="1")  # nothing listens on port 1
    broken = type(default)(broken_settings, alias="unreachable")
    monkeypatch.setattr("leadfollow.health.connection", broken)
    yield broken
    broken.close()


def test_healthz_answers_ok_without_checking_dependencies(client):
    response = client.get(reverse("leadfollow:healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}


def test_readyz_is_ready_when_the_database_answers(client, db, settings):
    settings.REDIS_URL = ""

    response = client.get(reverse("leadfollow:readyz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_is_unavailable_when_the_database_is_unreachable(
    client, db, settings, unreachable_database
):
    settings.REDIS_URL = ""

    response = client.get(reverse("leadfollow:readyz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "unreachable"}}


def test_readyz_checks_redis_when_configured(client, db, settings, live_redis_url):
    settings.REDIS_URL = live_redis_url

    response = client.get(reverse("leadfollow:readyz"))

    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_is_unavailable_naming_redis_when_redis_is_down(client, db, settings):
    settings.REDIS_URL = CLOSED_PORT_REDIS_URL

    response = client.get(reverse("leadfollow:readyz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "redis": "unreachable"},
    }
