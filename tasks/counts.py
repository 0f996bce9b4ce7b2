"""Each owner's task counts (tasks.models.TaskCounts), kept in step with their tasks.

Single-row writes through any door (services, admin, shell, cascades) adjust the row from
tasks.signals, in the write's transaction when there is one (services open one). Writes
that send no signal, bulk_create and queryset .update(), call counts_moved or
counts_rebuild here themselves.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from tasks.models import Task, TaskCounts


def bucket(task: Task) -> str:
    """The TaskCounts field that counts this task as it is now."""
    return TaskCounts.bucket_of(task.status, task.archived_at is not None)


def counts_moved(*, owner_id: int, moves: dict[str, int]) -> None:
    """Add `moves` ({bucket: +n or -n}) to the owner's counts; rebuilt if the row is missing."""
    changes = {name: F(name) + n for name, n in moves.items() if n}
    if not changes:
        return
    if not TaskCounts.objects.filter(owner_id=owner_id).update(**changes):
        counts_rebuild(owner_ids=[owner_id])


def counts_rebuild(*, owner_ids: Iterable[int]) -> None:
    """Recount these owners' tasks from their rows: after bulk writes, or to repair."""
    for owner_id in set(owner_ids):
        figures = _figures(owner_id)
        try:
            with transaction.atomic():
                TaskCounts.objects.update_or_create(owner_id=owner_id, defaults=figures)
        except IntegrityError:  # the owner was deleted meanwhile (or never existed)
            continue


def counts_of(owner_id: int) -> TaskCounts:
    """The owner's counts, read (not stored) from their rows when the row is missing."""
    counts = TaskCounts.objects.filter(owner_id=owner_id).first()
    if counts is not None:
        return counts
    return TaskCounts(owner_id=owner_id, **_figures(owner_id))


def _figures(owner_id: int) -> dict[str, int]:
    return Task.objects.filter(owner_id=owner_id).aggregate(
        archived=Count("id", filter=Q(archived_at__isnull=False)),
        **{
            status: Count("id", filter=Q(status=status, archived_at__isnull=True))
            for status in Task.Status.values
        },
    )
