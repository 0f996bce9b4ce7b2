from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tasks import selectors, services
from tasks.models import Note, Tag, Task
from tests.tasks.factories import TagFactory

pytestmark = pytest.mark.django_db


def create(owner, **fields):
    return services.task_create(owner=owner, **{"title": "Write report", **fields})


# --- task_create ------------------------------------------------------------------


def test_task_create_sets_defaults(user):
    task = create(user)
    assert (task.status, task.priority, task.version) == ("todo", Task.Priority.MEDIUM, 1)
    assert task.completed_at is None
    assert task.owner == user


def test_task_create_as_done_stamps_completion(user):
    assert create(user, status=Task.Status.DONE).completed_at is not None


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"description": "x" * 10_001}, "description"),
        ({"status": "someday"}, "status"),
        ({"priority": 7}, "priority"),
    ],
)
def test_task_create_refuses_invalid_fields(user, fields, bad_field):
    with pytest.raises(ValidationError) as raised:
        create(user, **fields)
    assert bad_field in raised.value.message_dict
    assert not Task.objects.exists()


def test_task_create_accepts_the_limits(user):
    task = create(user, title="x" * 200, description="y" * 10_000)
    assert len(task.title) == 200


def test_task_create_creates_missing_tags_and_reuses_existing_ones_ignoring_case(user):
    work = TagFactory(owner=user, name="Work")
    task = create(user, tags=["work", "Urgent", "  urgent ", ""])
    assert sorted(tag.name for tag in task.tags.all()) == ["Urgent", "Work"]
    assert Tag.objects.filter(owner=user).count() == 2
    assert work in task.tags.all()


def test_tags_are_per_owner(user, other_user):
    TagFactory(owner=other_user, name="Work")
    task = create(user, tags=["work"])
    tag = task.tags.get()
    assert tag.owner == user
    assert Tag.objects.filter(name__iexact="work").count() == 2


def test_an_overlong_tag_name_is_refused(user):
    with pytest.raises(ValidationError) as raised:
        create(user, tags=["x" * 51])
    assert "tags" in raised.value.message_dict
    assert not Task.objects.exists()


# --- task_update, complete, reopen ------------------------------------------------


def test_task_update_bumps_the_version_and_updated_at(user):
    task = create(user)
    before = task.updated_at
    updated = services.task_update(task=task, title="Renamed", priority=Task.Priority.HIGH)
    assert (updated.title, updated.priority, updated.version) == ("Renamed", 3, 2)
    assert updated.updated_at > before
    task.refresh_from_db()
    assert task.version == 2


def test_task_update_with_a_stale_version_writes_nothing(user):
    task = create(user)
    services.task_update(task=task, title="Second")
    with pytest.raises(services.VersionConflict) as raised:
        services.task_update(task=task, expected_version=1, title="Lost update")
    assert raised.value.current.title == "Second"
    assert raised.value.current.version == 2
    task.refresh_from_db()
    assert task.title == "Second"


def test_task_update_with_the_current_version_succeeds(user):
    task = create(user)
    assert services.task_update(task=task, expected_version=1, title="Ok").version == 2


def test_task_update_refuses_invalid_values_and_keeps_the_old_ones(user):
    task = create(user)
    with pytest.raises(ValidationError):
        services.task_update(task=task, title="")
    task.refresh_from_db()
    assert (task.title, task.version) == ("Write report", 1)


def test_task_update_refuses_fields_it_does_not_own(user, other_user):
    task = create(user)
    with pytest.raises(TypeError):
        services.task_update(task=task, owner=other_user)


def test_task_update_replaces_tags_only_when_given(user):
    task = create(user, tags=["a", "b"])
    services.task_update(task=task, title="Same tags")
    assert sorted(t.name for t in task.tags.all()) == ["a", "b"]
    services.task_update(task=task, tags=["c"])
    assert [t.name for t in task.tags.all()] == ["c"]


def test_complete_stamps_and_reopen_clears_completed_at(user):
    task = create(user)
    done = services.task_complete(task=task)
    assert done.status == "done"
    assert done.completed_at is not None
    stamped = done.completed_at
    again = services.task_update(task=done, title="Still done")
    assert again.completed_at == stamped  # unchanged status keeps the stamp
    reopened = services.task_reopen(task=again)
    assert (reopened.status, reopened.completed_at) == ("todo", None)


def test_moving_to_in_progress_is_not_completion(user):
    task = services.task_update(task=create(user), status=Task.Status.IN_PROGRESS)
    assert task.completed_at is None


def test_set_done_sets_the_state_asked_for_and_repeating_it_changes_nothing(user):
    task = create(user, status=Task.Status.IN_PROGRESS)
    done = services.task_set_done(task=task, done=True)
    assert (done.status, done.version) == ("done", 2)
    again = services.task_set_done(task=Task.objects.get(), done=True)  # a stale tab
    assert (again.status, again.version, again.completed_at) == ("done", 2, done.completed_at)
    assert services.task_set_done(task=again, done=False).status == "todo"


