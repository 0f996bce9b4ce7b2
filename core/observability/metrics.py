"""Prometheus metrics: what is counted, the cache hooks that count, and the /metrics view.

Under gunicorn every worker writes its numbers to files in PROMETHEUS_MULTIPROC_DIR
(gunicorn.conf.py sets and empties it) and /metrics adds them up; without the variable
(tests, runserver) the process's own registry answers. Labels are bounded: routes are URL
templates, never raw paths. See docs/operations.md#monitoring.
"""

import hmac
import os
import re
from contextlib import contextmanager
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache.backends.locmem import LocMemCache as DjangoLocMemCache
from django.db import connections
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_redis.client import DefaultClient
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.exposition import choose_encoder

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Set for every process of a service (migrate, a worker), not only gunicorn's: metrics
    # write their files there from the first one defined below.
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

HTTP_REQUESTS = Counter(
    "taskflow_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "taskflow_http_request_duration_seconds",
    "Time from the first middleware to the response, by route template and method.",
    ["route", "method"],
)
DB_QUERIES_PER_REQUEST = Histogram(
    "taskflow_db_queries_per_request",
    "Database queries run while answering one request, by route template.",
    ["route"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
CACHE_OPERATIONS = Counter(
    "taskflow_cache_operations",
    "Cache reads of the default cache, by result (hit or miss).",
    ["result"],
)
LOGIN_FAILURES = Counter(
    "taskflow_login_failures",
    "Sign-ins refused for a wrong email or password (pages, API and admin).",
)
JOBS = Counter(
    "taskflow_jobs",
    "Background jobs finished, by task name and outcome (success or failure).",
    ["job", "outcome"],
)

_CACHE_HITS = CACHE_OPERATIONS.labels("hit")
_CACHE_MISSES = CACHE_OPERATIONS.labels("miss")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


# --- Requests (recorded by core.http.middleware.RequestObservabilityMiddleware) ---------


class QueryCounter:
    """A database execute wrapper that only counts: no SQL kept, no DEBUG needed."""

    __slots__ = ("count",)

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


@contextmanager
def queries_counted():
    """Count the queries run inside the block on every configured database."""
    counter = QueryCounter()
    wrapped = [connections[alias] for alias in settings.DATABASES]
    for connection in wrapped:
        connection.execute_wrappers.append(counter)
    try:
        yield counter
    finally:
        for connection in wrapped:
            connection.execute_wrappers.remove(counter)


def route_label(request) -> str:
    """The URL template that answered ("/tasks/<int:pk>/"), "static" or "unmatched"."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "static" if request.path_info.startswith(settings.STATIC_URL) else "unmatched"
    return _readable_route(match.route)


@lru_cache(maxsize=512)
def _readable_route(route: str) -> str:
    # DRF routers use regexes ("api/v1/^tasks/(?P<pk>[^/.]+)/$"): show them as templates.
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route).replace("^", "").replace("$", "")
    return "/" + route


def method_label(method: str) -> str:
    return method if method in _METHODS else "other"


def request_observe(*, route: str, method: str, status: int, seconds: float, queries: int):
    HTTP_REQUESTS.labels(route, method, str(status)).inc()
    HTTP_REQUEST_DURATION.labels(route, method).observe(seconds)
    DB_QUERIES_PER_REQUEST.labels(route).observe(queries)


# --- Cache hits and misses -------------------------------------------------------------
# The default cache's reads go through one of these (settings: "# --- Observability").
# A read that fails inside django-redis (Redis down, IGNORE_EXCEPTIONS) is not counted.

_MISSING = object()


class _CountingGetMixin:
    def get(self, key, default=None, version=None, **kwargs):
        value = super().get(key, _MISSING, version, **kwargs)
        if value is _MISSING:
            _CACHE_MISSES.inc()
            return default
        _CACHE_HITS.inc()
        return value


class LocMemCache(_CountingGetMixin, DjangoLocMemCache):
    """Django's local-memory cache, counting reads (get_many and get_or_set call get)."""


def count_cache_reads(*, hits: int, keys: int) -> None:
    """Count reads made outside the cache's own get and get_many (a pipeline's MGET)."""
    _CACHE_HITS.inc(hits)
    _CACHE_MISSES.inc(keys - hits)


class RedisClient(_CountingGetMixin, DefaultClient):
    """django-redis's default client (OPTIONS["CLIENT_CLASS"]), counting reads."""

    def get_many(self, keys, *args, **kwargs):
        keys = list(keys)
        found = super().get_many(keys, *args, **kwargs)
        _CACHE_HITS.inc(len(found))
        _CACHE_MISSES.inc(len(keys) - len(found))
        return found


# --- Signals: failed sign-ins and Celery jobs ------------------------------------------


def _login_failed(sender, credentials, request=None, **kwargs):
    LOGIN_FAILURES.inc()


def _job_succeeded(sender=None, **kwargs):
    JOBS.labels(_job_name(sender), "success").inc()


def _job_failed(sender=None, **kwargs):
    JOBS.labels(_job_name(sender), "failure").inc()


def _job_name(task) -> str:
    return getattr(task, "name", None) or "unknown"


def connect_signals():
    """Called once per process by core.observability.logging.ObservabilityConfig.ready()."""
    user_login_failed.connect(_login_failed, dispatch_uid="core.observability.metrics.login_failed")
    from celery import signals as celery_signals

    celery_signals.task_success.connect(
        _job_succeeded, weak=False, dispatch_uid="core.observability.metrics.job_succeeded"
    )
    celery_signals.task_failure.connect(
        _job_failed, weak=False, dispatch_uid="core.observability.metrics.job_failed"
    )


# --- The /metrics endpoint ------------------------------------------------------------


@never_cache
@require_GET
def metrics_view(request):
    """Prometheus exposition; 404 unless METRICS_TOKEN is set, 401 without that bearer token."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("Metrics are disabled")
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        presented.strip().encode(), token.encode()
    ):
        response = HttpResponse("A valid bearer token is required.\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return HttpResponse(encode(_registry()), content_type=content_type)


def _registry():
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    # Read fresh on every scrape: each worker's file, including workers since recycled.
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry
