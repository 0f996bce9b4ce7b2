"""The API stops guessing (issue 14): unknown fields, half a PUT and broken JSON are 400s."""

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import Note, Task

pytestmark = pytest.mark.django_db

TASKS = reverse("tasks-api:task-list")
NOTES = reverse("tasks-api:note-list")
TOKEN = reverse("auth-api:token")


def detail(task) -> str:
    return reverse("tasks-api:task-detail", args=[task.pk])


def test_an_unknown_field_is_refused_by_name_and_nothing_is_written(jwt_client):
    response = jwt_client.post(TASKS, {"title": "A", "priorty": "high", "x": 1}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "priorty": ["This field is not known."],
        "x": ["This field is not known."],
    }
    assert not Task.objects.exists()


def test_unknown_fields_are_named_beside_invalid_ones(jwt_client, user):
    task = services.task_create(owner=user, title="A")
    response = jwt_client.patch(detail(task), {"title": "", "colour": "red"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "colour"}
    assert Task.objects.get().title == "A"


def test_what_a_client_read_may_come_back_with_its_read_only_fields(jwt_client, user):
    task = services.task_create(owner=user, title="A", tags=["x"])
    representation = jwt_client.get(detail(task)).json()
    response = jwt_client.put(detail(task), {**representation, "title": "B"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["title"], response.json()["tags"]) == ("B", ["x"])


def test_a_put_needs_every_writable_field(jwt_client, user):
    task = services.task_create(owner=user, title="A", description="keep me", tags=["x"])
    response = jwt_client.put(detail(task), {"title": "B"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"description", "status", "priority", "due_date", "tags"}
    assert "required" in response.json()["tags"][0]
    stored = Task.objects.get()
    assert (stored.title, stored.description, stored.version) == ("A", "keep me", 1)


def test_a_note_put_needs_every_writable_field_too(jwt_client, user):
    note = services.note_create(owner=user, title="N", body="text")
    response = jwt_client.put(
        reverse("tasks-api:note-detail", args=[note.pk]), {"title": "M"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"body", "task", "tags"}
    assert Note.objects.get().body == "text"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"title": "A",}', "Invalid JSON at line 1, column 15."),
        (b'{"title": "A", "title": "B"}', "The key 'title' appears more than once."),
        (b'{"title": NaN}', "Invalid JSON: NaN and Infinity are not numbers JSON allows."),
        (b"[" * 1100 + b"]" * 1100, "The JSON is nested too deeply."),
        (b'{"title": "\xff"}', "The body is not valid utf-8 text."),
    ],
)
def test_a_body_that_is_not_json_is_a_400_in_our_words(jwt_client, api_client, body, message):
    for client, path in ((jwt_client, TASKS), (api_client, TOKEN)):  # anonymous ones too
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["detail"] == message
    assert not Task.objects.exists()
