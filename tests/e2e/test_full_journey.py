"""Issue 7, item 1: a newcomer's whole first visit in a real browser, in one test.

Sign up, verify the address with the emailed link, log in; create, edit, complete, search
and delete tasks in place with htmx; write a note and open it; turn on two-factor
authentication; log out, and log in again with a code. Each screen is saved to
artifacts/e2e/<test>/.

Across the whole visit the browser must log no console error (the `browser_errors`
fixture) and break the Content Security Policy nowhere. Every document reports its
`securitypolicyviolation` events to the test as they happen (an exposed function, so no
report is lost when the page navigates away), Chromium's console messages about the
policy are kept too, and the journey is checked screen by screen and once more at the end.
"""

import re

from django.core import mail
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, expect

from accounts.models import User
from tasks.models import Note, Task
from tests.e2e.test_two_factor import authenticator_code

FULL_NAME = "Katherine Johnson"
EMAIL = "katherine@example.com"
PASSWORD = "orbital-trajectory-1962"

REPORT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const report = `${event.effectiveDirective} blocked ${event.blockedURI || "(inline)"}` +
    ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`;
  window.__cspViolations.push(report);
  window.__reportCspViolation(report);
});
"""


class JourneyWatch:
    """The CSP violations of every page a browser context shows, for the whole journey."""

    def __init__(self, context: BrowserContext) -> None:
        self.violations: list[str] = []
        self.console: list[str] = []
        context.expose_function("__reportCspViolation", self._on_report)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._on_console)

    def _on_report(self, report: str) -> None:
        self.violations.append(report)

    def _on_console(self, message: ConsoleMessage) -> None:
        # CSP violations, and Chromium's warnings about a Permissions-Policy it cannot parse.
        if "Content Security Policy" in message.text or "Permissions-Policy" in message.text:
            self.console.append(f"{message.type}: {message.text}")

    def assert_none(self, page: Page, screen: str) -> None:
        """Fail if anything so far, on this page or an earlier one, broke the policy."""
        in_page = page.evaluate("window.__cspViolations")  # a round trip: reports have arrived
        assert in_page == [], f"CSP violations on {screen}: {in_page}"
        assert self.violations == [], f"CSP violations up to {screen}: {self.violations}"
        assert self.console == [], f"CSP messages up to {screen}: {self.console}"


class InPlace:
    """Proof that htmx worked in place: a marker on `window` survives (a reload clears it),
    and the page makes no main-frame navigation request."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.navigations: list[str] = []
        page.evaluate("window.__noReload = 'still-here'")
        page.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self.navigations.append(f"{request.method} {request.url}")

    def check(self) -> None:
        assert self.page.evaluate("window.__noReload") == "still-here", "the page was reloaded"
        assert self.navigations == [], f"the page navigated: {self.navigations}"

    def stop(self) -> None:
        self.check()
        self.page.remove_listener("request", self._on_request)


def log_in_with_password(page: Page) -> None:
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def go_to(page: Page, section: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=section).click()


def test_a_newcomers_whole_visit_in_one_go(
    new_context, screenshot, browser_errors, assert_no_browser_errors
):
    context = new_context()
    watch = JourneyWatch(context)
    page = context.new_page()

    # --- sign up, verify the address, log in ---------------------------------------------
    page.goto("/accounts/signup/")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Full name").fill(FULL_NAME)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    watch.assert_none(page, "signup")
    screenshot(page, "signup")
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Hello, Katherine")).to_be_visible()
    banner = page.get_by_role("status").filter(has_text="Please confirm your email address")
    expect(banner).to_be_visible()
    watch.assert_none(page, "the dashboard, unverified")
    screenshot(page, "dashboard-unverified")
    [message] = mail.outbox
    assert message.to == [EMAIL]
    link = re.search(r"https?://\S+/accounts/verify-email/\S+/", message.body)[0]

    log_out(page)
    watch.assert_none(page, "the login page")
    screenshot(page, "logged-out")

    page.goto(link)  # the link works signed out, and leads to the login page
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("status")).to_have_text(f"Thank you: {EMAIL} is verified.")
    assert User.objects.get(email=EMAIL).email_verified
    watch.assert_none(page, "the verification link")
    screenshot(page, "email-verified")

    log_in_with_password(page)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Katherine")).to_be_visible()
    expect(banner).to_have_count(0)
    watch.assert_none(page, "the dashboard")
    screenshot(page, "dashboard")
    assert_no_browser_errors()

    # --- tasks, in place: create, edit, complete, search, delete ---------------------------
    go_to(page, "Tasks")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page.locator("#task-list")).to_contain_text("No tasks yet")
    screenshot(page, "tasks-empty")
    in_place = InPlace(page)
    rows = page.locator("#task-list > li.task-row")
    count = page.locator("#task-count")

    def add_task(title: str) -> Task:
        page.locator("#new-task-title").fill(title)
        page.locator("#task-create-form").get_by_role("button", name="Add task").click()
        expect(rows.first).to_contain_text(title)  # newest first
        expect(page.locator("#new-task-title")).to_be_empty()
        return Task.objects.get(owner__email=EMAIL, title=title)

    launch = add_task("Plan the launch window")
    expect(count).to_have_text("1 task")
    groceries = add_task("Buy groceries")
    expect(count).to_have_text("2 tasks")
    expect(page.locator("#task-list .empty-state")).to_be_hidden()
    in_place.check()
    screenshot(page, "tasks-added")

    launch_row = page.locator(f"li#task-{launch.pk}")
    launch_row.get_by_role("link", name="Edit task").click()
    expect(launch_row).to_have_class(re.compile(r"\bediting\b"))
    expect(launch_row.get_by_label("Title", exact=True)).to_be_focused()
    launch_row.get_by_label("Title", exact=True).fill("Plan the launch window for Friday")
    launch_row.get_by_label("Description", exact=True).fill("Check the weather first.")
    launch_row.get_by_label("Tags", exact=True).fill("launch, orbit")
    screenshot(page, "task-editing")
    launch_row.get_by_role("button", name="Save task").click()
    expect(launch_row).not_to_have_class(re.compile(r"\bediting\b"))
    expect(launch_row.locator(".row-title")).to_have_text("Plan the launch window for Friday")
    expect(launch_row.locator(".tag")).to_have_text(["#launch", "#orbit"])
    in_place.check()
    launch.refresh_from_db()
    assert launch.title == "Plan the launch window for Friday"
    assert launch.description == "Check the weather first."
    assert sorted(launch.tags.values_list("name", flat=True)) == ["launch", "orbit"]
    screenshot(page, "task-edited")

    launch_row.get_by_role("button", name="Mark done").click()
    expect(launch_row).to_have_class(re.compile(r"\bis-done\b"))
    expect(launch_row.get_by_role("button", name="Reopen")).to_be_visible()
    in_place.check()
    launch.refresh_from_db()
    assert launch.status == Task.Status.DONE
    screenshot(page, "task-completed")

    page.locator("#task-search").fill("groceries")
    expect(page).to_have_url(re.compile(r"/tasks/\?(.*&)?search=groceries(&|$)"))
    expect(rows).to_have_count(1)
    expect(page.locator(f"li#task-{groceries.pk}")).to_be_visible()
    expect(count).to_have_text("1 task")
    in_place.check()
    screenshot(page, "tasks-searched")

    page.locator("#task-search").fill("")
    expect(rows).to_have_count(2)
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator(f"li#task-{groceries.pk}").get_by_role("button", name="Delete task").click()
    expect(page.locator(f"li#task-{groceries.pk}")).to_have_count(0)
    expect(count).to_have_text("1 task")
    assert dialogs == ["Delete the task “Buy groceries”?"]
    in_place.stop()
    assert list(Task.objects.filter(owner__email=EMAIL).values_list("pk", flat=True)) == [launch.pk]
    watch.assert_none(page, "the task list, after every htmx action")
    screenshot(page, "task-deleted")
    assert_no_browser_errors()

    # --- a note: write it in place, then open it -------------------------------------------
    go_to(page, "Notes")
    expect(page.get_by_role("heading", name="Notes", exact=True)).to_be_visible()
    in_place = InPlace(page)
    page.get_by_text("Write a note").click()  # the <details> panel
    page.locator("#new-note-title").fill("Launch checklist")
    page.locator("#new-note-body").fill("Fuel, weather, crew.")
    picker = page.locator("#new-note-task")
    picker.press_sequentially("launch win")  # htmx fills the suggestions as the user types
    label = f"Plan the launch window for Friday #{launch.pk}"
    expect(page.locator(f'#new-note-task-options option[value="{label}"]')).to_have_count(1)
    picker.fill(label)  # what choosing the suggestion puts in the field
    page.locator("#note-create-form").get_by_role("button", name="Add note").click()
    expect(page.locator("#note-count")).to_have_text("1 note")
    note = Note.objects.get(owner__email=EMAIL)
    note_row = page.locator(f"li#note-{note.pk}")
    expect(note_row).to_contain_text("Launch checklist")
    expect(note_row).to_contain_text("Fuel, weather, crew.")
    expect(note_row).to_contain_text("Task: Plan the launch window for Friday")
    in_place.stop()
    assert note.task_id == launch.pk
    screenshot(page, "note-added")

    note_row.get_by_role("link", name="Launch checklist").click()
    expect(page).to_have_url(re.compile(rf"/notes/{note.pk}/$"))
    expect(page.get_by_role("heading", name="Launch checklist")).to_be_visible()
    expect(page.get_by_label("Body")).to_have_value("Fuel, weather, crew.")
    watch.assert_none(page, "the notes and the note's page")
    screenshot(page, "note")
    assert_no_browser_errors()

    # --- two-factor authentication ---------------------------------------------------------
    go_to(page, "Security")
    expect(page.get_by_role("heading", name="Security", exact=True)).to_be_visible()
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("figure svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    watch.assert_none(page, "the QR code")
    screenshot(page, "two-factor-qr-code")
    page.get_by_label("6-digit code from the app").fill(authenticator_code(secret))
    page.get_by_role("button", name="Confirm and turn on").click()
    expect(page.get_by_role("heading", name="Your backup codes")).to_be_visible()
    expect(page.locator(".code-list code")).to_have_count(10)
    assert User.objects.get(email=EMAIL).two_factor_enabled
    watch.assert_none(page, "the backup codes")
    screenshot(page, "backup-codes")

    # --- log out, log in with the password and a code --------------------------------------
    log_out(page)
    log_in_with_password(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/code/$"))
    expect(page.get_by_role("heading", name="Enter your authentication code")).to_be_visible()
    watch.assert_none(page, "the code step")
    screenshot(page, "code-step")
    # The code used to enrol is spent: the app's next one is accepted within the tolerance.
    page.get_by_label("Authentication code").fill(authenticator_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify and log in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Hello, Katherine")).to_be_visible()
    expect(page.locator("#recently-completed")).to_contain_text("Plan the launch window for Friday")
    screenshot(page, "dashboard-after-code")

    # The whole journey: no violation and no console error anywhere.
    watch.assert_none(page, "the end of the journey")
    assert_no_browser_errors()

    # And the watch does see one: an injected inline script is refused and reported.
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__injected = true";
          document.body.append(script);
        }"""
    )
    assert page.evaluate("window.__injected") is None
    for _ in range(20):  # the report reaches the test asynchronously
        if watch.violations:
            break
        page.wait_for_timeout(50)
    assert any("script-src" in report for report in watch.violations), watch.violations
    browser_errors.clear()  # the refusal was the point
