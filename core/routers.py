"""Optional read replica: reads of safe requests go to it, everything else to the primary.

Installed only when DATABASE_REPLICA_URL is set (config/settings/base.py, "Read replica").
A replica lags its primary, so a read that must see a write goes to the primary:

- only GET, HEAD and OPTIONS requests read from the replica (ReplicaRoutingMiddleware marks
  them); other requests, management commands, Celery jobs and shells read the primary;
- inside `transaction.atomic` on the primary, every read goes to the primary;
- once a request writes, the rest of that request reads the primary;
- a response to a request that wrote sets a short cookie that sends the browser's next
  requests (for DATABASE_REPLICA_PIN_SECONDS) to the primary, so the page a form redirects to
  shows the change. API clients without cookies may read a lagging replica right after a write.
"""

from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

PRIMARY = DEFAULT_DB_ALIAS
REPLICA = "replica"
PIN_COOKIE = "taskflow_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class RoutingState:
    """What the current request allows: replica reads until it writes."""

    replica_allowed: bool
    wrote: bool = False


# None outside a request (commands, jobs, shells): the primary for everything.
_state: ContextVar[RoutingState | None] = ContextVar("taskflow_db_routing", default=None)


class PrimaryReplicaRouter:
    """Reads to the replica when the request allows it; writes and migrations to the primary."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or not state.replica_allowed or state.wrote:
            return PRIMARY
        if connections[PRIMARY].in_atomic_block:
            return PRIMARY
        return REPLICA

    def db_for_write(self, model, **hints):
        # Also asked for select_for_update() and get_or_create(): both count as writes.
        state = _state.get()
        if state is not None:
            state.wrote = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica copies the primary's schema through replication.
        return db == PRIMARY


class ReplicaRoutingMiddleware:
    """Mark safe requests as allowed to read the replica; pin browsers that just wrote."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = RoutingState(
            replica_allowed=request.method in SAFE_METHODS and PIN_COOKIE not in request.COOKIES
        )
        token = _state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _state.reset(token)
        pin_seconds = settings.DATABASE_REPLICA_PIN_SECONDS
        if state.wrote and pin_seconds > 0:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=pin_seconds,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
