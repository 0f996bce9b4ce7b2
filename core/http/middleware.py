"""Project-wide middleware."""

import logging
import time
import zoneinfo
from contextvars import ContextVar

import sentry_sdk
from django.conf import settings
from django.shortcuts import resolve_url
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django_htmx.http import HttpResponseClientRedirect

from core.observability import logging as observability
from core.observability import metrics

request_logger = logging.getLogger("taskflow.request")
# The signed-in page user of the request being answered, once UserTimezoneMiddleware has
# read it (it reads every browser's); the request line names it (_user_id).
_page_user_id: ContextVar[int | None] = ContextVar("page_user_id", default=None)


class HtmxLoginRedirectMiddleware:
    """Send an HTMX request whose session expired to the login page as a whole page.

    htmx follows a 302 inside its request and would swap the login form into a table row;
    HX-Redirect makes the browser navigate instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        ):
            return HttpResponseClientRedirect(response["Location"])
        return response


class NoStoreAuthenticatedMiddleware:
    """Keep pages and API answers meant for one signed-in user out of every cache.

    Applies to a request with a signed-in session user or an Authorization header, unless the
    view chose its own Cache-Control. Static files never get here: whitenoise answers them
    earlier, with their own long-lived Cache-Control.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if "HTTP_AUTHORIZATION" in request.META or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store"
        return response


class RequestObservabilityMiddleware:
    """Give each request an id, then log one JSON line and record its metrics.

    First in MIDDLEWARE, so redirects and errors from all the others are counted, and every
    log line written while answering carries the id (core.observability.logging.RequestIdFilter).
    The line names the route template, never the raw path: paths can hold reset tokens.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = observability.request_id_from_header(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        context = observability.request_id_var.set(request_id)
        user_context = _page_user_id.set(None)
        if sentry_sdk.is_initialized():
            sentry_sdk.set_tag("request_id", request_id)
        try:
            started = time.perf_counter()
            with metrics.queries_counted() as queries:
                response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[observability.REQUEST_ID_HEADER] = request_id
            route = metrics.route_label(request)
            method = metrics.method_label(request.method)
            metrics.request_observe(
                route=route,
                method=method,
                status=response.status_code,
                seconds=seconds,
                queries=queries.count,
            )
            request_logger.log(
                logging.WARNING if response.status_code >= 500 else logging.INFO,
                "%s %s %s",
                method,
                route,
                response.status_code,
                extra={
                    "user_id": _user_id(request),
                    "route": route,
                    "method": method,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                    "db_queries": queries.count,
                },
            )
        finally:
            observability.request_id_var.reset(context)
            _page_user_id.reset(user_context)
        return response


def _user_id(request):
    """The signed-in user's id, without spending a query on a user nothing asked about."""
    user = getattr(request, "user", None)
    if user is None or isinstance(user, SimpleLazyObject):
        # A page's user, still behind django-otp's lazy object: reading it here could run
        # queries (or fail again, the database being down). The API's is a real user.
        return _page_user_id.get()
    return user.pk if user.is_authenticated else None


# --- time zones (issue 5: each user's "today") ------------------------------------------


def activate_user_timezone(user) -> None:
    """Make `user`'s time zone current, so "today" and times shown are theirs."""
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()  # a zone the system no longer knows: the default, UTC


class UserTimezoneMiddleware:
    """Activate the signed-in user's time zone for the request (after AuthenticationMiddleware).

    The API authenticates in the view, so its views call activate_user_timezone themselves
    (tasks.api.views.OwnedViewSet.initial); deactivating here covers both.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            _page_user_id.set(user.pk)
            activate_user_timezone(user)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
