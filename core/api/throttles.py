"""DRF's anonymous and per-user API throttles, counted in fixed windows (core.ratelimit).

DRF's own throttles keep the time of every request in the window in one cache entry and
read, filter and rewrite that list on each request: 600 timestamps a user at 600/min,
and megabytes under the benchmark's unlimited rate. Here each request is one counter
increment in the rate-limit counters' own cache, the same counters as the sign-in limits.
Cache keys, scopes and rates stay DRF's (DEFAULT_THROTTLE_RATES). With the counters
unreachable the throttles let requests through (docs/security.md).
"""

from rest_framework import throttling

from core import ratelimit


class FixedWindowMixin:
    """allow_request/wait for a SimpleRateThrottle, with a counter instead of a history."""

    seconds_left = 0

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if not key:
            return True
        counted = ratelimit.count(f"api-{self.scope}", key, self.num_requests, self.duration)
        return self.allow_counted(counted)

    def allow_counted(self, counted: ratelimit.Counted | None) -> bool:
        """Whether a request counted as `counted` passes (None: limits off or unreachable,
        so throttles fail open)."""
        if counted is None:
            return True
        self.seconds_left = counted.seconds_left
        return not counted.over

    def wait(self):
        return max(1, self.seconds_left)


class AnonRateThrottle(FixedWindowMixin, throttling.AnonRateThrottle):
    """RATE_API_ANON per client address, an IPv6 client's /64 (ratelimit.client_network;
    TRUSTED_PROXY_COUNT decides which address)."""

    def get_ident(self, request):
        return ratelimit.client_network(request)


class UserRateThrottle(FixedWindowMixin, throttling.UserRateThrottle):
    """RATE_API_USER per signed-in user."""

    def window_for_user(self, user_id) -> ratelimit.Window | None:
        """The counter this throttle would count for `user_id`, known before the user is
        loaded (accounts.api.bearer counts it beside the user); None if not throttled."""
        if self.rate is None:
            return None
        ident = self.cache_format % {"scope": self.scope, "ident": user_id}
        return ratelimit.window_for(f"api-{self.scope}", ident, self.num_requests, self.duration)
