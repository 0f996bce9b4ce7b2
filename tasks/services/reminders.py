"""The daily reminder email (tasks.jobs.send_daily_reminders), sent once per local day."""

from collections.abc import Sequence
from datetime import date

from django.db import IntegrityError, transaction

from accounts.models import User
from core import emails
from tasks.models import ReminderLog, Task


def reminder_send(*, user: User, today: date, tasks: Sequence[Task], total: int) -> bool:
    """Email the user's reminder for their local date `today`, listing `tasks` (of `total`).

    Once a day: returns False, sending nothing, if that day's reminder went already.
    """
    try:
        with transaction.atomic():
            ReminderLog.objects.create(user=user, local_date=today)
            emails.send_user_email(
                user=user,
                template="tasks/email/daily_reminder",
                context={"today": today, "tasks": tasks, "more": total - len(tasks)},
            )
    except IntegrityError:  # the log's unique (user, local_date): sent by an earlier run
        return False
    return True


def reminder_logs_prune(*, before: date) -> int:
    """Forget reminders sent for days before `before`; returns how many."""
    return ReminderLog.objects.filter(local_date__lt=before).delete()[0]
