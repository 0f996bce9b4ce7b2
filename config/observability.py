"""Request ids, JSON logs and Sentry; the app config that connects the metric receivers.

Importable before Django is set up: settings and gunicorn.conf.py use it.
See docs/operations.md#monitoring.
"""

import logging
import os
import re
import uuid
from contextvars import ContextVar

from django.apps import AppConfig
from pythonjsonlogger.core import RESERVED_ATTRS

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's or client's id is kept when it is safe to print in a log line and a header.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")

# The id of the request this thread is answering; None outside a request.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


def request_id_from_header(value: str | None) -> str:
    """The incoming id when it is sane (≤ 200 of [A-Za-z0-9._-]), else a fresh uuid4 hex."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Stamp every record with the current request id, so one request's lines can be found."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs a 5xx a view returned after the middleware chain has finished,
            # with the request attached (config.middleware sets request.request_id).
            record.request_id = request_id_var.get() or getattr(
                getattr(record, "request", None), "request_id", None
            )
        return True


def json_formatter() -> dict:
    """A dictConfig formatter: one JSON object per line (LOGGING and gunicorn.conf.py)."""
    return {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": ["levelname", "name", "message", "process"],
        "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
        "timestamp": True,
        # Celery attaches a job's arguments as `data`; for emails they hold reset links.
        "reserved_attrs": [*RESERVED_ATTRS, "data"],
    }


def sentry_init(
    *,
    dsn: str,
    environment: str = "production",
    traces_sample_rate: float = 0.0,
    transport=None,
) -> bool:
    """Turn Sentry on when a DSN is configured; return whether it is on.

    No personal data is sent (no cookies, user emails or IPs); events carry the request id
    as a tag (config.middleware). `transport` exists for tests: nothing leaves the machine.
    """
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations import DidNotEnable
    from sentry_sdk.integrations.django import DjangoIntegration

    integrations = [DjangoIntegration()]
    try:
        from sentry_sdk.integrations.celery import CeleryIntegration

        integrations.append(CeleryIntegration())
    except (ImportError, DidNotEnable):
        pass
    options = {
        "dsn": dsn,
        "integrations": integrations,
        "environment": environment,
        "send_default_pii": False,
        # None, not 0: a zero rate still starts an (unsampled) transaction per request.
        "traces_sample_rate": traces_sample_rate or None,
    }
    # Render and Railway name the deployed commit; SENTRY_RELEASE wins (the SDK reads it).
    release = os.environ.get("RENDER_GIT_COMMIT") or os.environ.get("RAILWAY_GIT_COMMIT_SHA")
    if release and not os.environ.get("SENTRY_RELEASE"):
        options["release"] = release
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True


class ObservabilityConfig(AppConfig):
    """Connects the metric receivers (login failures, Celery jobs) in web and worker processes."""

    name = "config"
    label = "observability"
    verbose_name = "Observability"

    def ready(self):
        from config import metrics

        metrics.connect_signals()
