"""axe-core finds no accessibility violation on the pages people use, at a laptop's and a
phone's size, including the states issue 14 added (an edit conflict, inline and on the
task's page). axe runs in the page through Playwright's evaluate, which the page's Content
Security Policy does not apply to.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.models import DataJob, Task
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e import AXE_CORE, SIZES

pytestmark = pytest.mark.axe


def violations(page) -> list[str]:
    page.evaluate(Path(AXE_CORE).read_text())
    result = page.evaluate("async () => await axe.run(document)")
    return [
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} element(s), first {v['nodes'][0]['target']}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("size", list(SIZES))
def test_no_axe_violations_on_the_main_pages_and_conflict_states(new_context, browser_errors, size):
    user = UserFactory(email=f"axe-{size}@example.com", full_name="Axe Tester")
    task = services.task_create(owner=user, title="Water the plants", tags=["home"])
    note = services.note_create(owner=user, title="Plants", body="Ferns", task=task)
    waiting = DataJob.objects.create(owner=user, kind="import", format="csv", file_name="a.csv")
    row = {"row": 2, "kind": "task", "title": "Bad", "errors": {"priority": ["Use low."]}}
    failed = DataJob.objects.create(
        owner=user,
        kind="import",
        format="csv",
        status="failed",
        result={
            "detail": "1 row invalid",
            "code": "invalid_rows",
            "invalid_count": 1,
            "rows": [row],
        },
    )
    page = new_context(viewport=SIZES[size]).new_page()
    page.goto("/accounts/login/")
    found = {"login": violations(page)}
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Axe")).to_be_visible()
    found["dashboard"] = violations(page)
    page.goto("/export/")
    page.get_by_role("button", name="Export as CSV").click()
    expect(page.locator("#data-job-status").get_by_role("status")).to_contain_text(
        "Your export is ready"
    )
    found["a ready export"] = violations(page)
    for name, path in (
        ("tasks", "/tasks/"),
        ("notes", "/notes/"),
        ("note page", f"/notes/{note.pk}/"),
        ("task picker search", "/notes/pick-task/?q=plants"),
        ("import", "/import/"),
        ("export", "/export/"),
        ("a waiting import", f"/data/jobs/{waiting.pk}/"),
        ("a failed import", f"/data/jobs/{failed.pk}/"),
        ("security", "/accounts/security/"),
    ):
        page.goto(path)
        found[name] = violations(page)

    page.goto("/tasks/")
    row = page.locator(f"li#task-{task.pk}")
    row.get_by_role("link", name="Edit task").click()
    expect(row.locator("form.edit-form")).to_be_visible()
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    row.get_by_label("Title").fill("Water the ferns")
    services.task_update(task=Task.objects.get(pk=task.pk), title="Water the cactus")
    row.get_by_role("button", name="Save task").click()
    expect(row.get_by_role("alert")).to_be_visible()
    found["inline conflict"] = violations(page)

    page.goto(f"/tasks/{task.pk}/")
    page.get_by_label("Description").fill("Mine")
    services.task_update(task=Task.objects.get(pk=task.pk), description="Theirs")
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_role("alert")).to_be_visible()
    found["task page conflict"] = violations(page)

    assert {state: found[state] for state in found if found[state]} == {}
    # Chromium logs each 409 answer as a failed load: those two are the feature.
    conflicts = [e for e in browser_errors if "status of 409 (Conflict)" in e]
    assert len(conflicts) == 2
    for error in conflicts:
        browser_errors.remove(error)
