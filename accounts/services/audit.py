"""The audit trail: one row per security-relevant event, written here only."""

from accounts.models import AuditEvent, User
from core.ratelimit import client_ip

Event = AuditEvent.Event


def audit_record(
    *, event: str, request=None, user: User | None = None, email: str = "", **details
) -> AuditEvent:
    """Record an event with the client's address and browser, when there is a request."""
    return AuditEvent.objects.create(
        user=user,
        email=email or (user.email if user else ""),
        event=event,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else "",
        details=details,
    )
