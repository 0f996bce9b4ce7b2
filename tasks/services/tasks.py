"""Tasks: create, change, complete, reopen and delete, with optimistic versions."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from tasks.models import Task
from tasks.services.tags import tag_names_clean, tags_resolve

TASK_FIELDS = ("title", "description", "status", "priority", "due_date")


class VersionConflict(Exception):
    """The client edited an older version of the task than the one stored."""

    def __init__(self, current: Task):
        super().__init__(f"Task {current.pk} is at version {current.version}")
        self.current = current


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
    return get_object_or_404(Task.objects.select_for_update(), pk=task.pk)


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
    locked = task_lock(task)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    status = changes.pop("status", locked.status)
    for field, value in changes.items():
        setattr(locked, field, value)
    task_status_apply(locked, status)
    locked.full_clean(exclude=["owner", "tags"])
    locked.updated_at = timezone.now()
    locked.version += 1  # the row lock makes this read-modify-write safe
    locked.save()
    if tags is not None:
        locked.tags.set(tags_resolve(owner=locked.owner, names=tags))
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
    locked = task_lock(task)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    locked.delete()