def test_reopening_a_task_that_is_not_done_leaves_its_status(user):
    task = create(user, status=Task.Status.IN_PROGRESS)
    reopened = services.task_set_done(task=task, done=False)
    assert (reopened.status, reopened.version) == ("in_progress", task.version)


def test_a_write_that_changes_nothing_keeps_the_version_and_updated_at(user):
    task = services.task_create(owner=user, title="Same", priority=Task.Priority.HIGH, tags=["a"])
    stored = Task.objects.get()
    same = services.task_update(
        task=stored, title=" Same ", priority=Task.Priority.HIGH, tags=["A", "a "]
    )
    assert (same.version, same.updated_at) == (task.version, stored.updated_at)
    assert Task.objects.get().updated_at == stored.updated_at
    assert services.task_complete(task=same).version == task.version + 1
    assert services.task_complete(task=Task.objects.get()).version == task.version + 1
    retagged = services.task_update(task=Task.objects.get(), tags=["a", "b"])
    assert retagged.version == task.version + 2
    assert sorted(retagged.tags.values_list("name", flat=True)) == ["a", "b"]


def test_task_delete_honours_the_expected_version(user):
    task = create(user)
    services.task_update(task=task, title="Moved on")
    with pytest.raises(services.VersionConflict):
        services.task_delete(task=task, expected_version=1)
    assert Task.objects.exists()
    services.task_delete(task=task, expected_version=2)
    assert not Task.objects.exists()


# --- stats cache ---------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_every_write_invalidates_the_cached_stats(user):
    assert selectors.task_stats(user=user)["total"] == 0
    task = create(user)
    assert selectors.task_stats(user=user)["total"] == 1
    services.task_complete(task=task)
    assert selectors.task_stats(user=user)["by_status"]["done"] == 1
    services.task_delete(task=task)
    assert selectors.task_stats(user=user)["total"] == 0


# --- tags ---------------------------------------------------------------------------


def test_tag_create_refuses_a_duplicate_name_in_any_case(user):
    services.tag_create(owner=user, name="Home")
    with pytest.raises(ValidationError) as raised:
        services.tag_create(owner=user, name="HOME")
    assert raised.value.message_dict


def test_tag_rename_keeps_names_unique(user):
    services.tag_create(owner=user, name="Home")
    garden = services.tag_create(owner=user, name="Garden")
    with pytest.raises(ValidationError):
        services.tag_rename(tag=garden, name="home")
    assert services.tag_rename(tag=garden, name="Yard").name == "Yard"


def test_tag_delete_keeps_the_tasks(user):
    task = create(user, tags=["gone"])
    services.tag_delete(tag=task.tags.get())
    assert Task.objects.get().tags.count() == 0


# --- notes ----------------------------------------------------------------------------


def test_note_create_with_own_task_and_tags(user):
    task = create(user)
    note = services.note_create(owner=user, title=" Idea ", body="text", task=task, tags=["x"])
    assert (note.title, note.task, [t.name for t in note.tags.all()]) == ("Idea", task, ["x"])


def test_note_refuses_another_users_task(user, other_user):
    foreign = create(other_user)
    with pytest.raises(ValidationError) as raised:
        services.note_create(owner=user, title="Sneaky", task=foreign)
    assert "task" in raised.value.message_dict
    note = services.note_create(owner=user, title="Mine")
    with pytest.raises(ValidationError):
        services.note_update(note=note, task=foreign)
    note.refresh_from_db()
    assert note.task is None


def test_note_update_and_delete(user):
    note = services.note_create(owner=user, title="Draft")
    services.note_update(note=note, title="Final", body="done", tags=["t"])
    note.refresh_from_db()
    assert (note.title, note.body, note.tags.get().name) == ("Final", "done", "t")
    with pytest.raises(ValidationError):
        services.note_update(note=note, title="")
    services.note_delete(note=note)
    assert not Note.objects.exists()


def test_deleting_a_task_keeps_its_notes(user):
    task = create(user)
    services.note_create(owner=user, title="Keep me", task=task)
    services.task_delete(task=task)
    assert Note.objects.get().task is None


def test_due_date_is_stored_as_a_date(user):
    due = timezone.localdate() + timedelta(days=3)
    task = create(user, due_date=due)
    task.refresh_from_db()
    assert task.due_date == due
    assert isinstance(task.due_date, date)


def test_non_ascii_tag_names_are_reused_on_every_database(user):
    first = create(user, tags=["Été"])
    second = create(user, tags=["Été"])
    assert first.tags.get() == second.tags.get()
    assert Tag.objects.filter(owner=user).count() == 1
