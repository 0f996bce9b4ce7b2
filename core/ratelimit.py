"""Fixed-window rate limits: sign-in, sign-up, password reset, code checks, API throttles.

Counters live in a cache alias of their own (RATELIMIT_USE_CACHE, "ratelimit"): in
production a Redis at RATELIMIT_REDIS_URL set to `noeviction`, so cached pages and answers
can never push a counter out; local memory of its own on the defaults. The window and key
logic is ours; on Redis each count is one round trip on redis-py's public pipeline API.
"""

import contextlib
import dataclasses
import hashlib
import ipaddress
import logging
import re
import time
import zlib

import redis
from django.conf import settings
from django.core.cache import caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache

logger = logging.getLogger(__name__)

# A counter outlives its window by this much, so a request made at the window's last
# second still finds it.
EXPIRY_MARGIN = 5
# With RATELIMIT_FAIL_OPEN off and the counters unreachable, refused clients retry after.
UNREACHABLE_RETRY_AFTER = 30

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])[a-z]*\s*$", re.IGNORECASE)


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


def client_network(request) -> str:
    """What per-address limits count: the client's IPv4 address, or its IPv6 /64.

    One IPv6 subscriber gets a whole /64 (2^64 addresses): counting each address would let
    one client step through limits by changing the low bits.
    """
    raw = client_ip(request)
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:  # not an address (a unix socket's peer): counted as it is
        return raw
    if address.version == 4:
        return str(address)
    if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d is an IPv4 client
        return str(address.ipv4_mapped)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


# RATELIMIT_IP_META_KEY wants a callable taking the request.
client_ip_from_request = client_ip


def parse_rate(rate: str) -> tuple[int, int]:
    """(limit, seconds) of a rate such as "5/m", "10/h", "600/min" or "3/10m"."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"Not a rate: {rate!r} (expected e.g. '5/m' or '10/h')")
    limit, multiple, unit = match.groups()
    return int(limit), int(multiple or 1) * _PERIODS[unit.lower()]


def now() -> int:
    """The current epoch second. Tests hold it still, so no window ends halfway through one."""
    return int(time.time())


def window_end(value: str, period: int) -> int:
    """When the current window for `value` ends (epoch seconds, always in the future).

    Windows are `period` long and offset per value, so every client's counters do not
    reset in the same second.
    """
    current = now()
    end = current - current % period + zlib.crc32(value.encode()) % period
    return end if end > current else end + period


@dataclasses.dataclass(frozen=True)
class Counted:
    """One attempt counted in its window: `count` so far, of `limit`."""

    key: str
    count: int
    limit: int
    window_end: int
    lifetime: int

    @property
    def over(self) -> bool:
        return self.count > self.limit

    @property
    def seconds_left(self) -> int:
        return max(1, self.window_end - now())


@dataclasses.dataclass(frozen=True)
class Window:
    """The counter for `value` in `group` in the current window."""

    key: str
    limit: int
    window_end: int
    lifetime: int

    def counted(self, count: int) -> Counted:
        return Counted(self.key, count, self.limit, self.window_end, self.lifetime)


def window_for(group: str, value, limit: int, period: int) -> Window:
    value = str(value)
    end = window_end(value, period)
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no address or email in a key's name
    key = f"rl:{group}:{limit}/{period}s:{digest}:{end}"
    return Window(key=key, limit=limit, window_end=end, lifetime=period + EXPIRY_MARGIN)


def queue_count(pipe, window: Window) -> None:
    """Add counting one attempt in `window` to a redis-py pipeline; its last result is
    the count.

    The counter starts at 0 with its expiry, then counts. No MULTI (it cost ~35 us a
    count): the key outlives every request that can name it by EXPIRY_MARGIN, so INCR
    never meets an expired key and makes one with no expiry.
    """
    stored_as = counters_cache().make_key(window.key)
    pipe.set(stored_as, 0, ex=window.lifetime, nx=True)
    pipe.incr(stored_as)


def count(group: str, value, limit: int, period: int) -> Counted | None:
    """Count one attempt by `value` in `group`; None if limits are off or unreachable."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    window = window_for(group, value, limit, period)
    cache = counters_cache()
    if isinstance(cache, RedisCache):  # one round trip
        try:
            with counters_redis().pipeline(transaction=False) as pipe:
                queue_count(pipe, window)
                counted = pipe.execute()[-1]
        except redis.RedisError:
            logger.warning("Rate-limit counters unreachable: %s not counted", group, exc_info=True)
            return None
    else:
        cache.add(window.key, 0, window.lifetime)
        try:
            counted = cache.incr(window.key)
        except ValueError:  # expired between add and incr: this is the window's first
            cache.add(window.key, 1, window.lifetime)
            counted = 1
    return window.counted(counted)


def consume(group: str, value, rate: str) -> Counted | None:
    """Count this attempt; raise RateLimited if it is over `rate` ("5/m").

    With the counters unreachable it passes (RATELIMIT_FAIL_OPEN, the default) or refuses.
    """
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    counted = count(group, value, *parse_rate(rate))
    if counted is None:  # the counters are unreachable
        if settings.RATELIMIT_FAIL_OPEN:
            return None
        raise RateLimited(UNREACHABLE_RETRY_AFTER)
    if counted.over:
        raise RateLimited(counted.seconds_left)
    return counted


def refund(counted: Counted | None) -> None:
    """Take back an attempt `consume` counted that turned out fine (a right password).

    Counting before checking means parallel requests cannot all slip under the limit;
    refunding keeps successful sign-ins from using it up. The same window's counter is
    decremented even if the window has ended since (its key is never read again).
    """
    if counted is None:
        return
    cache = counters_cache()
    if isinstance(cache, RedisCache):
        stored_as = cache.make_key(counted.key)
        try:
            with counters_redis().pipeline(transaction=False) as pipe:
                pipe.decr(stored_as)
                # Expiry again: a counter gone since would otherwise come back for good.
                pipe.expire(stored_as, counted.lifetime)
                pipe.execute()
        except redis.RedisError:
            logger.warning("Rate-limit counters unreachable: refund lost", exc_info=True)
        return
    with contextlib.suppress(ValueError):  # the window ended and the counter is gone
        cache.decr(counted.key)


def counters_cache():
    return caches[settings.RATELIMIT_USE_CACHE]


def counters_redis():
    return get_redis_connection(settings.RATELIMIT_USE_CACHE)
