"""Browser sessions a user can see and end (Django's database sessions underneath)."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.models import User, UserSession
from accounts.services.audit import Event, audit_record
from core.ratelimit import client_ip


def session_track(*, request, user: User) -> None:
    """Remember the session a login just created (called on user_logged_in)."""
    key = request.session.session_key
    if not key:
        return
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "created_at": timezone.now(),
        },
    )


def session_forget(*, session_key: str | None) -> None:
    """Drop the record of a session that logged out."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key Django cycled (update_session_auth_hash, login)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def session_revoke(*, user: User, session_id: int, request=None) -> None:
    """Sign out one of the user's sessions; another user's is not found (DoesNotExist)."""
    tracked = UserSession.objects.get(pk=session_id, user=user)
    Session.objects.filter(session_key=tracked.session_key).delete()
    tracked.delete()
    audit_record(event=Event.SESSION_REVOKED, request=request, user=user)


def sessions_revoke_all(*, user: User, keep_session_key: str | None = None, request=None) -> int:
    """Sign out every session of the user except `keep_session_key`; returns how many.

    With a request (the user asked for it) the sign-out is audited; password changes and
    resets call this too and record their own event.
    """
    tracked = UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or "")
    keys = list(tracked.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    tracked.delete()
    if request is not None and keys:
        audit_record(event=Event.SESSION_REVOKED, request=request, user=user, count=len(keys))
    return len(keys)
