"""Rendered task pages and API answers, cached per user until their next task write.

Rendering the task list (20 rows, the filter and create forms) costs about 50 ms of CPU
on our 2-core machine, the dashboard about 15 ms; a cached copy costs one cache read.
A copy is keyed by the template, the full path, htmx or not and what the pages show of
the user; it counts only for the user's date and time zone and current task
generation (selectors.task_cache_lookup): any write to their tasks or tags retires every
copy at once.

A copy never holds a CSRF token: pages are rendered with a placeholder that each response
replaces with its own token. Pages with flash messages are neither served from the cache
nor stored in it. API answers (answer_cached) are cached the same way, as data.
"""

import hashlib
from collections.abc import Callable

from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from tasks import selectors

CSRF_PLACEHOLDER = "csrf-placeholder-9f2c4e"  # a CSRF token is letters and digits only


def render_cached(request, template: str, context: Callable[[], dict], *, seconds: int):
    """`template` rendered with `context()`, from the user's page cache when it can be.

    `context` is called only when the page is rendered (a cache miss).
    """
    if request.method != "GET" or len(get_messages(request)):
        return render(request, template, context())
    user = request.user
    shown = (
        template,
        request.get_full_path(),
        bool(request.htmx),
        request.htmx.history_restore_request,
        user.email,  # what the header shows of the user
        user.full_name,
        user.email_verified,
    )

    def render_page() -> str:
        return render_to_string(template, {**context(), "csrf_token": CSRF_PLACEHOLDER}, request)

    html = _cached(request, _key("page", user.pk, shown), render_page, seconds)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def answer_cached(request, build: Callable[[], dict], *, seconds: int) -> dict:
    """`build()`, the API answer for this URL, from the user's cache when it can be.

    Keyed by the full URL (its links are absolute), for the user's day and time zone
    (dates in answers and filters follow them). Errors `build` raises are never cached.
    """
    return _cached(request, answer_key(request, request.user.pk), build, seconds)


def answer_key(request, user_id) -> str:
    """Where answer_cached keeps this URL's answer for this user (its links are absolute)."""
    return _key("answer", user_id, (request.build_absolute_uri(),))


def _key(kind: str, user_id, shown: tuple) -> str:
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:32]
    return f"tasks:{kind}:{user_id}:{digest}"


def _cached(request, key: str, build: Callable, seconds: int):
    """build(), or its value cached at `key` for the user's generation, day and zone."""
    shown_for = (timezone.localdate().isoformat(), timezone.get_current_timezone_name())
    generation, stored = selectors.task_cache_lookup(user=request.user, key=key)
    if stored is not None and stored[0] == shown_for:
        return stored[1]
    value = build()
    selectors.task_cache_store(
        key=key, generation=generation, value=(shown_for, value), seconds=seconds
    )
    return value
