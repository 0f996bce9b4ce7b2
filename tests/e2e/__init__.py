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
