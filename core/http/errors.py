"""Answers to errors no view handled (urls.handler400, handler404 and handler500).

A URL no pattern matches (e.g. `/api/v1/tasks/abc/`) under /api/ answers DRF's own 404 body,
JSON like every other API error; pages keep Django's 404 page.

A request Django refuses before any view (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a Host
not in ALLOWED_HOSTS) is a JSON 400 under /api/ too.

A database that cannot be reached (restarting, failing over) is an outage, not a bug: the
answer is a 503 with Retry-After, JSON under /api/, a short page elsewhere, and never a
traceback. The exception itself is still logged in full (django.request).
"""

import sys

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

RETRY_AFTER_SECONDS = 5
API_PREFIX = "/api/"


def page_not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        return api_not_found(request)
    return defaults.page_not_found(request, exception)


@csrf_exempt  # a 404 changes nothing: a POST or DELETE to no route is a 404, not a 403
def api_not_found(request, *args, **kwargs):
    error = exceptions.NotFound()
    return JsonResponse({"detail": str(error.detail), "code": error.detail.code}, status=404)


def bad_request(request, exception):
    if not request.path.startswith(API_PREFIX):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        detail = "The request body is larger than this API accepts."
    elif isinstance(exception, DisallowedHost):
        detail = "The Host header names a host this server does not answer for."
    else:
        detail = "The request could not be read."
    return JsonResponse({"detail": detail, "code": "bad_request"}, status=400)


def server_error(request):
    unavailable = isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))
    if request.path.startswith(API_PREFIX):
        if unavailable:
            body = {"detail": "Service briefly unavailable; retry shortly.", "code": "unavailable"}
        else:
            body = {"detail": "A server error occurred.", "code": "server_error"}
        response = JsonResponse(body, status=503 if unavailable else 500)
    elif unavailable:
        # Rendered without the request: its session and user live in the unreachable database.
        response = HttpResponse(render_to_string("503.html"), status=503)
    else:
        return defaults.server_error(request)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
