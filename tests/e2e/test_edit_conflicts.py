"""Issue 14 in a real browser: two tabs on one task, at a laptop's and a phone's size.

Tab A marks a task done; tab B, opened before, clicks its stale "Mark done": the task stays
done. Tab A starts an inline edit and types a description; tab B changes the tags; tab A
saves: both changes are kept. Then both change the title: tab A sees its own title with
tab B's under it, and "Keep mine" saves it.
"""

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.models import Task
from tests.accounts.factories import DEFAULT_PASSWORD as PASSWORD
from tests.accounts.factories import UserFactory
from tests.e2e import SIZES, signed_in_page


def signed_in_tab(new_context, email, size):
    return signed_in_page(new_context(viewport=SIZES[size]), email, PASSWORD, first_name="Kim")


def start_inline_edit(row):
    """Open the row's inline form and wait until htmx has swapped and settled it: a value
    typed into a form still being settled can be replaced."""
    row.get_by_role("link", name="Edit task").click()
    expect(row.locator("form.edit-form")).to_be_visible()
    expect(row.page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)


@pytest.mark.parametrize("size", list(SIZES))
def test_two_tabs_never_undo_each_other(new_context, screenshot, browser_errors, size):
    user = UserFactory(email=f"kim-{size}@example.com", full_name="Kim Tab")
    task = services.task_create(owner=user, title="Water the plants", tags=["home"])
    tab_a = signed_in_tab(new_context, user.email, size)
    tab_b = signed_in_tab(new_context, user.email, size)
    for tab in (tab_a, tab_b):
        tab.goto("/tasks/")
    row_a, row_b = (tab.locator(f"li#task-{task.pk}") for tab in (tab_a, tab_b))

    row_a.get_by_role("button", name="Mark done").click()
    expect(row_a.get_by_role("button", name="Reopen")).to_be_visible()
    row_b.get_by_role("button", name="Mark done").click()  # stale: the task is done already
    expect(row_b.get_by_role("button", name="Reopen")).to_be_visible()
    assert Task.objects.get(pk=task.pk).status == Task.Status.DONE

    start_inline_edit(row_a)
    row_a.get_by_label("Description").fill("Ferns twice a week")
    expect(row_a.get_by_label("Description")).to_have_value("Ferns twice a week")
    services.task_update(task=Task.objects.get(pk=task.pk), tags=["home", "garden"])  # tab B
    row_a.get_by_role("button", name="Save task").click()
    expect(row_a).to_contain_text("#garden")
    saved = Task.objects.get(pk=task.pk)
    assert saved.description == "Ferns twice a week"

    start_inline_edit(row_a)
    row_a.get_by_label("Title").fill("Water the ferns")
    services.task_update(task=saved, title="Water the cactus")  # tab B
    row_a.get_by_role("button", name="Save task").click()
    inline_alert = row_a.get_by_role("alert")
    expect(inline_alert).to_contain_text("Someone saved this task")
    # As wide as the form, not squeezed into one grid column.
    assert inline_alert.bounding_box()["width"] > row_a.bounding_box()["width"] * 0.8
    expect(row_a.get_by_label("Title")).to_have_value("Water the ferns")
    expect(row_a).to_contain_text("Saved meanwhile: Water the cactus")
    screenshot(tab_a, f"inline-conflict-{size}")
    row_a.get_by_role("button", name="Keep mine").click()
    expect(row_a.get_by_role("link", name="Water the ferns")).to_be_visible()

    # The task's own page, without the inline form: the same conflict, full width.
    tab_a.goto(f"/tasks/{task.pk}/")
    tab_a.get_by_label("Description").fill("Ferns on Mondays")
    services.task_update(task=Task.objects.get(pk=task.pk), description="Cactus never")
    tab_a.get_by_role("button", name="Save task").click()
    alert = tab_a.get_by_role("alert")
    expect(alert).to_contain_text("Someone saved this task")
    assert alert.bounding_box()["width"] > SIZES[size]["width"] * 0.6  # not squeezed either
    screenshot(tab_a, f"detail-conflict-{size}")
    tab_a.get_by_role("button", name="Use theirs").click()
    expect(tab_a.get_by_label("Description")).to_have_value("Cactus never")
    # Chromium logs each 409 answer as a failed load: those two are the feature.
    conflicts = [e for e in browser_errors if "status of 409 (Conflict)" in e]
    assert len(conflicts) == 2
    for error in conflicts:
        browser_errors.remove(error)
