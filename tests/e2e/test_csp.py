"""Issue 4 in a real browser: every screen works under the strict Content Security Policy.

Two witnesses of a violation: Chromium's console message ("... violates the following Content
Security Policy directive ...") and the page's own `securitypolicyviolation` event, recorded into
`window.__cspViolations` by a script that runs before any of the page's. Each screen is checked
before the test moves on, so a violation is reported with the screen that caused it.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page, expect

from tasks.models import Task
from tests.accounts.factories import UserFactory
from tests.tasks.factories import NoteFactory, TaskFactory

EMAIL = "ada@example.com"
PASSWORD = "analytical-engine-1843"

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"}` +
    ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`
  );
});
"""


class CspWatch:
    """A browser context whose CSP violations (console messages and events) are kept."""

    def __init__(self, context: BrowserContext) -> None:
        self.console: list[str] = []
        self.context = context
        context.add_init_script(RECORD_VIOLATIONS)
        context.on("console", self._on_console)
        self.page = context.new_page()

    def _on_console(self, message) -> None:
        # CSP violations, and Chromium's warnings about a Permissions-Policy it cannot parse.
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text:
            self.console.append(f"{message.type}: {message.text}")

    def assert_none(self, page: Page, screen: str) -> None:
        """Fail if the screen now shown, or anything since the last check, broke the policy."""
        page.wait_for_load_state("networkidle")
        events = page.evaluate("window.__cspViolations")
        console, self.console = self.console, []
        assert events == [], f"CSP violations on {screen}: {events}"
        assert console == [], f"CSP messages on {screen}: {console}"


@pytest.fixture
def csp(new_context):
    """A fresh watched context: `csp.page` to browse, `csp.assert_none(page, name)` to check."""
    return CspWatch(new_context())


def log_in_as_staff(context: BrowserContext, base_url: str, staff) -> None:
    """Give the browser a staff session that passed two-factor authentication.

    The admin (django-otp's OTPAdminSite) wants a session verified with one of the user's
    devices: this is what `django_otp.login()` records after a correct code.
    """
    device = TOTPDevice.objects.create(user=staff, name="Authenticator", confirmed=True)
    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": base_url}]
    )


def test_the_browser_enforces_the_policy_and_the_test_sees_it(csp, browser_errors):
    """An inline script is refused, and both witnesses report it: the checks below can fail."""
    page = csp.page
    page.goto("/accounts/signup/")
    assert page.evaluate("[htmx.config.allowEval, htmx.config.allowScriptTags]") == [False, False]
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
        }"""
    )
    assert page.evaluate("window.__injected") is None
    with pytest.raises(AssertionError, match="script-src-elem blocked inline"):
        csp.assert_none(page, "signup, with an injected script")
    browser_errors.clear()  # the refusal was the point


def test_every_screen_runs_under_the_policy(
    csp, screenshot, browser_errors, assert_no_browser_errors
):
    page = csp.page
    UserFactory(email=EMAIL, full_name="Ada Lovelace", password=PASSWORD)

    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    csp.assert_none(page, "signup")

    page.goto("/accounts/login/")
    csp.assert_none(page, "login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()
    csp.assert_none(page, "login, then the dashboard")
    screenshot(page, "dashboard")

    # htmx in place: create a task through the inline form, then mark it done.
    page.goto("/tasks/")
    page.evaluate("window.__noReload = true")
    # Password managers (and Playwright's screenshots) style inputs through the CSSOM, which
    # CSP allows; htmx must not copy the resulting style="" onto the swapped-in form.
    page.evaluate("document.querySelector('#new-task-title').style.outline = '0'")
    page.locator("#new-task-title").fill("Check the headers")
    page.locator("#task-create-form").get_by_role("button", name="Add task").click()
    expect(page.locator("#task-count")).to_have_text("1 task")
    task = Task.objects.get(title="Check the headers")
    row = page.locator(f"li#task-{task.pk}")
    row.get_by_role("button", name="Mark done").click()
    expect(row).to_have_class(re.compile(r"\bis-done\b"))
    assert page.evaluate("window.__noReload") is True, "htmx did not work in place"
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    csp.assert_none(page, "tasks, after an htmx create and toggle")
    screenshot(page, "tasks")

    page.goto(f"/tasks/{task.pk}/")
    csp.assert_none(page, "task detail")
    note = NoteFactory(owner=task.owner, title="Headers to check")
    page.goto("/notes/")
    expect(page.get_by_text("Headers to check")).to_be_visible()
    csp.assert_none(page, "notes")
    page.goto(f"/notes/{note.pk}/")
    csp.assert_none(page, "note detail")
    page.goto("/accounts/profile/")
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    csp.assert_none(page, "profile")
    assert_no_browser_errors()

    page.goto("/no-such-page/")
    expect(page.locator("body")).to_contain_text(re.compile("not found", re.IGNORECASE))
    csp.assert_none(page, "the 404 page")
    # The 404 itself is the one console error this page should log.
    not_found = [error for error in browser_errors if "status of 404" in error]
    assert not_found, "the 404 page was not reported as one"
    browser_errors[:] = [error for error in browser_errors if error not in not_found]


def test_swagger_ui_renders_under_the_policy(csp, screenshot, assert_no_browser_errors):
    page = csp.page
    page.goto("/api/docs/")
    # The operations appear only once the inline script has run and fetched the schema.
    expect(page.get_by_role("heading", name=re.compile("TaskFlow API"))).to_be_visible()
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/tasks/").first).to_be_visible()
    page.locator(".opblock-summary", has_text="/api/v1/auth/me/").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    # The inline <style> applied: the page background is drf-spectacular's #fafafa.
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 250, 250)"
    csp.assert_none(page, "Swagger UI")
    screenshot(page, "swagger-ui")
    assert_no_browser_errors()


def test_the_admin_runs_under_the_policy(
    csp, base_url, screenshot, browser_errors, assert_no_browser_errors
):
    staff = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    task = TaskFactory(owner=staff, title="Audit the admin")
    log_in_as_staff(csp.context, base_url, staff)
    page = csp.page

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    csp.assert_none(page, "admin index")

    page.goto("/admin/tasks/task/")
    expect(page.get_by_role("link", name="Audit the admin")).to_be_visible()
    page.locator("#action-toggle").check()  # actions.js
    expect(page.locator(".action-counter")).to_contain_text("1 of 1 selected")
    csp.assert_none(page, "task changelist")

    page.goto(f"/admin/tasks/task/{task.pk}/change/")  # view-only: staff act through services
    expect(page.locator("#content")).to_contain_text("Audit the admin")
    csp.assert_none(page, "task view")

    page.goto("/admin/tasks/tag/add/")
    page.locator(".field-owner .select2-selection").click()  # autocomplete (jQuery, select2)
    page.locator(".select2-search__field").fill("root")
    page.locator(".select2-results__option", has_text="root@example.com").click()
    page.get_by_label("Name").fill("audit")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    csp.assert_none(page, "tag add form, then the tag changelist")
    screenshot(page, "admin-tag-added")

    page.goto(f"/admin/accounts/user/{staff.pk}/change/")  # SelectFilter2 on permissions
    expect(page.locator("#id_email")).to_have_value("root@example.com")
    expect(page.locator("#id_user_permissions_from")).to_be_visible()
    csp.assert_none(page, "user change form")

    # The admin's pages link no favicon, so Chromium asks for /favicon.ico: a 404 unrelated
    # to the policy (the site's own pages link theirs).
    browser_errors[:] = [error for error in browser_errors if "/favicon.ico" not in error]
    assert_no_browser_errors()
