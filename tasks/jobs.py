"""Background jobs of tasks: daily reminders, archiving done tasks and pruning data jobs
(CELERY_BEAT_SCHEDULE), and imports and exports (tasks.datajobs).

All are safe to run twice: a reminder is recorded per user and local date, an archived
task no longer matches what gets archived, and a data job that has finished is left alone.
"""

import logging
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from tasks import datajobs, selectors, services

logger = logging.getLogger(__name__)

REMINDER_TASKS_SHOWN = 50  # a reminder lists this many tasks at most, then "and N more"
REMINDER_LOG_DAYS = 7  # reminders are remembered this long (a rerun is within the hour)


@shared_task
def send_daily_reminders(now: str | None = None) -> int:
    """Email each user whose local reminder hour it is their tasks due today and overdue.

    Runs hourly; `now` (ISO 8601) stands in for the current time. Returns how many were sent.
    """
    moment = datetime.fromisoformat(now) if now else timezone.now()
    sent = 0
    for user, today in selectors.reminder_recipients(now=moment):
        due = selectors.task_due_for_reminder(user=user, today=today)
        shown = list(due[:REMINDER_TASKS_SHOWN])
        total = len(shown) if len(shown) < REMINDER_TASKS_SHOWN else due.count()
        if shown and services.reminder_send(user=user, today=today, tasks=shown, total=total):
            sent += 1
    services.reminder_logs_prune(before=moment.date() - timedelta(days=REMINDER_LOG_DAYS))
    logger.info("Sent %d daily reminders", sent)
    return sent


@shared_task
def archive_done_tasks() -> int:
    """Archive tasks done more than ARCHIVE_AFTER_DAYS ago; returns how many."""
    older_than = timezone.now() - timedelta(days=settings.ARCHIVE_AFTER_DAYS)
    archived = services.tasks_archive_done(older_than=older_than)
    logger.info("Archived %d done tasks", archived)
    return archived


@shared_task
def run_data_job(job_id: str) -> None:
    """Run an import or export that a page or the API queued (tasks.datajobs)."""
    datajobs.job_run(job_id)


@shared_task
def prune_data_jobs() -> int:
    """Delete expired export files and old jobs; returns how many files were deleted."""
    deleted = datajobs.jobs_prune()
    logger.info("Deleted %d data job files", deleted)
    return deleted
