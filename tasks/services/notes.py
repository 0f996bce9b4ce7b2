"""Notes, each optionally attached to one of the owner's tasks."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User
from tasks.models import Note, Task
from tasks.services.tags import tags_resolve
from tasks.services.versions import locked_at, save_if_changed


def _check_note_task(owner: User, task: Task | None) -> None:
    if task is not None and task.owner_id != owner.pk:
        raise ValidationError({"task": ["Choose one of your own tasks."]})


@transaction.atomic
def note_create(
    *, owner: User, title: str, body: str = "", task: Task | None = None, tags: Iterable[str] = ()
) -> Note:
    """Create a note, optionally attached to one of the owner's tasks."""
    _check_note_task(owner, task)
    note = Note(owner=owner, title=title.strip(), body=body, task=task)
    note.full_clean(exclude=["owner", "tags", "task"])
    note.save()
    note.tags.set(tags_resolve(owner=owner, names=tags))
    return note


NOTE_FIELDS = ("title", "body", "task")


@transaction.atomic
def note_update(
    *, note: Note, expected_version: int | None = None, tags: Iterable[str] | None = None, **changes
) -> Note:
    """Change a note; its task, if any, must belong to the same owner. With
    `expected_version`, refuse (VersionConflict) if it moved on; a change that changes
    nothing makes no new version."""
    unknown = set(changes) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"note_update() got unexpected fields: {', '.join(sorted(unknown))}")
    locked = locked_at(note, expected_version)
    if "task" in changes:
        _check_note_task(locked.owner, changes["task"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    stored = _values(locked)
    for field, value in changes.items():
        setattr(locked, field, value)
    locked.full_clean(exclude=["owner", "tags", "task"])
    return save_if_changed(locked, changed=_values(locked) != stored, tags=tags)


@transaction.atomic
def note_delete(*, note: Note, expected_version: int | None = None) -> None:
    """Delete a note; with `expected_version`, only the version the client saw."""
    locked_at(note, expected_version).delete()


def _values(note: Note) -> dict:
    return {"title": note.title, "body": note.body, "task_id": note.task_id}
