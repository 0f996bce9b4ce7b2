"""An edit that loses a race keeps what the user typed (issue 14).

Tab A opens a task's edit form; tab B saves a change; tab A saves. Fields only one tab
changed merge on their own; a field both changed comes back to tab A with both values.
"""

import re

import pytest
from django.urls import reverse

from tasks import forms, merge, services
from tasks.models import Task
from tests.tasks.factories import TaskFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def task(user):
    return TaskFactory(owner=user, title="Buy milk", tags=["home"])


def detail(task) -> str:
    return reverse("tasks:detail", args=[task.pk])


def stored(task) -> Task:
    return Task.objects.get(pk=task.pk)


def test_a_description_typed_while_another_tab_changed_the_tags_is_kept(owner, task):
    tab_a = forms.task_form_data(task)
    services.task_update(task=stored(task), tags=["home", "shop"])  # tab B
    response = owner.post(detail(task), {**tab_a, "description": "Oat milk, 2 litres"})
    assert response.status_code == 302
    saved = stored(task)
    assert saved.description == "Oat milk, 2 litres"
    assert sorted(saved.tags.values_list("name", flat=True)) == ["home", "shop"]
    assert saved.version == 3
    page = owner.get(response.url).content.decode()
    assert "Task saved, merged with changes saved meanwhile." in page


def test_an_inline_edit_merges_too_and_answers_the_row(owner, task):
    tab_a = forms.task_form_data(task)
    services.task_update(task=stored(task), priority=Task.Priority.HIGH)
    row_edit = reverse("tasks:row-edit", args=[task.pk])
    response = owner.post(row_edit, {**tab_a, "title": "Buy oat milk"}, headers=HX)
    assert response.status_code == 200
    assert "Buy oat milk" in response.content.decode()
    saved = stored(task)
    assert (saved.title, saved.priority) == ("Buy oat milk", Task.Priority.HIGH)


def test_keep_mine_saves_the_clashing_value_against_the_new_version(owner, task):
    tab_a = forms.task_form_data(task)
    services.task_update(task=stored(task), title="Buy eggs", description="from B")
    clash = owner.post(detail(task), {**tab_a, "title": "Buy bread"})
    assert clash.status_code == 409
    page = clash.content.decode()
    # The form holds mine where we clashed and theirs where only they changed.
    assert 'value="Buy bread"' in page
    assert "from B</textarea>" in page
    keep_mine = dict(re.findall(r'name="(expected_version|base)" value="([^"]*)"', page))
    assert keep_mine["expected_version"] == "2"
    data = {**forms.task_form_data(stored(task)), **keep_mine, "title": "Buy bread"}
    assert owner.post(detail(task), data).status_code == 302
    saved = stored(task)
    assert (saved.title, saved.description, saved.version) == ("Buy bread", "from B", 3)


def test_use_theirs_is_the_stored_task(owner, task):
    tab_a = forms.task_form_data(task)
    services.task_update(task=stored(task), title="Buy eggs")
    page = owner.post(detail(task), {**tab_a, "title": "Buy bread"}).content.decode()
    use_theirs = re.search(r'<a href="([^"]+)" role="button"[^>]*>Use theirs</a>', page)[1]
    assert 'value="Buy eggs"' in owner.get(use_theirs).content.decode()
    assert stored(task).title == "Buy eggs"


def test_both_making_the_same_change_is_no_clash(owner, task):
    tab_a = forms.task_form_data(task)
    services.task_update(task=stored(task), title="Buy bread")
    assert owner.post(detail(task), {**tab_a, "title": "Buy bread"}).status_code == 302
    assert stored(task).version == 2  # nothing left to change


@pytest.mark.parametrize("base", ["", "forged", merge.base_token({"title": "x"})[:-2] + "zz"])
def test_without_a_base_of_ours_every_differing_field_clashes(owner, task, base):
    tab_a = {**forms.task_form_data(task), "base": base}
    services.task_update(task=stored(task), description="from B")
    response = owner.post(detail(task), {**tab_a, "title": "Buy bread"})
    assert response.status_code == 409
    page = response.content.decode()
    # With no base to judge by, both sides look changed wherever they differ.
    assert "Saved meanwhile: <q>Buy milk</q>" in page
    assert "Saved meanwhile: <q>from B</q>" in page
    assert stored(task).title == "Buy milk"


def test_three_way_merge_rules():
    same = lambda field, a, b: a == b  # noqa: E731
    merged, clashes = merge.three_way(
        base={"a": "1", "b": "1", "c": "1", "d": "1"},
        mine={"a": "2", "b": "1", "c": "3", "d": "4"},
        theirs={"a": "1", "b": "2", "c": "3", "d": "5"},
        same=same,
    )
    assert merged == {"a": "2", "b": "2", "c": "3", "d": "4"}
    assert clashes == ["d"]
