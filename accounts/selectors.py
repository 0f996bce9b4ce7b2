"""Every read of accounts for the pages, scoped to one user."""

from django.contrib.sessions.models import Session
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import AuditEvent, User, UserSession


def user_active_get(*, pk) -> User | None:
    """An active user by id (a login half-way through), or None."""
    return User.objects.filter(pk=pk, is_active=True).first()


def session_list(*, user: User) -> QuerySet[UserSession]:
    """The user's signed-in browser sessions that are still alive, newest first."""
    alive = Session.objects.filter(
        session_key=OuterRef("session_key"), expire_date__gt=timezone.now()
    )
    return UserSession.objects.filter(Exists(alive), user=user).order_by("-created_at", "-id")


def audit_events_recent(*, user: User, limit: int = 20) -> QuerySet[AuditEvent]:
    """The user's latest security events, newest first; nobody else's."""
    return (
        AuditEvent.objects.filter(user=user)
        .only("event", "created_at", "ip_address")
        .order_by("-created_at", "-id")[:limit]
    )
