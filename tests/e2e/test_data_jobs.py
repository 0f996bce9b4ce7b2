"""Issue 14 §4: export and import as jobs in a real browser, at a laptop's and a phone's
size, and without JavaScript. Exporting leads to a page with the file to download;
importing leads to a page that reports the outcome; a job still running updates in place
(htmx polling), or, with JavaScript off, by refreshing itself."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.models import DataJob, Task
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e import SIZES, signed_in_page

CSV = b"kind,title,tags\ntask,Imported in the browser,garden\nnote,A note,\n"


def signed_in(new_context, email, **options):
    return signed_in_page(new_context(**options), email, DEFAULT_PASSWORD, first_name="Dana")


@pytest.mark.parametrize("size", list(SIZES))
def test_export_then_import_through_the_pages(
    new_context, screenshot, assert_no_browser_errors, size
):
    user = UserFactory(email=f"dana-{size}@example.com", full_name="Dana Data")
    services.task_create(owner=user, title="Keep me safe", tags=["home"])
    page = signed_in(new_context, user.email, viewport=SIZES[size], accept_downloads=True)
    page.goto("/accounts/profile/")
    page.get_by_role("button", name="Export as JSON").click()
    expect(page.get_by_role("heading", name="Export of your data")).to_be_visible()
    expect(page.locator("#data-job-status").get_by_role("status")).to_contain_text(
        "Your export is ready: 1 task and 0 notes"
    )
    screenshot(page, f"export-ready-{size}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download taskflow-export-").click()
    document = json.loads(Path(download.value.path()).read_text())
    assert [task["title"] for task in document["tasks"]] == ["Keep me safe"]

    page.goto("/import/")
    page.get_by_label("Import a JSON or CSV export").set_input_files(
        {"name": "mine.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    page.get_by_role("button", name="Import file").click()
    expect(page.locator("#data-job-status").get_by_role("status")).to_have_text(
        "Imported 1 task and 1 note."
    )
    screenshot(page, f"import-done-{size}")
    assert Task.objects.filter(owner=user, title="Imported in the browser").exists()
    assert_no_browser_errors()


def test_a_running_job_updates_in_place_with_htmx(
    new_context, screenshot, assert_no_browser_errors
):
    user = UserFactory(email="dana-live@example.com", full_name="Dana Data")
    job = DataJob.objects.create(owner=user, kind="import", format="csv", file_name="big.csv")
    page = signed_in(new_context, user.email, viewport=SIZES["laptop"])
    page.goto(f"/data/jobs/{job.pk}/")
    expect(page.get_by_text("Waiting to start")).to_be_visible()
    screenshot(page, "import-waiting-laptop")
    url = page.url

    DataJob.objects.filter(pk=job.pk).update(
        status="failed",
        result={
            "detail": "1 row invalid; nothing was imported.",
            "code": "invalid_rows",
            "invalid_count": 1,
            "rows": [
                {
                    "row": 2,
                    "kind": "task",
                    "title": "Bad",
                    "errors": {"priority": ["Use low, medium or high."]},
                }
            ],
        },
    )

    alert = page.locator("#data-job-status").get_by_role("alert")
    expect(alert).to_contain_text("1 row of the file has errors", timeout=5000)
    expect(alert).to_contain_text("priority: Use low, medium or high.")
    assert page.url == url  # updated in place, not reloaded
    screenshot(page, "import-failed-laptop")
    assert_no_browser_errors()


def test_without_javascript_a_running_job_refreshes_itself(new_context, assert_no_browser_errors):
    user = UserFactory(email="dana-nojs@example.com", full_name="Dana Data")
    job = DataJob.objects.create(owner=user, kind="import", format="csv", file_name="big.csv")
    page = signed_in(new_context, user.email, java_script_enabled=False)
    page.goto(f"/data/jobs/{job.pk}/")
    expect(page.get_by_text("Waiting to start")).to_be_visible()

    DataJob.objects.filter(pk=job.pk).update(status="done", rows=3, result={"tasks": 3, "notes": 0})

    expect(page.locator("#data-job-status").get_by_role("status")).to_have_text(
        "Imported 3 tasks and 0 notes.", timeout=6000
    )
    assert_no_browser_errors()
