"""Issue 14: the note form's task picker in a real browser, at a laptop's and a phone's
size, and without JavaScript. Typing fills the suggestions (a <datalist> htmx fills);
choosing one attaches the note; with JavaScript off the typed title does the same, and an
ambiguous one is answered with the candidates."""

import pytest
from playwright.sync_api import expect

from tasks import services
from tasks.models import Note
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e import SIZES, signed_in_page


def signed_in(new_context, email, **options):
    return signed_in_page(new_context(**options), email, DEFAULT_PASSWORD, first_name="Pia")


@pytest.mark.parametrize("size", list(SIZES))
def test_typing_suggests_the_users_tasks_and_choosing_one_attaches_the_note(
    new_context, screenshot, assert_no_browser_errors, size
):
    user = UserFactory(email=f"pia-{size}@example.com", full_name="Pia Picker")
    rent = services.task_create(owner=user, title="Pay rent")
    services.task_create(owner=user, title="Pay the gas bill")
    services.task_create(owner=UserFactory(), title="Pay someone else's rent")
    page = signed_in(new_context, user.email, viewport=SIZES[size])
    page.goto("/notes/")
    page.get_by_text("Write a note").click()
    page.locator("#new-note-title").fill("Landlord")
    picker = page.get_by_label("Task")
    picker.press_sequentially("rent")
    options = page.locator("#new-note-task-options option")
    expect(options).to_have_count(1)
    expect(options.first).to_have_attribute("value", f"Pay rent #{rent.pk}")
    screenshot(page, f"picker-typed-{size}")
    picker.fill(f"Pay rent #{rent.pk}")
    page.locator("#note-create-form").get_by_role("button", name="Add note").click()
    expect(page.locator("#note-count")).to_have_text("1 note")
    note = Note.objects.get(owner=user)
    expect(page.locator(f"li#note-{note.pk}")).to_contain_text("Task: Pay rent")
    assert note.task_id == rent.pk
    screenshot(page, f"note-attached-{size}")
    assert_no_browser_errors()


def test_without_javascript_a_typed_title_attaches_and_an_ambiguous_one_is_explained(
    new_context, screenshot, assert_no_browser_errors
):
    user = UserFactory(email="pia-nojs@example.com", full_name="Pia Picker")
    friday = services.task_create(owner=user, title="Shop on Friday")
    services.task_create(owner=user, title="Shop on Monday")
    page = signed_in(new_context, user.email, java_script_enabled=False)
    page.goto("/notes/")
    page.get_by_text("Write a note").click()
    page.locator("#new-note-title").fill("Groceries")
    page.get_by_label("Task").fill("shop on")
    page.locator("#note-create-form").get_by_role("button", name="Add note").click()
    expect(page.get_by_text("2 of your tasks match “shop on”")).to_be_visible()
    screenshot(page, "picker-ambiguous")
    page.get_by_label("Task").fill(f"Shop on Friday #{friday.pk}")
    page.locator("#note-create-form").get_by_role("button", name="Add note").click()
    expect(page.locator("#note-count")).to_have_text("1 note")
    assert Note.objects.get(owner=user).task_id == friday.pk

    page.goto("/notes/pick-task/?q=shop")
    expect(page.locator("code")).to_have_count(2)
    screenshot(page, "picker-search-page")
    assert_no_browser_errors()
