"""Archiving tasks done long ago (the nightly job) and bringing them back."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tasks import cache
from tasks.models import Task
from tasks.services.tasks import task_lock
from tasks.services.versions import VersionConflict

ARCHIVE_BATCH = 1000


def tasks_archive_done(*, older_than: datetime) -> int:
    """Archive tasks done before `older_than` and untouched since; returns how many.

    A restored task counts as touched, so it waits the whole delay again. Batches are locked,
    so a task edited meanwhile is judged on its new values.
    """
    archivable = Task.objects.filter(
        status=Task.Status.DONE,
        archived_at__isnull=True,
        completed_at__lt=older_than,
        updated_at__lt=older_than,
    )
    archived = 0
    while True:
        with transaction.atomic():
            batch = list(
                archivable.select_for_update()
                .order_by("pk")
                .values_list("pk", "owner_id")[:ARCHIVE_BATCH]
            )
            if not batch:
                return archived
            now = timezone.now()
            archived += Task.objects.filter(pk__in=[pk for pk, _ in batch]).update(
                archived_at=now, updated_at=now, version=F("version") + 1
            )
            # .update() sends no signal: retire the caches here (triggers move the counts).
            cache.owners_changed(owner_ids={owner_id for _, owner_id in batch})


@transaction.atomic
def task_restore(*, task: Task, expected_version: int | None = None) -> Task:
    """Bring an archived task back to the list (still done); restoring twice changes nothing."""
    locked = task_lock(task)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    if locked.archived_at is None:
        return locked
    locked.archived_at = None
    locked.updated_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["archived_at", "updated_at", "version"])
    return locked
