"""Liveness and readiness probes for load balancers and platforms."""

import logging
import uuid

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request):
    """The process answers: no database, no cache, so a slow dependency never kills it."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request):
    """Can this instance serve traffic? 503 names each dependency that fails."""
    checks = {"database": _check_database(), "cache": _check_cache()}
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status=200 if healthy else 503,
    )


@never_cache
@require_GET
def ready_database(request):
    """Readiness for platforms' health checks: the database alone.

    Render takes an instance out of rotation when its health check fails, and every
    instance at once when they share a failing dependency. The app serves without Redis
    (slower, from PostgreSQL), so Redis must not fail this one; /ready/ reports it to
    people and monitors.
    """
    database = _check_database()
    return JsonResponse(
        {"status": "ok" if database == "ok" else "unavailable", "checks": {"database": database}},
        status=200 if database == "ok" else 503,
    )


def _check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.exception("Readiness: database check failed")
        return "error"
    return "ok"


def _check_cache() -> str:
    # Round-trip a unique value: django-redis may be set to swallow errors, so a
    # write that "succeeds" proves nothing until it reads back.
    key, value = f"ready-probe:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        readable = cache.get(key) == value
        cache.delete(key)
    except Exception:
        logger.exception("Readiness: cache check failed")
        return "error"
    if not readable:
        logger.error("Readiness: cache did not return the value just written")
        return "error"
    return "ok"
