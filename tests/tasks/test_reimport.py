"""Importing an export of the same account again: rows that name stored tasks and notes by
id are skipped (the default), update them, or are added as copies (issue 14)."""

import json

import pytest

from tasks import services
from tasks.models import Note, Task
from tests.tasks.data_helpers import IMPORT, api_export, api_import, body, jwt_for, upload
from tests.tasks.test_export_import import rich_account

pytestmark = pytest.mark.django_db


def snapshot(user) -> dict:
    """Every stored task and note of the user: id -> (version, updated_at, title)."""
    return {
        (kind, obj.pk): (obj.version, obj.updated_at, obj.title)
        for kind, model in (("task", Task), ("note", Note))
        for obj in model.objects.filter(owner=user)
    }


def counted(**counts) -> dict:
    """An import's answer: these counts, every other one 0."""
    zero = dict.fromkeys(("tasks", "notes", "updated_tasks", "updated_notes", "unchanged"), 0)
    return {**zero, "skipped": 0, **counts}


def exported(client, fmt="json") -> bytes:
    return body(api_export(client, fmt))


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_re_importing_your_own_export_skips_every_row_by_default(user, fmt):
    rich_account(user)
    client = jwt_for(user)
    before = snapshot(user)
    response = api_import(client, exported(client, fmt), name=f"export.{fmt}")
    assert response.status_code == 201
    assert response.json() == counted(skipped=7)
    assert snapshot(user) == before


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_updating_from_an_unchanged_export_writes_nothing(user, fmt):
    rich_account(user)
    client = jwt_for(user)
    before = snapshot(user)
    response = api_import(client, exported(client, fmt), name=f"export.{fmt}", existing="update")
    assert response.status_code == 201
    assert response.json()["unchanged"] == 7
    assert response.json()["updated_tasks"] == response.json()["tasks"] == 0
    assert snapshot(user) == before  # no version, no updated_at: sync sees no change


def test_updating_from_an_edited_export_changes_the_stored_rows_in_place(user):
    tasks = rich_account(user)
    client = jwt_for(user)
    document = json.loads(exported(client))
    edited = next(row for row in document["tasks"] if row["id"] == tasks["plain"].pk)
    edited.update(title="Plain task, renamed", status="done", tags=["fresh"])
    document["tasks"].append({"title": "Brand new", "tags": ["fresh"]})
    stored = Task.objects.get(pk=tasks["plain"].pk)

    response = api_import(client, json.dumps(document), existing="update")

    assert response.status_code == 201
    assert response.json() == counted(tasks=1, updated_tasks=1, unchanged=6)
    task = Task.objects.get(pk=stored.pk)
    assert (task.title, task.status, task.version) == ("Plain task, renamed", "done", 2)
    assert task.created_at == stored.created_at
    assert task.updated_at > stored.updated_at
    assert task.completed_at is not None
    assert sorted(task.tags.values_list("name", flat=True)) == ["fresh"]
    assert Task.objects.filter(owner=user).count() == 5
    note = Note.objects.get(owner=user, title="On the done task")
    assert note.task_id == tasks["done"].pk  # still the stored task, not a copy


def test_an_id_of_someone_elses_task_is_never_written_only_added(user, other_user):
    theirs = services.task_create(owner=other_user, title="Not yours")
    document = {"tasks": [{"id": theirs.pk, "title": "Overwritten?"}], "notes": []}
    response = api_import(jwt_for(user), json.dumps(document), existing="update")
    assert response.status_code == 201
    assert response.json()["tasks"] == 1
    theirs.refresh_from_db()
    assert (theirs.title, theirs.version) == ("Not yours", 1)
    assert Task.objects.get(owner=user).title == "Overwritten?"


def test_a_skipped_row_is_still_checked(user):
    task = services.task_create(owner=user, title="Stored")
    document = {"tasks": [{"id": task.pk, "title": ""}], "notes": []}
    response = api_import(jwt_for(user), json.dumps(document))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_rows"


def test_an_unknown_choice_for_existing_rows_is_refused(client, user):
    response = api_import(jwt_for(user), '{"tasks": [], "notes": []}', existing="merge")
    assert response.status_code == 400
    assert "existing" in response.json()
    client.force_login(user)
    page = client.post(IMPORT, {"file": upload('{"tasks": []}'), "existing": "merge"})
    assert page.status_code == 400
    assert "Choose what to do with rows already in your account." in page.content.decode()


def test_the_page_offers_the_choice_and_says_what_it_did(client, user):
    rich_account(user)
    client.force_login(user)
    assert 'name="existing" value="skip" checked' in client.get(IMPORT).content.decode()
    document = json.loads(exported(jwt_for(user)))
    document["tasks"][0]["title"] = "Edited in the file"
    response = client.post(IMPORT, {"file": upload(json.dumps(document)), "existing": "update"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert (
        "Imported 0 tasks and 0 notes; updated 1 task and 0 notes; 6 rows already as in the file."
        in page
    )
    assert Task.objects.filter(owner=user).count() == 4  # rich_account's four, no copy
