"""Playwright driving Debian's Chromium (Playwright cannot download its own browsers here)."""

from __future__ import annotations

import os
import shutil

import pytest
from django.core.servers.basehttp import WSGIServer

CHROMIUM = os.environ.get("LENDING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("LENDING_REQUIRE_SERVICES") == "1":
            pytest.fail(f"LENDING_REQUIRE_SERVICES=1 but Chromium was not found at {CHROMIUM}")
        pytest.skip(f"browser test skipped: Chromium not found at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in the test thread while the browser lives; the Django
    # calls that tests and database teardown make are still synchronous, so Django's guard is lifted meanwhile.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Whatever the Content-Security-Policy blocks (an inline script, a handler, a foreign source) fails the test.
    blocked: list[str] = []
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    yield page
    context.close()
    assert blocked == []


@pytest.fixture
def new_context(browser, live_server):
    """More browser contexts for one test (other users), closed at its end. A context left open keeps its keep-alive
    sockets to the live server, whose thread for each holds a database connection: 22 of them were still open
    when the suite dropped its test database (a warning at CI's teardown)."""
    contexts = []

    def open_context():
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def sign_in(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


class _OneRequestAtATimeServer(WSGIServer):
    """The live server without request threads. On in-memory SQLite every server thread shares the test's one
    database connection, and pages that load several htmx panels at once would interleave transactions on it."""

    request_queue_size = 64  # the browser's parallel requests wait in the listen queue

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)  # this runs in the live server thread, which already uses those connections


@pytest.fixture(scope="session", autouse=True)
def _serial_live_server_on_sqlite():
    from django.db import connection
    from django.test.testcases import LiveServerThread

    if connection.vendor != "sqlite":
        yield
        return
    threaded = LiveServerThread.server_class
    LiveServerThread.server_class = _OneRequestAtATimeServer
    yield
    LiveServerThread.server_class = threaded
