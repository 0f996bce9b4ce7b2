"""The one seam between task data and the cache: every key of the tasks app lives here.

Temporary home of the keys the services used to own; see issue 13.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from accounts.models import User


def stats_cache_key(user_id: int) -> str:
    return f"tasks:stats:{user_id}"


def generation_cache_key(user_id: int) -> str:
    """Where the user's task generation lives: a token replaced by every task or tag write.

    List counts, cached pages and API answers are stored under (or with) a generation;
    anything of an older one is ignored (tasks.selectors.task_cache_lookup).
    """
    return f"tasks:generation:{user_id}"


def dashboard_cache_key(user_id: int) -> str:
    return f"tasks:dashboard:{user_id}"


OWNER_CACHE_KEYS = (stats_cache_key, generation_cache_key, dashboard_cache_key)


def stats_invalidate(*, owner: User) -> None:
    """Drop the owner's cached figures and list counts (stats_invalidate_many)."""
    stats_invalidate_many(owner_ids=[owner.pk])


def stats_invalidate_many(*, owner_ids: Iterable[int]) -> None:
    """Drop these owners' cached dashboard figures and list counts, now and at commit.

    Now, so the rest of this transaction reads fresh figures; at commit, because a request
    running alongside may have cached figures from before the write in between.
    """
    keys = [key(owner_id) for owner_id in owner_ids for key in OWNER_CACHE_KEYS]
    if transaction.get_connection().in_atomic_block:
        cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))  # at once outside a transaction
