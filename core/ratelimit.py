"""Rate limits on sign-in, sign-up, password reset and code checks.

Counters live in the default cache (Redis in production), so every worker and instance
shares them. Built on django-ratelimit's `get_usage`, which counts in fixed windows.
"""

import contextlib
import dataclasses
import ipaddress
import logging
import time
from collections.abc import Sequence

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

from core.observability import metrics

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


@dataclasses.dataclass(frozen=True)
class Hit:
    """One request to count against a fixed-window limit (the API throttles)."""

    key: str  # django-ratelimit's counter key for this window
    limit: int
    window_end: int  # epoch seconds
    lifetime: int  # how long the counter lives, in seconds

    def over_limit(self, count: int | None) -> bool:
        return (count or 0) > self.limit  # None: the cache was unreachable

    def seconds_left(self) -> int:
        return int(self.window_end - time.time())


def hit_for(group: str, value, rate) -> Hit | None:
    """The Hit of one request against `value` at `rate` ("N/period" or (N, seconds)).

    The counters of get_usage (same keys and windows). None while limits are off.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    value = str(value)
    limit, period = _split_rate(rate)
    window = _get_window(value, period)
    key = _make_cache_key(group, window, rate, value, ALL)
    return Hit(key=key, limit=limit, window_end=window, lifetime=period + EXPIRATION_FUDGE)


def count_hit(group: str, value, rate) -> tuple[bool, int]:
    """Count one request against `value`: (over the limit?, seconds left in the window).

    One cache round trip where get_usage takes two (add, then increment). Never over the
    limit when limits are off or the cache is unreachable.
    """
    hit = hit_for(group, value, rate)
    if hit is None:
        return False, 0
    _, count = read_and_count((), hit)
    return hit.over_limit(count), hit.seconds_left()


def read_and_count(read_keys: Sequence[str], hit: Hit) -> tuple[dict, int | None]:
    """({key: cached value or None} for `read_keys`, the hit's counter plus one).

    One round trip on Redis. With the cache unreachable every value reads None and the
    count is None (then nothing is limited).
    """
    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    if not isinstance(cache, RedisCache):
        try:
            count = cache.incr(hit.key)
        except ValueError:  # the window's first request: no counter yet
            count = 1 if cache.add(hit.key, 1, hit.lifetime) else cache.incr(hit.key)
        found = cache.get_many(read_keys) if read_keys else {}
        return {key: found.get(key) for key in read_keys}, count
    # django-redis increments with a Lua script (EVAL, script text and all) that under load
    # cost more than the rest of a cached API request; plain SET NX + INCR, pipelined with
    # the reads, are one round trip.
    counter = cache.make_key(hit.key)
    try:
        with cache.client.get_client(write=True).pipeline(transaction=False) as pipe:
            if read_keys:
                pipe.mget([cache.make_key(key) for key in read_keys])
            pipe.set(counter, 0, ex=hit.lifetime, nx=True).incr(counter)
            *read, _, count = pipe.execute()
    except (redis.ConnectionError, redis.TimeoutError):
        if not cache._ignore_exceptions:  # OPTIONS["IGNORE_EXCEPTIONS"], as django-redis
            raise
        logger.warning("Cache unreachable: request not counted", exc_info=True)
        return dict.fromkeys(read_keys), None
    values = [None if raw is None else cache.client.decode(raw) for raw in (read or [[]])[0]]
    metrics.cache_reads_counted(hits=sum(v is not None for v in values), keys=len(values))
    return dict(zip(read_keys, values, strict=True)), count


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
