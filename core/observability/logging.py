"""Request ids and JSON logs.

Importable before Django is set up: settings and gunicorn.conf.py use it.
See docs/operations.md#monitoring.
"""

import logging
import re
import uuid
from contextvars import ContextVar

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
            # with the request attached (core.http.middleware sets request.request_id).
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
