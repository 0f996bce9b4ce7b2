"""Emails to users, rendered from templates and sent by the core.jobs.send_email job.

Any app can mail a user: `user` needs only an `email` attribute (and is in the context).
"""

import logging
import uuid

from django.db import transaction
from django.template.loader import render_to_string
from kombu.exceptions import OperationalError

from core import jobs

logger = logging.getLogger(__name__)


def send_user_email(*, user, template: str, context: dict) -> None:
    """Render <template>_{subject,body}.txt for the user and queue it once the write commits.

    The job runs after the commit, so it never mails about a rolled-back change. Run eagerly
    (no broker) the message goes at once, as before there were jobs: no worker can race the
    commit, and tests see it in mail.outbox.
    """
    context = {"user": user, **context}
    message = {
        "message_id": uuid.uuid4().hex,
        "to": [user.email],
        "subject": render_to_string(f"{template}_subject.txt", context).strip(),
        "body": render_to_string(f"{template}_body.txt", context),
    }
    if jobs.send_email.app.conf.task_always_eager:
        jobs.send_email.delay(**message)
    else:
        transaction.on_commit(lambda: _enqueue(message))


def _enqueue(message: dict) -> None:
    # Logs and monitoring show the job's arguments as `kwargsrepr`: never the body, which can
    # hold a password reset link, nor the address.
    shown = {"message_id": message["message_id"], "subject": message["subject"]}
    try:
        jobs.send_email.apply_async(kwargs=message, kwargsrepr=repr(shown))
    except OperationalError:  # the broker is unreachable: better late in this request than lost
        logger.exception("Could not queue an email; sending it now")
        jobs.deliver(**message)
