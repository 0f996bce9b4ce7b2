"""DRF's anonymous and per-user API throttles, counted in fixed windows.

DRF's own throttles keep the time of every request in the window in one cache entry and
read, filter and rewrite that list on each request: 600 timestamps a user at 600/min,
and megabytes under the benchmark's unlimited rate. Here each request is one counter
increment (one Redis round trip) in django-ratelimit's fixed windows
(core.ratelimit.count_hit), the same counters as the sign-in limits.
Cache keys, scopes and rates stay DRF's (DEFAULT_THROTTLE_RATES). A request with a
bearer token has its per-user hit counted in the round trip that reads its user
(accounts.authentication); the throttle then takes that count.
"""

import functools

from rest_framework import throttling

from core import ratelimit


class FixedWindowMixin:
    """allow_request/wait for a SimpleRateThrottle, with a counter instead of a history."""

    seconds_left = 0

    def parse_rate(self, rate):
        return _parsed_rate(rate)  # DRF builds throttles per request; parse each rate once

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if not key:
            return True
        # Counted while the user was read (accounts.authentication)?
        hit, count = getattr(request, COUNTED_HITS, {}).pop(key, (None, None))
        if hit is None:
            hit = self.hit_for(key)
            if hit is None:
                return True
            _, count = ratelimit.read_and_count((), hit)
        self.seconds_left = hit.seconds_left()
        return not hit.over_limit(count)

    def hit_for(self, key: str) -> ratelimit.Hit | None:
        return ratelimit.hit_for(f"api-{self.scope}", key, (self.num_requests, self.duration))

    def wait(self):
        return max(1, self.seconds_left)


@functools.lru_cache(maxsize=32)
def _parsed_rate(rate: str | None) -> tuple:
    return throttling.SimpleRateThrottle.parse_rate(None, rate)


# A DRF request attribute: {throttle cache key: (Hit, count)} of hits already counted.
COUNTED_HITS = "counted_hits"


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """RATE_API_ANON per client address (TRUSTED_PROXY_COUNT decides which one)."""


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """RATE_API_USER per signed-in user."""

    def key_for_user(self, user_id) -> str:
        """The throttle's cache key for `user_id`, known before request.user is."""
        return self.cache_format % {"scope": self.scope, "ident": user_id}
