"""Notes, each optionally attached to one of the owner's tasks."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tasks.models import Note, Task
from tasks.services.tags import tags_resolve


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
def note_update(*, note: Note, tags: Iterable[str] | None = None, **changes) -> Note:
    """Change a note; its task, if any, must belong to the same owner."""
    unknown = set(changes) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"note_update() got unexpected fields: {', '.join(sorted(unknown))}")
    if "task" in changes:
        _check_note_task(note.owner, changes["task"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    for field, value in changes.items():
        setattr(note, field, value)
    note.full_clean(exclude=["owner", "tags", "task"])
    note.updated_at = timezone.now()
    note.save()
    if tags is not None:
        note.tags.set(tags_resolve(owner=note.owner, names=tags))
    return note


def note_delete(*, note: Note) -> None:
    """Delete a note."""
    note.delete()
