"""Fixtures for browser tests (pytest-playwright's `page`, `context`, `new_context`, ...).

Every test in this folder is marked `e2e`; tests/conftest.py deselects them where no Chromium
is installed. Pages are served by pytest-django's `live_server` (so tests get
`transactional_db`), and `page.goto("/accounts/login/")` resolves against it. One browser is
launched per session; each test gets a fresh context (cookies, storage).

Artifacts go to artifacts/e2e/<test>/ (pyproject's addopts: `--output`, failure screenshots):
`screenshot(page, "name")` for the screens worth keeping, and a full-page shot when a test fails.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.e2e import CHROMIUM

# Playwright's sync API runs an asyncio loop in the main thread for the whole session, so
# Django's async-safety check would refuse every ORM call made from tests (and from the
# database fixtures' flush). It must be set before Django first touches the database.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before tests/conftest.py deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # Without the networking flags Chromium keeps calling Google, which this network refuses.
        "args": [
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """The live server's URL; every context resolves relative URLs against it."""
    return live_server.url


@pytest.fixture
def browser_errors():
    """Console errors and uncaught page errors of every page of the test; empty at the end."""
    errors: list[str] = []
    yield errors
    assert not errors, "browser errors:\n" + "\n".join(errors)


@pytest.fixture
def new_context(new_context, browser_errors):
    """pytest-playwright's `new_context`, with every context's errors fed to `browser_errors`."""

    def on_console(message):
        if message.type == "error":
            browser_errors.append(f"console: {message.text} at {message.location.get('url', '')}")

    def on_page_error(web_error):
        browser_errors.append(f"page error: {web_error.error}")

    def watched(**kwargs):
        context = new_context(**kwargs)
        context.on("console", on_console)
        context.on("weberror", on_page_error)
        return context

    return watched


@pytest.fixture
def assert_no_browser_errors(browser_errors):
    """Call at a checkpoint to fail there, rather than at teardown, on a browser error."""

    def check():
        errors = browser_errors.copy()
        browser_errors.clear()  # reported here, not again at teardown
        assert not errors, "browser errors:\n" + "\n".join(errors)

    return check


@pytest.fixture
def screenshot(output_path):
    """`screenshot(page, "dashboard")` saves artifacts/e2e/<test>/01-dashboard.png."""
    taken = 0

    def take(page: Page, name: str) -> Path:
        nonlocal taken
        taken += 1
        path = Path(output_path) / f"{taken:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
