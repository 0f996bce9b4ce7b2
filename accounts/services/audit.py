"""The audit trail: one row per security-relevant event, written here only."""

from accounts.models import AuditEvent, User
from core.ratelimit import client_ip

Event = AuditEvent.Event


def audit_record(
    *,
    event: str,
    request=None,
    user: User | None = None,
    email: str = "",
    ip_address: str | None = None,
    user_agent: str = "",
    **details,
) -> AuditEvent:
    """Record an event with the client's address and browser: the request's, or (in a job,
    which has none) those the request passed on."""
    if request is not None:
        ip_address, user_agent = client_ip(request), request.META.get("HTTP_USER_AGENT", "")
    return AuditEvent.objects.create(
        user=user,
        email=email or (user.email if user else ""),
        event=event,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        details=details,
    )
