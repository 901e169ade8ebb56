"""Shared fixtures: two workspaces, a member of each role, logged-in clients, an API client."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from leadfollow.models import Role
from leadfollow.services.api_keys import create_api_key
from leadfollow.tenancy import workspace_scope
from tests.factories import LeadFactory, MembershipFactory, WorkspaceFactory


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--no-skip",
        action="store_true",
        help="fail any test that would be skipped (CI on Postgres with Chromium runs everything)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://… to run it")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.config.getoption("--no-skip"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in a run that must run every test (--no-skip): {reason}"


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _tasks_run_in_process():
    """Tasks run inside the test, also when REDIS_URL points Celery at a real broker (CI)."""
    from leadfollow.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and cached lookups never leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def workspace(db):
    return WorkspaceFactory(name="Acme Roofing", slug="acme")


@pytest.fixture
def other_workspace(db):
    return WorkspaceFactory(name="Globex Windows", slug="globex")


@pytest.fixture
def lead(workspace):
    """A lead of the workspace, with the test running in the workspace's scope."""
    with workspace_scope(workspace):
        yield LeadFactory(workspace=workspace)


@pytest.fixture
def owner(workspace):
    return MembershipFactory(workspace=workspace, role=Role.OWNER)


@pytest.fixture
def manager(workspace):
    return MembershipFactory(workspace=workspace, role=Role.MANAGER)


@pytest.fixture
def rep(workspace):
    return MembershipFactory(workspace=workspace, role=Role.REP)


def _client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return _client_for(owner)


@pytest.fixture
def manager_client(manager) -> Client:
    return _client_for(manager)


@pytest.fixture
def rep_client(rep) -> Client:
    return _client_for(rep)


@pytest.fixture
def api_key(workspace):
    with workspace_scope(workspace):
        return create_api_key(workspace=workspace, name="Website form")


@pytest.fixture
def api_client(api_key) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.secret}")
    return client
