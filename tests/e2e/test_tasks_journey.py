"""Issue 3 in a real browser: the task list, with htmx and with JavaScript off.

With JavaScript, creating, searching, completing and deleting tasks all happen in place: a
marker set on `window` survives every step (a reload would clear it), and the page makes no
navigation request. Without JavaScript the same forms are plain forms: each action posts,
the server redirects back to the list, and the page shows what changed.
"""

import re

from playwright.sync_api import Page, Request, expect

from tasks.models import Task
from tests.accounts.factories import UserFactory

FULL_NAME = "Ada Lovelace"
EMAIL = "ada@example.com"
PASSWORD = "analytical-engine-1843"


def sign_up(page: Page) -> None:
    page.goto("/accounts/signup/")
    page.locator("#id_full_name").fill(FULL_NAME)
    page.locator("#id_email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.locator("#id_password_confirm").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()


def log_in(page: Page, email: str = EMAIL, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Ada")).to_be_visible()


def row(page: Page, task: Task):
    return page.locator(f"li#task-{task.pk}")


def add_task(page: Page, title: str) -> None:
    page.locator("#new-task-title").fill(title)
    page.locator("#task-create-form").get_by_role("button", name="Add task").click()


def test_tasks_journey_in_place_with_htmx(page: Page, screenshot, assert_no_browser_errors):
    sign_up(page)
    page.goto("/tasks/")
    expect(page.get_by_role("heading", name="Tasks", exact=True)).to_be_visible()
    expect(page.locator("#task-list")).to_contain_text("No tasks yet")
    screenshot(page, "empty-list")

    # From here on nothing may reload the page: a reload clears the marker, and any
    # navigation (reload, plain form submit, link) shows up as a main-frame document request.
    page.evaluate("window.__noReload = 'still-here'")
    navigations: list[str] = []

    def on_request(request: Request) -> None:
        if request.is_navigation_request() and request.frame.parent_frame is None:
            navigations.append(f"{request.method} {request.url}")

    page.on("request", on_request)

    def assert_not_reloaded() -> None:
        assert page.evaluate("window.__noReload") == "still-here", "the page was reloaded"
        assert navigations == [], f"the page navigated: {navigations}"

    task_rows = page.locator("#task-list > li.task-row")
    count = page.locator("#task-count")

    # Create two tasks through the inline form.
    add_task(page, "Write the quarterly report")
    expect(count).to_have_text("1 task")
    report = Task.objects.get(title="Write the quarterly report")
    expect(row(page, report)).to_contain_text("Write the quarterly report")
    expect(page.locator("#new-task-title")).to_be_empty()  # a blank form was swapped in...
    expect(page.locator("#new-task-title")).to_be_focused()  # ...ready for the next task
    add_task(page, "Buy groceries")
    expect(task_rows).to_have_count(2)
    groceries = Task.objects.get(title="Buy groceries")
    expect(task_rows.first).to_have_id(f"task-{groceries.pk}")  # newest first
    expect(count).to_have_text("2 tasks")
    expect(page.locator("#new-task-title")).to_be_empty()
    expect(page.locator("#task-list .empty-state")).to_be_hidden()
    assert_not_reloaded()
    assert list(Task.objects.filter(owner__email=EMAIL).values_list("title", flat=True)) == [
        "Buy groceries",
        "Write the quarterly report",
    ]
    screenshot(page, "two-tasks-added")

    # The live search narrows the list as the user types, and puts the search in the URL.
    page.locator("#task-search").fill("report")
    expect(page).to_have_url(re.compile(r"/tasks/\?(.*&)?search=report(&|$)"))
    expect(task_rows).to_have_count(1)
    expect(row(page, report)).to_be_visible()
    expect(count).to_have_text("1 task")
    assert_not_reloaded()
    screenshot(page, "searched")

    # Complete the task found.
    row(page, report).get_by_role("button", name="Mark done").click()
    expect(row(page, report)).to_have_class(re.compile(r"\bis-done\b"))
    expect(row(page, report).get_by_role("button", name="Reopen")).to_be_visible()
    expect(row(page, report).locator(".badge.status-done")).to_have_text("Done")
    assert_not_reloaded()
    report.refresh_from_db()
    assert report.status == Task.Status.DONE
    assert report.completed_at is not None
    screenshot(page, "completed")

    # Clearing the search brings the other task back.
    page.locator("#task-search").fill("")
    expect(page).not_to_have_url(re.compile(r"search=report"))
    expect(task_rows).to_have_count(2)
    expect(count).to_have_text("2 tasks")
    assert_not_reloaded()

    # Delete the other one, after accepting the browser's confirm dialog.
    dialogs: list[str] = []

    def accept(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    row(page, groceries).get_by_role("button", name="Delete task").click()
    expect(row(page, groceries)).to_have_count(0)
    expect(task_rows).to_have_count(1)
    expect(count).to_have_text("1 task")
    assert dialogs == ["Delete the task “Buy groceries”?"]
    assert_not_reloaded()
    assert not Task.objects.filter(pk=groceries.pk).exists()
    assert Task.objects.filter(owner__email=EMAIL).count() == 1
    screenshot(page, "deleted")

    # What the page shows in place is what the server stored; and a reload is detected.
    page.reload()
    assert page.evaluate("window.__noReload") is None
    assert navigations == [f"GET {page.url}"]
    expect(task_rows).to_have_count(1)
    expect(row(page, report)).to_have_class(re.compile(r"\bis-done\b"))
    assert_no_browser_errors()


def test_tasks_journey_without_javascript(new_context, screenshot, assert_no_browser_errors):
    UserFactory(email=EMAIL, full_name=FULL_NAME, password=PASSWORD)
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page)
    assert page.evaluate("typeof htmx") == "undefined"  # evaluate still works; pages' JS doesn't

    page.goto("/tasks/")
    messages = page.get_by_role("region", name="Messages")
    task_rows = page.locator("#task-list > li.task-row")

    # The create form posts, and the server redirects back to the list.
    add_task(page, "Water the plants")
    expect(messages).to_contain_text("Task “Water the plants” added.")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    plants = Task.objects.get(title="Water the plants")
    expect(row(page, plants)).to_contain_text("Water the plants")
    expect(page.locator("#task-count")).to_have_text("1 task")
    add_task(page, "Call the plumber")
    expect(messages).to_contain_text("Task “Call the plumber” added.")
    plumber = Task.objects.get(title="Call the plumber")
    expect(task_rows).to_have_count(2)
    expect(page.locator("#task-count")).to_have_text("2 tasks")
    screenshot(page, "two-tasks-added")

    # Mark done: a plain POST, then back to the list.
    row(page, plants).get_by_role("button", name="Mark done").click()
    expect(messages).to_contain_text("“Water the plants” marked done.")
    expect(row(page, plants)).to_have_class(re.compile(r"\bis-done\b"))
    expect(row(page, plants).get_by_role("button", name="Reopen")).to_be_visible()
    plants.refresh_from_db()
    assert plants.status == Task.Status.DONE
    screenshot(page, "completed")

    # Delete: the button leads to a confirmation page, whose form does the POST.
    row(page, plumber).get_by_role("button", name="Delete task").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{plumber.pk}/delete/\?next=%2Ftasks%2F$"))
    expect(page.get_by_role("heading", name="Delete this task?")).to_be_visible()
    expect(page.locator("main")).to_contain_text("“Call the plumber” will be deleted for good.")
    assert Task.objects.filter(pk=plumber.pk).exists()  # asking deleted nothing
    screenshot(page, "confirm-delete")
    page.locator("#confirm-delete-form").get_by_role("button", name="Delete task").click()
    expect(messages).to_contain_text("Task “Call the plumber” deleted.")
    expect(page).to_have_url(re.compile(r"/tasks/$"))
    expect(row(page, plumber)).to_have_count(0)
    expect(task_rows).to_have_count(1)
    expect(page.locator("#task-count")).to_have_text("1 task")
    assert list(Task.objects.values_list("title", flat=True)) == ["Water the plants"]
    screenshot(page, "deleted")
    assert_no_browser_errors()
