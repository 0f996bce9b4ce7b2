"""Notes carry a version like tasks (issue 14): ETags, If-Match/412 and the page's merge."""

import re

import pytest
from django.urls import reverse

from tasks import forms, services
from tasks.models import Note

pytestmark = pytest.mark.django_db


@pytest.fixture
def note(user):
    return services.note_create(owner=user, title="Groceries", body="milk", tags=["home"])


def api(note) -> str:
    return reverse("tasks-api:note-detail", args=[note.pk])


def page(note) -> str:
    return reverse("tasks:note-detail", args=[note.pk])


def stored(note) -> Note:
    return Note.objects.get(pk=note.pk)


def test_every_change_makes_a_new_version_and_no_change_makes_none(note):
    assert note.version == 1
    changed = services.note_update(note=note, body="milk, eggs")
    assert (changed.version, stored(note).version) == (2, 2)
    same = services.note_update(note=stored(note), title=" Groceries ", tags=["HOME"])
    assert (same.version, same.updated_at) == (2, changed.updated_at)


def test_a_stale_version_is_refused_and_nothing_is_written(note):
    services.note_update(note=note, body="new")
    with pytest.raises(services.VersionConflict) as raised:
        services.note_update(note=stored(note), expected_version=1, body="old tab")
    assert raised.value.current.version == 2
    with pytest.raises(services.VersionConflict):
        services.note_delete(note=stored(note), expected_version=1)
    assert stored(note).body == "new"


def test_the_api_answers_notes_with_etags_and_honours_if_match(jwt_client, note):
    read = jwt_client.get(api(note))
    assert (read["ETag"], read.json()["version"]) == (f'"{note.pk}-1"', 1)
    assert jwt_client.get(api(note), HTTP_IF_NONE_MATCH=read["ETag"]).status_code == 304
    patched = jwt_client.patch(
        api(note), {"body": "eggs"}, format="json", HTTP_IF_MATCH=read["ETag"]
    )
    assert (patched.status_code, patched["ETag"]) == (200, f'"{note.pk}-2"')
    stale = jwt_client.patch(api(note), {"body": "old"}, format="json", HTTP_IF_MATCH=read["ETag"])
    assert (stale.status_code, stale["ETag"]) == (412, f'"{note.pk}-2"')
    gone = jwt_client.delete(api(note), HTTP_IF_MATCH=read["ETag"])
    assert gone.status_code == 412
    assert stored(note).body == "eggs"
    same = jwt_client.patch(api(note), {"body": "eggs"}, format="json")
    assert (same.status_code, same["ETag"]) == (200, f'"{note.pk}-2"')
    assert jwt_client.delete(api(note), HTTP_IF_MATCH=patched["ETag"]).status_code == 204
    assert not Note.objects.exists()


def test_a_created_note_answers_its_etag(jwt_client):
    created = jwt_client.post(reverse("tasks-api:note-list"), {"title": "N"}, format="json")
    assert created.status_code == 201
    assert created["ETag"] == f'"{created.json()["id"]}-1"'


def test_the_note_page_merges_a_body_typed_while_the_tags_changed(client, user, note):
    client.force_login(user)
    tab_a = forms.note_form_data(note)
    services.note_update(note=stored(note), tags=["home", "shop"])  # tab B
    response = client.post(page(note), {**tab_a, "body": "milk, oat milk"})
    assert response.status_code == 302
    saved = stored(note)
    assert saved.body == "milk, oat milk"
    assert sorted(saved.tags.values_list("name", flat=True)) == ["home", "shop"]
    assert (
        "Note saved, merged with changes saved meanwhile."
        in client.get(response.url).content.decode()
    )


def test_the_note_page_answers_a_clash_with_409_and_both_bodies(client, user, note):
    client.force_login(user)
    tab_a = forms.note_form_data(note)
    services.note_update(note=stored(note), body="bread")
    response = client.post(page(note), {**tab_a, "body": "cheese"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone saved this note while you were editing it." in html
    assert "cheese</textarea>" in html
    assert "Saved meanwhile: <q>bread</q>" in html
    version = re.search(r'name="expected_version" value="(\d+)"', html)[1]
    assert version == "2"
    assert stored(note).body == "bread"


def test_a_clash_on_the_task_shows_its_title(client, user, note):
    client.force_login(user)
    first = services.task_create(owner=user, title="Shop on Friday")
    second = services.task_create(owner=user, title="Shop on Monday")
    tab_a = forms.note_form_data(note)
    services.note_update(note=stored(note), task=first)
    response = client.post(page(note), {**tab_a, "task": forms.task_label(second)})
    assert response.status_code == 409
    assert "Saved meanwhile: <q>Shop on Friday</q>" in response.content.decode()
