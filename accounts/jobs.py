"""Background jobs of accounts: the nightly cleanup of expired rows, and reset emails.

Safe to run twice: Redis redelivers a job whose worker died before acknowledging
it (CELERY_TASK_ACKS_LATE).
"""

import logging
from collections import Counter
from datetime import timedelta
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts.models import AuditEvent, SpentRefreshToken, UserSession

logger = logging.getLogger(__name__)


@shared_task
def cleanup() -> dict[str, int]:
    """Delete what has expired: tokens, sessions (and their records), old audit events."""
    now = timezone.now()
    deleted: Counter[str] = Counter()

    def delete(queryset: QuerySet) -> None:
        deleted.update(queryset.delete()[1])

    # simplejwt's flushexpiredtokens; blacklist entries go with their tokens (cascade).
    delete(OutstandingToken.objects.filter(expires_at__lte=now))
    delete(SpentRefreshToken.objects.filter(expires_at__lte=now))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    store.clear_expired()  # Django's clearsessions
    delete(_gone_sessions(store))
    retention = timedelta(days=settings.AUDIT_RETENTION_DAYS)
    delete(AuditEvent.objects.filter(created_at__lt=now - retention))
    counts = {label: count for label, count in deleted.items() if count}
    logger.info("Cleanup deleted %s", counts or "nothing")
    return counts


def _gone_sessions(store) -> QuerySet[UserSession]:
    """The UserSession rows whose browser session no longer exists."""
    if issubclass(store, DatabaseSessionStore):  # db and cached_db: one query
        return UserSession.objects.exclude(session_key__in=Session.objects.values("session_key"))
    keys = UserSession.objects.values_list("session_key", flat=True)
    return UserSession.objects.filter(session_key__in=[k for k in keys if not store().exists(k)])


@shared_task
def password_reset_email(*, email: str, site: str, ip_address: str | None, user_agent: str) -> bool:
    """A reset link to the account with this address, if there is one (queued for every
    address alike by services.password_reset_request)."""
    from accounts.services.users import password_reset_email as send  # they queue this job

    return send(email=email, site=site, ip_address=ip_address, user_agent=user_agent)
