"""Every write to tasks, tags and notes. Views, the API and the admin call these."""

from collections.abc import Iterable
from datetime import date

from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import User
from tasks.models import Note, Tag, Task

TASK_FIELDS = ("title", "description", "status", "priority", "due_date")


class VersionConflict(Exception):
    """The client edited an older version of the task than the one stored."""

    def __init__(self, current: Task):
        super().__init__(f"Task {current.pk} is at version {current.version}")
        self.current = current


def stats_cache_key(user_id: int) -> str:
    return f"tasks:stats:{user_id}"


def stats_invalidate(*, owner: User) -> None:
    """Drop the owner's cached dashboard figures once the write is committed."""
    transaction.on_commit(lambda: cache.delete(stats_cache_key(owner.pk)))


# --- tags -----------------------------------------------------------------------


def _clean_tag_names(names: Iterable[str]) -> list[str]:
    unique: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": [f"Tag names have at most 50 characters: {name!r}."]})
        unique.setdefault(name.lower(), name)
    return list(unique.values())


def tags_resolve(*, owner: User, names: Iterable[str]) -> list[Tag]:
    """The owner's tags with these names (any letter case), creating the missing ones."""
    wanted = _clean_tag_names(names)
    if not wanted:
        return []

    def existing() -> dict[str, Tag]:
        keys = [name.lower() for name in wanted]
        matches = Tag.objects.alias(key=Lower("name")).filter(owner=owner, key__in=keys)
        return {tag.name.lower(): tag for tag in matches}

    found = existing()
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        # ignore_conflicts: a concurrent request may create the same tag first.
        Tag.objects.bulk_create(
            [Tag(owner=owner, name=name) for name in missing], ignore_conflicts=True
        )
        found = existing()
    return [found[name.lower()] for name in wanted]


def _tag_save(tag: Tag, **save_options) -> Tag:
    """Validate and save a tag; a name the owner already uses, in any case, is a `name` error."""
    try:
        tag.full_clean()
    except ValidationError as error:
        # The unique constraint is on Lower("name"), an expression, so full_clean reports it
        # as a non-field error; it is about the name.
        raise ValidationError(
            {
                "name" if field == NON_FIELD_ERRORS else field: messages
                for field, messages in error.message_dict.items()
            }
        ) from error
    try:
        with transaction.atomic():
            tag.save(**save_options)
    except IntegrityError as error:  # a concurrent request took the name first
        raise ValidationError({"name": ["You already have a tag with this name."]}) from error
    return tag


def tag_create(*, owner: User, name: str) -> Tag:
    """Create a tag; its name must be new for this owner, ignoring case."""
    return _tag_save(Tag(owner=owner, name=" ".join(name.split())))


def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename a tag, keeping names unique per owner."""
    tag.name = " ".join(name.split())
    return _tag_save(tag, update_fields=["name"])


def tag_delete(*, tag: Tag) -> None:
    """Delete a tag; tasks and notes keep everything but the label."""
    owner = tag.owner
    tag.delete()
    stats_invalidate(owner=owner)


# --- tasks ------------------------------------------------------------------------


def _apply_status(task: Task, status: str) -> None:
    if status == task.status and task.pk:
        return
    task.status = status
    task.completed_at = timezone.now() if status == Task.Status.DONE else None


@transaction.atomic
def task_create(
    *,
    owner: User,
    title: str,
    description: str = "",
    status: str = Task.Status.TODO,
    priority: int = Task.Priority.MEDIUM,
    due_date: date | None = None,
    tags: Iterable[str] = (),
) -> Task:
    """Create a task for its owner, creating any tags named that do not exist yet."""
    task = Task(owner=owner, title=title.strip(), description=description, priority=priority)
    task.due_date = due_date
    _apply_status(task, status)
    task.full_clean(exclude=["owner", "tags"])
    task.save()
    task.tags.set(tags_resolve(owner=owner, names=tags))
    stats_invalidate(owner=owner)
    return task


@transaction.atomic
def task_update(
    *, task: Task, expected_version: int | None = None, tags: Iterable[str] | None = None, **changes
) -> Task:
    """Change a task; with `expected_version`, refuse (VersionConflict) if it moved on.

    The row is locked while the version is compared and written, so two clients holding
    the same version cannot both win.
    """
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"task_update() got unexpected fields: {', '.join(sorted(unknown))}")
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    status = changes.pop("status", locked.status)
    for field, value in changes.items():
        setattr(locked, field, value)
    _apply_status(locked, status)
    locked.full_clean(exclude=["owner", "tags"])
    locked.updated_at = timezone.now()
    locked.version += 1  # the row lock makes this read-modify-write safe
    locked.save()
    if tags is not None:
        locked.tags.set(tags_resolve(owner=locked.owner, names=tags))
    stats_invalidate(owner=locked.owner)
    return locked


def task_complete(*, task: Task, expected_version: int | None = None) -> Task:
    """Mark a task done and stamp when."""
    return task_update(task=task, expected_version=expected_version, status=Task.Status.DONE)


def task_reopen(*, task: Task, expected_version: int | None = None) -> Task:
    """Put a done task back to do; its completion time is cleared."""
    return task_update(task=task, expected_version=expected_version, status=Task.Status.TODO)


def task_toggle(*, task: Task) -> Task:
    """Done becomes to-do, anything else becomes done (the checkbox on each row)."""
    return task_reopen(task=task) if task.is_done else task_complete(task=task)


@transaction.atomic
def task_delete(*, task: Task, expected_version: int | None = None) -> None:
    """Delete a task; with `expected_version`, only the version the client saw."""
    locked = Task.objects.select_for_update().get(pk=task.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    locked.delete()
    stats_invalidate(owner=task.owner)


# --- notes ------------------------------------------------------------------------


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
