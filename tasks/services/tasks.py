"""Tasks: create, change, complete, reopen and delete, with optimistic versions."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tasks.models import Task
from tasks.services.tags import tag_names_clean, tags_resolve
from tasks.services.versions import locked_at, save_if_changed

TASK_FIELDS = ("title", "description", "status", "priority", "due_date")


def task_status_apply(task: Task, status: str) -> None:
    if status == task.status and task.pk:
        return
    task.status = status
    task.completed_at = timezone.now() if status == Task.Status.DONE else None
    if status != Task.Status.DONE:
        task.archived_at = None  # only done tasks stay archived: reopening brings it back


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
    task_status_apply(task, status)
    task.full_clean(exclude=["owner", "tags"])
    tag_names = tag_names_clean(tags)  # a bad name is refused before anything is written
    if not tag_names:
        task.save()  # one INSERT; the database's triggers move the owner's counts with it
        return task
    with transaction.atomic():
        task.save()
        task.tags.add(*tags_resolve(owner=owner, names=tag_names))
    return task


def task_lock(task: Task) -> Task:
    """The task's row, locked; Http404 if it was deleted since the caller read it."""
    return locked_at(task)


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
    locked = locked_at(task, expected_version)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    stored = _values(locked)
    status = changes.pop("status", locked.status)
    for field, value in changes.items():
        setattr(locked, field, value)
    task_status_apply(locked, status)
    locked.full_clean(exclude=["owner", "tags"])  # also gives each value its field's type
    return save_if_changed(locked, changed=_values(locked) != stored, tags=tags)


def _values(task: Task) -> dict:
    return {field: getattr(task, field) for field in (*TASK_FIELDS, "completed_at", "archived_at")}


def task_complete(*, task: Task, expected_version: int | None = None) -> Task:
    """Mark a task done and stamp when."""
    return task_update(task=task, expected_version=expected_version, status=Task.Status.DONE)


@transaction.atomic
def task_reopen(*, task: Task, expected_version: int | None = None) -> Task:
    """Put a done task back to do, clearing its completion time; one not done stays as it is."""
    locked = task_lock(task)
    status = Task.Status.TODO if locked.is_done else locked.status
    return task_update(task=locked, expected_version=expected_version, status=status)


def task_set_done(*, task: Task, done: bool, expected_version: int | None = None) -> Task:
    """Done or not done, as the user asked: a stale tab or a repeated click changes nothing."""
    service = task_complete if done else task_reopen
    return service(task=task, expected_version=expected_version)


@transaction.atomic
def task_delete(*, task: Task, expected_version: int | None = None) -> None:
    """Delete a task; with `expected_version`, only the version the client saw."""
    locked_at(task, expected_version).delete()
