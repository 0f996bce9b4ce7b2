"""The accounts cache seam: the signed-in user, read from the cache, not the database.

Each page and API request needs its user (the session or token names only an id). The
cache holds the row and whether two-factor auth is on, for USER_CACHE_SECONDS; every
save or delete of the user or of their OTP devices drops the entry (accounts.signals,
user_cache_invalidate), so a password change, deactivation or 2FA change counts at once.
With Redis down the cache misses and the user comes from the database, as without it.
"""

from django.core.cache import cache
from django.db import transaction
from django_otp import user_has_device

from accounts.models import TWO_FACTOR_SNAPSHOT, User

USER_CACHE_SECONDS = 300


def user_cache_key(user_id) -> str:
    return f"accounts:user:v1:{user_id}"


def user_cached_get(user_id) -> User | None:
    """The user with this id, active or not: one cache read, or two queries on a miss."""
    return user_from_entry(user_id, cache.get(user_cache_key(user_id)))


def user_from_entry(user_id, cached) -> User | None:
    """The user, from what the cache held under user_cache_key (None: from the database,
    then stored)."""
    if cached is None:
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return None
        cached = (user, user_has_device(user, confirmed=True))
        cache.set(user_cache_key(user_id), cached, USER_CACHE_SECONDS)
    user, two_factor = cached
    setattr(user, TWO_FACTOR_SNAPSHOT, two_factor)
    return user


def user_cache_invalidate(user: User | int) -> None:
    """Forget the cached user now and again at commit (a reader may refill it meanwhile).

    Given the instance, its 2FA snapshot goes too, so the rest of the request asks again.
    """
    if isinstance(user, User):
        user.__dict__.pop(TWO_FACTOR_SNAPSHOT, None)
        user = user.pk
    key = user_cache_key(user)
    if transaction.get_connection().in_atomic_block:
        cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))  # at once outside a transaction
