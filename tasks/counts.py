"""Each owner's task counts (tasks.models.TaskCounts): read, and recounted as a repair.

The database keeps the row in step with every write of the owner's tasks, in the write's
own statement (triggers, migration 0007), so no Python code moves it.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from tasks.models import Task, TaskCounts


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
