"""Browser harness: Debian's Chromium driven by Playwright against pytest-django's live server.

Never downloads a browser: it uses ``/usr/bin/chromium`` (CI installs the ``chromium`` package)
and skips (fails under LAUFZETTEL_REQUIRE_SERVICES=1) when it is missing. Screenshots of the main
pages go to ``$LAUFZETTEL_SCREENSHOT_DIR`` (default ``$LAUFZETTEL_HOME/screenshots``); to refresh
the ones in the repository:

    LAUFZETTEL_SCREENSHOT_DIR=docs/screenshots uv run pytest tests/test_browser_*.py
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.conftest import skip_or_fail

CHROMIUM = os.environ.get("LAUFZETTEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "Geheim-123!"  # the personas' password (tests/conftest.py)
# Playwright waits for what a test expects; this bounds each wait, it is never slept.
TIMEOUT_MS = 15_000


def screenshot_dir() -> Path:
    configured = os.environ.get("LAUFZETTEL_SCREENSHOT_DIR")
    folder = Path(configured) if configured else Path(settings.HOME) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shoot(page: Any, name: str) -> None:
    page.screenshot(path=str(screenshot_dir() / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def chromium(django_db_setup: None) -> Iterator[Any]:
    """One browser per test module, closed after it.

    Playwright's sync API keeps an asyncio loop running on this thread while it is open, and
    Django refuses ORM calls from a thread with a running loop unless told that the caller is
    synchronous code (it is: the test). Module scope ends the loop before other modules run.
    """
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        skip_or_fail("chromium missing")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    """Makes fresh browser profiles (one per person in the test), closed after the test."""
    contexts: list[Any] = []

    def new_context() -> Any:
        context = chromium.new_context(
            locale="en-GB", viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield new_context
    for context in contexts:
        context.close()


def english(context: Any, live_server_url: str) -> None:
    host = live_server_url.split("://", 1)[1].split(":")[0]
    context.add_cookies([{"name": "django_language", "value": "en", "domain": host, "path": "/"}])


def agent_page(new_context: Any, live_server: Any, username: str) -> Any:
    """A page logged in to the desk through the real login form."""
    context = new_context()
    english(context, live_server.url)
    page = context.new_page()
    page.goto(live_server.url + "/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(live_server.url + "/")
    return page
