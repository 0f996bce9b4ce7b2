"""Browser tests: Playwright driving the system Chromium against pytest-django's live server."""

import os
import shutil


def find_chromium() -> str | None:
    """The Chromium binary the browser tests launch, or None (they are then deselected).

    CHROMIUM_PATH names another binary; pointing it at a missing path switches the tests off.
    """
    override = os.environ.get("CHROMIUM_PATH")
    if override:
        return shutil.which(override)
    return shutil.which("chromium") or shutil.which("/usr/bin/chromium")


CHROMIUM = find_chromium()


def find_axe_core() -> str | None:
    """axe-core's script for the accessibility checks, or None (they are then deselected).

    .ci/run installs it from the npm registry into .ci/node; AXE_CORE_JS names another copy.
    """
    path = os.environ.get("AXE_CORE_JS") or os.path.join(
        os.path.dirname(__file__),
        "..",
        "..",
        ".ci",
        "node",
        "node_modules",
        "axe-core",
        "axe.min.js",
    )
    return os.path.abspath(path) if os.path.isfile(path) else None


AXE_CORE = find_axe_core()

# The two screens every page is looked at on: a laptop and a phone.
SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def signed_in_page(context, email: str, password: str, *, first_name: str):
    """A new page of `context`, signed in through the login form (the dashboard greets)."""
    from playwright.sync_api import expect  # only where the browser tests run

    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name=f"Hello, {first_name}")).to_be_visible()
    return page
