"""DRF's anonymous and per-user API throttles, counted in fixed windows.

DRF's own throttles keep the time of every request in the window in one cache entry and
read, filter and rewrite that list on each request: 600 timestamps a user at 600/min,
and megabytes under the benchmark's unlimited rate. Here each request is one counter
increment (one Redis round trip) in django-ratelimit's fixed windows
(accounts.ratelimits.count_hit), the same counters as the sign-in limits.
Cache keys, scopes and rates stay DRF's (DEFAULT_THROTTLE_RATES). A request with a
bearer token has its per-user hit counted in the round trip that reads its user
(accounts.authentication); the throttle then takes that count.
"""

from rest_framework import throttling

from accounts import ratelimits


class FixedWindowMixin:
    """allow_request/wait for a SimpleRateThrottle, with a counter instead of a history."""

    seconds_left = 0

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        hit = key and self.hit_for(key)
        if not hit:
            return True
        counted = getattr(request, COUNTED_HITS, {})
        if hit.key in counted:  # counted while the user was read (accounts.authentication)
            count = counted.pop(hit.key)
        else:
            _, count = ratelimits.read_and_count((), hit)
        self.seconds_left = hit.seconds_left()
        return not hit.over_limit(count)

    def hit_for(self, key: str) -> ratelimits.Hit | None:
        return ratelimits.hit_for(f"api-{self.scope}", key, (self.num_requests, self.duration))

    def wait(self):
        return max(1, self.seconds_left)


# A DRF request attribute: {counter key: count} of hits already counted for this request.
COUNTED_HITS = "counted_hits"


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """RATE_API_ANON per client address (TRUSTED_PROXY_COUNT decides which one)."""


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """RATE_API_USER per signed-in user."""

    def hit_for_user(self, user_id) -> ratelimits.Hit | None:
        """The hit this request will count for `user_id`, known before request.user is."""
        if self.rate is None:
            return None
        return self.hit_for(self.cache_format % {"scope": self.scope, "ident": user_id})
