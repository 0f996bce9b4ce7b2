"""A bearer-token GET in one Redis round trip: the user, the per-user throttle and the
view's cached answer, read together.

DRF asks in turn: the authenticator for the user (accounts.cache), the throttle for its
count (core.ratelimit), then the view for its answer (tasks.cache), three round trips
where a cached answer takes less time than one. The user's id is in the verified token
before the user is loaded, so all three can go in one pipeline. OneRoundTrip.initial is
the only caller of read_bearer_request; what it read stays on the view (`bearer_read`),
and the authenticator and the throttles know nothing of it.

Any request this does not fit (no bearer token, a token that fails, not a GET, caches
that are not Redis) goes DRF's usual way, with the same checks and the same answers.
"""

import dataclasses
import logging

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django_redis import get_redis_connection
from django_redis.cache import RedisCache
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.authentication import CachedUserJWTAuthentication
from accounts.cache import user_cache_key, user_from_entry
from core import ratelimit
from core.api.throttles import UserRateThrottle
from core.observability.metrics import count_cache_reads

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class BearerRead:
    """What one round trip read for a bearer request."""

    user: object
    token: object
    throttle: UserRateThrottle | None
    counted: ratelimit.Counted | None  # the throttle's count, this request included
    found: dict  # {key: value, or None if the cache held none} for the view's keys


def read_bearer_request(request, *, throttle, cache_keys) -> BearerRead | None:
    """The user, `throttle`'s count and `cache_keys`'s values for this request, in one
    round trip (two if the counters have a Redis of their own); None if the request
    must go DRF's usual way. `cache_keys(user_id)` names the keys to read."""
    if request.method not in ("GET", "HEAD") or not _caches_are_redis():
        return None
    authenticator = CachedUserJWTAuthentication()
    header = authenticator.get_header(request)
    raw_token = header and authenticator.get_raw_token(header)
    if not raw_token:
        return None
    try:
        token = authenticator.get_validated_token(raw_token)
        user_id = token[api_settings.USER_ID_CLAIM]
    except (InvalidToken, KeyError):
        return None
    counting = throttle is not None and getattr(settings, "RATELIMIT_ENABLE", True)
    window = throttle.window_for_user(user_id) if counting else None
    keys = [user_cache_key(user_id), *cache_keys(user_id)]
    try:
        values, count = _read_and_count(keys, window)
    except redis.RedisError:
        logger.warning("Cache unreachable: bearer request goes the usual way", exc_info=True)
        return None
    counted = window.counted(count) if count is not None else None
    try:
        user = authenticator.checked_user(token, user_from_entry(user_id, values[0]))
    except AuthenticationFailed:  # DRF's own path answers it; this attempt is not counted
        ratelimit.refund(counted)
        return None
    count_cache_reads(hits=sum(value is not None for value in values), keys=len(keys))
    return BearerRead(user, token, throttle, counted, dict(zip(keys[1:], values[1:], strict=True)))


def _read_and_count(keys: list[str], window) -> tuple[list, int | None]:
    """The cached values of `keys` and, if `window`, the count after this attempt."""
    stored_as = [cache.make_key(key) for key in keys]
    connection = get_redis_connection("default")
    one_server = settings.CACHES["ratelimit"]["LOCATION"] == settings.CACHES["default"]["LOCATION"]
    count = None
    with connection.pipeline(transaction=False) as pipe:
        pipe.mget(stored_as)
        if window is not None and one_server:
            ratelimit.queue_count(pipe, window)
        results = pipe.execute()
    if window is not None and one_server:
        count = results[-1]
    elif window is not None:
        try:
            with ratelimit.counters_redis().pipeline(transaction=False) as pipe:
                ratelimit.queue_count(pipe, window)
                count = pipe.execute()[-1]
        except redis.RedisError:  # as ratelimit.count: the throttle fails open
            logger.warning("Rate-limit counters unreachable: not counted", exc_info=True)
    decode = cache.client.decode  # django-redis's own serializer and compressor
    return [None if raw is None else decode(raw) for raw in results[0]], count


def _caches_are_redis() -> bool:
    return isinstance(caches["default"], RedisCache) and isinstance(
        ratelimit.counters_cache(), RedisCache
    )


class OneRoundTrip:
    """An APIView mixin: a bearer GET reads its user, throttle count and the answer's
    cache keys (the view's `bearer_cache_keys(user_id)`) in one round trip."""

    bearer_read: BearerRead | None = None

    def bearer_cache_keys(self, user_id) -> list[str]:
        return []

    def initial(self, request, *args, **kwargs):
        throttle = next((t for t in self.get_throttles() if isinstance(t, UserRateThrottle)), None)
        self.bearer_read = read_bearer_request(
            request, throttle=throttle, cache_keys=self.bearer_cache_keys
        )
        if self.bearer_read is not None:
            # DRF's public setters: perform_authentication then finds the user set.
            request.user = self.bearer_read.user
            request.auth = self.bearer_read.token
        super().initial(request, *args, **kwargs)

    def check_throttles(self, request):
        read = self.bearer_read
        if read is None or read.throttle is None:
            return super().check_throttles(request)
        waits = []
        for throttle in self.get_throttles():
            if type(throttle) is type(read.throttle):  # the one counted in the round trip
                throttle = read.throttle
                allowed = throttle.allow_counted(read.counted)
            else:
                allowed = throttle.allow_request(request, self)
            if not allowed:
                waits.append(throttle.wait())
        if waits:
            self.throttled(request, max(waits))
