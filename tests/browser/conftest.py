"""Real-browser tests: Playwright drives Debian's Chromium against Django's live server."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to
# arrange data are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


class _OneRequestAtATimeOnSharedSQLite(ThreadedWSGIServer):
    """The live server, answering one request at a time when its threads share the test's
    in-memory SQLite connection (no DATABASE_URL): a page's own requests overlap (the bell loads
    while a form posts), and two requests inside one connection's transaction at once break
    each other. With a database of its own (PostgreSQL) every thread has its own connection and
    requests run side by side as in production."""

    _lock = threading.Lock()

    def set_app(self, application):
        if not self.connections_override:
            return super().set_app(application)

        def one_at_a_time(environ, start_response):
            with self._lock:
                response = application(environ, start_response)
                try:
                    return list(response)  # streamed bodies read the database too
                finally:
                    getattr(response, "close", lambda: None)()

        return super().set_app(one_at_a_time)


LiveServerThread.server_class = _OneRequestAtATimeOnSharedSQLite


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(
                    pytest.mark.skip(reason="Chromium not installed: apt-get install -y chromium")
                )


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    page = context.new_page()
    page.csp_violations = []
    page.on(
        "console",
        lambda msg: "Content Security Policy" in msg.text and page.csp_violations.append(msg.text),
    )
    yield page
    context.close()


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, is_mobile=True
    )
    page = context.new_page()
    yield page
    context.close()


def shoot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, email: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


@pytest.fixture
def acme_team(db):
    """A workspace with a manager (Maya Hill) and a rep (Raj Patel): the people most pages need."""
    from leadfollow.models import Role
    from tests.factories import MembershipFactory, WorkspaceFactory

    workspace = WorkspaceFactory(name="Acme Roofing", slug="acme")
    manager = MembershipFactory(
        workspace=workspace, role=Role.MANAGER, user__first_name="Maya", user__last_name="Hill"
    )
    rep = MembershipFactory(
        workspace=workspace, role=Role.REP, user__first_name="Raj", user__last_name="Patel"
    )
    return workspace, manager, rep
