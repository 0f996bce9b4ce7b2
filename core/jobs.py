"""Background jobs of the infrastructure: sending an email rendered by core.emails.

Safe to run twice: Redis redelivers a job whose worker died before acknowledging it
(CELERY_TASK_ACKS_LATE), and a message id is sent once.
"""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage

SENT_KEY = "accounts:email-sent:{}"
SENT_MEMORY_SECONDS = 2 * 86400  # longer than any retry or redelivery of the job


def deliver(*, message_id: str, to: list[str], subject: str, body: str) -> int:
    """Send a rendered message once per `message_id`; returns how many were sent (0 or 1)."""
    key = SENT_KEY.format(message_id)
    if cache.get(key):
        return 0
    sent = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, to).send()
    cache.set(key, True, SENT_MEMORY_SECONDS)
    return sent


@shared_task(
    # The name it had in accounts.jobs: jobs queued before a deploy still find it.
    name="accounts.jobs.send_email",
    autoretry_for=(SMTPException, OSError),  # OSError: refused, reset and timed-out connections
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def send_email(*, message_id: str, to: list[str], subject: str, body: str) -> int:
    """Send an email rendered by core.emails, retrying with backoff while SMTP fails."""
    return deliver(message_id=message_id, to=to, subject=subject, body=body)
