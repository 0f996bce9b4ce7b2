"""Rate limits on sign-in, sign-up, password reset and code checks.

Counters live in the default cache (Redis in production), so every worker and instance
shares them. Built on django-ratelimit's `get_usage`, which counts in fixed windows.
"""

import contextlib
import ipaddress
import logging
import time

import redis
from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL

# Private helpers of the pinned django-ratelimit 4.1.0, used by `refund` and `count_hit`.
from django_ratelimit.core import (
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
    get_usage,
)
from django_redis.cache import RedisCache

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    """Too many attempts; try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"Too many attempts. Try again in {retry_after} seconds.")
        self.retry_after = retry_after


def client_ip(request) -> str:
    """The client's address, believing X-Forwarded-For only as far as our own proxies.

    Each of TRUSTED_PROXY_COUNT proxies appends the address it saw, so the entry that
    many places from the end is the client; anything before it is whatever the client
    sent. This is DRF's NUM_PROXIES rule, which the API throttles use too.
    """
    remote = request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 (an address, not a bind)
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not trusted or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    candidate = hops[-min(trusted, len(hops))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


# RATELIMIT_IP_META_KEY wants a callable taking the request.
client_ip_from_request = client_ip


def _usage(request, group: str, value, rate: str, *, increment: bool):
    return get_usage(
        request,
        group=group,
        key=lambda _group, _request: str(value),
        rate=rate,
        increment=increment,
    )


def ensure_not_limited(request, group: str, value, rate: str) -> None:
    """Raise RateLimited if `value` already used up its `rate` in `group`."""
    usage = _usage(request, group, value, rate, increment=False)
    if usage and usage["count"] >= usage["limit"]:
        raise RateLimited(max(1, usage["time_left"]))


def record_attempt(request, group: str, value, rate: str) -> None:
    """Count one attempt (e.g. a failed password) against `value`."""
    _usage(request, group, value, rate, increment=True)


def count_hit(group: str, value, rate) -> tuple[bool, int]:
    """Count one request against `value`: (over the limit?, seconds left in the window).

    The counters of get_usage (same keys and windows), for the API throttles, which count
    every request: one cache round trip where get_usage takes two (add, then increment).
    `rate` is "N/period" or (N, seconds). Never over the limit when limits are off or the
    cache is unreachable.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return False, 0
    value = str(value)
    limit, period = _split_rate(rate)
    window = _get_window(value, period)
    key = _make_cache_key(group, window, rate, value, ALL)
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    count = _incremented(cache, key, period + EXPIRATION_FUDGE)
    seconds_left = int(window - time.time())
    return (count or 0) > limit, seconds_left


def _incremented(cache, key: str, seconds: int) -> int | None:
    """The counter at `key` plus one, created to live `seconds`; None if unreachable."""
    if isinstance(cache, RedisCache):
        # django-redis increments with a Lua script (EVAL, script text and all), which
        # under load cost more than the rest of a cached API request: plain SET NX + INCR,
        # pipelined, are one round trip.
        redis_key = cache.make_key(key)
        try:
            with cache.client.get_client(write=True).pipeline(transaction=False) as pipe:
                _, count = pipe.set(redis_key, 0, ex=seconds, nx=True).incr(redis_key).execute()
        except (redis.ConnectionError, redis.TimeoutError):
            if not cache._ignore_exceptions:
                raise
            logger.warning("Rate limit counter unreachable; not counting", exc_info=True)
            return None
        return count
    try:
        return cache.incr(key)
    except ValueError:  # the window's first request: no counter yet
        return 1 if cache.add(key, 1, seconds) else cache.incr(key)


def consume(request, group: str, value, rate: str) -> None:
    """Count this attempt and raise RateLimited if it is over the limit."""
    usage = _usage(request, group, value, rate, increment=True)
    if usage and usage["should_limit"]:
        raise RateLimited(max(1, usage["time_left"]))


def refund(group: str, value, rate: str) -> None:
    """Take back an attempt `consume` counted that turned out fine (a right password).

    Counting before checking means parallel requests cannot all slip under the limit;
    refunding keeps successful sign-ins from using it up.
    """
    value = str(value)
    _, period = _split_rate(rate)
    key = _make_cache_key(group, _get_window(value, period), rate, value, ALL)
    with contextlib.suppress(ValueError):  # the window ended and the counter is gone
        caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")].decr(key)
