"""The note form's task picker: typed, with htmx suggestions, never a <select> of every
task (issue 14: 967 KB at 22,000 tasks); without JavaScript a text field and a search page."""

import pytest
from django.conf import settings
from django.urls import reverse

from tasks import forms, services
from tasks.models import Note, Task
from tests.tasks.factories import NoteFactory, TaskFactory

pytestmark = pytest.mark.django_db

PICK = reverse("tasks:task-pick")
NOTE_CREATE = reverse("tasks:note-create")
HX = {"HX-Request": "true"}


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


def create_note(client, task_text: str):
    data = {"title": "Call notes", "body": "", "tags": "", "task": task_text}
    return client.post(NOTE_CREATE, data)


def test_suggestions_are_the_users_matching_tasks_spelled_with_their_number(
    owner, user, other_user
):
    rent = TaskFactory(owner=user, title="Pay rent")
    TaskFactory(owner=user, title="Water plants")
    TaskFactory(owner=other_user, title="Pay rent too")
    response = owner.get(PICK, {"task": "rent"}, headers=HX)
    assert response.status_code == 200
    assert response.content.decode().strip() == f'<option value="Pay rent #{rent.pk}"></option>'


def test_suggestions_stop_at_ten_and_an_empty_field_suggests_nothing(owner, user):
    Task.objects.bulk_create([Task(owner=user, title=f"Report {n:02}") for n in range(15)])
    assert owner.get(PICK, {"task": "report"}, headers=HX).content.decode().count("<option") == 10
    assert "<option" not in owner.get(PICK, {"task": "  "}, headers=HX).content.decode()


def test_without_javascript_the_search_page_lists_matches_as_the_field_takes_them(owner, user):
    rent = TaskFactory(owner=user, title="Pay <b>rent</b>")
    page = owner.get(PICK, {"q": "rent"}).content.decode()
    assert "<html" in page
    assert f"<code>Pay &lt;b&gt;rent&lt;/b&gt; #{rent.pk}</code>" in page
    assert "None of your tasks" in owner.get(PICK, {"q": "nothing like it"}).content.decode()


def test_a_unique_part_of_a_title_attaches_the_note_to_that_task(owner, user):
    rent = TaskFactory(owner=user, title="Pay rent")
    assert create_note(owner, "rent").status_code == 302
    assert Note.objects.get(owner=user).task == rent


def test_the_label_picks_one_of_two_tasks_with_the_same_title(owner, user):
    TaskFactory(owner=user, title="Shop")
    second = TaskFactory(owner=user, title="Shop")
    assert create_note(owner, forms.task_label(second)).status_code == 302
    assert Note.objects.get(owner=user).task == second


def test_an_exact_title_wins_over_titles_that_contain_it(owner, user):
    shop = TaskFactory(owner=user, title="Shop")
    TaskFactory(owner=user, title="Shop on Friday")
    assert create_note(owner, "shop").status_code == 302
    assert Note.objects.get(owner=user).task == shop


def test_an_ambiguous_pick_names_the_candidates_and_keeps_what_was_typed(owner, user):
    friday = TaskFactory(owner=user, title="Shop on Friday")
    TaskFactory(owner=user, title="Shop on Monday")
    response = create_note(owner, "shop on")
    page = response.content.decode()
    assert response.status_code == 200
    assert "2 of your tasks match" in page
    assert f"Shop on Friday #{friday.pk}" in page
    assert 'value="shop on"' in page
    assert not Note.objects.exists()


def test_a_title_holding_a_number_sign_is_not_taken_for_another_tasks_number(owner, user):
    other = TaskFactory(owner=user, title="Water plants")
    bug = TaskFactory(owner=user, title=f"Fix bug #{other.pk}")
    assert create_note(owner, bug.title).status_code == 302
    assert Note.objects.get(owner=user).task == bug


def test_the_edit_page_shows_the_task_as_typed_and_an_unchanged_save_keeps_the_version(owner, user):
    rent = TaskFactory(owner=user, title="Pay rent")
    note = NoteFactory(owner=user, title="Landlord", task=rent)
    page = reverse("tasks:note-detail", args=[note.pk])
    assert f'value="Pay rent #{rent.pk}"' in owner.get(page).content.decode()
    data = forms.note_form_data(note)
    assert owner.post(page, data).status_code == 302
    note.refresh_from_db()
    assert (note.task, note.version) == (rent, 1)
    services.task_update(task=Task.objects.get(pk=rent.pk), title="Pay the rent")
    assert owner.post(page, {**data, "title": "Landlord call"}).status_code == 302
    note.refresh_from_db()
    assert (note.title, note.task) == ("Landlord call", rent)


def test_searches_past_the_rate_are_refused(owner, user, settings):
    settings.RATE_TASK_PICK_PER_USER = "3/m"
    for _ in range(3):
        assert owner.get(PICK, {"task": "x"}, headers=HX).status_code == 200
    assert owner.get(PICK, {"task": "x"}, headers=HX).status_code == 429
    refused = owner.get(PICK, {"q": "x"})
    assert refused.status_code == 429
    assert "Too many attempts" in refused.content.decode()


def test_the_picker_needs_a_signed_in_user(client):
    response = client.get(PICK, {"q": "rent"})
    assert response.status_code == 302
    assert response.url.startswith(reverse(settings.LOGIN_URL))
