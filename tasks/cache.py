"""The tasks app's one cache seam: every task key, and each owner's generation, live here.

What is cached (API answers, the task list's rows, counts, dashboard figures) is stored
with the owner's generation, a token that tasks.signals replaces after every write to their
tasks, tags or notes, through any door: services, the admin, imports, the shell, cascades.
Anything stored under an older generation reads as missing. Queryset .update() and
.delete() send no signal per row: their callers call owners_changed themselves.

What a user can make the cache hold is bounded:
- only requests whose query string has known parameters, one value each, are stored
  (signature_of); anything else is computed and not stored;
- each owner has SLOTS[kind] entries per kind: an entry's slot is a hash of what it
  shows, so a new entry replaces whatever held its slot (a direct-mapped cache).
"""

import hashlib
import secrets
from collections.abc import Callable, Iterable

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

GENERATION_SECONDS = 3600
SLOTS = {"answer": 64, "rows": 32, "count": 32, "dashboard": 2}
# How long an entry lives if no write retires it first. The dashboard says "completed 5
# minutes ago": it must not drift far.
SECONDS = {"answer": 600, "rows": 600, "count": 600, "dashboard": 60}


def _generation_key(owner_id: int) -> str:
    return f"tasks:generation:{owner_id}"


def owners_changed(*, owner_ids: Iterable[int]) -> None:
    """Retire everything cached for these owners: now, and again at commit.

    Now, so the rest of this transaction reads fresh data; at commit, because a request
    running alongside may have stored data from before the write under the new generation.
    """
    keys = [_generation_key(owner_id) for owner_id in set(owner_ids)]
    if not keys:
        return

    def replace():  # a new generation rather than none: the next reader needn't start one
        cache.set_many({key: secrets.token_hex(8) for key in keys}, GENERATION_SECONDS)

    if transaction.get_connection().in_atomic_block:
        replace()
    transaction.on_commit(replace)  # at once outside a transaction


def signature_of(params, *, known: Iterable[str]) -> tuple | None:
    """The query string as a sorted tuple, or None (not to be stored) if it holds a
    parameter not in `known` or one given more than once."""
    known = frozenset(known)
    pairs = []
    for name, values in params.lists():
        if name not in known or len(values) != 1:
            return None
        pairs.append((name, values[0]))
    return tuple(sorted(pairs))


def entry_keys(*, owner_id: int, kind: str, signature: tuple) -> list[str]:
    """The cache keys remembered() reads for this entry: the owner's generation and the
    entry's slot. They depend on nothing but the arguments, so a caller that does not
    know the user's time zone yet can read them ahead (accounts.api.bearer)."""
    digest = hashlib.sha256(repr((kind, signature)).encode()).hexdigest()
    slot = int(digest[:8], 16) % SLOTS[kind]
    return [_generation_key(owner_id), f"tasks:{kind}:{owner_id}:{slot}"]


def remembered(
    *,
    owner_id: int,
    kind: str,
    signature: tuple | None,
    build: Callable,
    store: bool = True,
    found: dict | None = None,
):
    """build(), or its value as cached for this owner, `kind` and `signature`.

    One cache round trip on a hit, none if `found` holds what the cache held under
    entry_keys. `signature` None means: compute, store nothing; `store` False: read what
    is stored, but store nothing. Values are kept for the current date and time zone
    only (due and overdue move with them); an exception from build() stores nothing.
    """
    if signature is None:
        return build()
    shown = (
        kind,
        signature,
        timezone.localdate().isoformat(),
        timezone.get_current_timezone_name(),
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()
    generation_key, key = entry_keys(owner_id=owner_id, kind=kind, signature=signature)
    if found is None or generation_key not in found or key not in found:
        found = cache.get_many([generation_key, key])
    generation = found.get(generation_key) or _generation_start(generation_key)
    stored = found.get(key)
    if stored is not None and stored[:2] == (generation, digest):
        return stored[2]
    value = build()
    if store and generation is not None:
        cache.set(key, (generation, digest, value), SECONDS[kind])
    return value


def count_signature(filters, *, counted: Iterable[str]) -> tuple | None:
    """What a list's row count is stored under: the filters that change it (`counted`),
    so every page of one filtered list shares it; None if one is given twice."""
    counted = frozenset(counted)
    chosen = [(name, values) for name, values in filters.lists() if name in counted and any(values)]
    if any(len(values) != 1 for _, values in chosen):
        return None
    return tuple(sorted((name, values[0]) for name, values in chosen))


def remembered_count(
    *,
    owner_id: int,
    filters,
    counted: Iterable[str],
    known: Iterable[str],
    build: Callable,
    found: dict | None = None,
) -> int:
    """build(), a list's row count, cached under count_signature: the unfiltered list's
    too (its counts row costs a query; the cache is read with the generation, or ahead
    in `found`, as remembered()).

    A query string that signature_of refuses with `known` (junk parameters) reads a count
    stored by a clean one, but never stores one."""
    return remembered(
        owner_id=owner_id,
        kind="count",
        signature=count_signature(filters, counted=counted),
        build=build,
        store=signature_of(filters, known=known) is not None,
        found=found,
    )


def entries_held(*, owner_id: int) -> int:
    """How many entries the cache holds for this owner, of any generation (for tests)."""
    keys = [f"tasks:{kind}:{owner_id}:{slot}" for kind, n in SLOTS.items() for slot in range(n)]
    return len(cache.get_many(keys))


def _generation_start(key: str) -> str | None:
    """A new generation, only ever added, never overwritten (a reader can't revive a
    retired one); None when the cache is unreachable, so nothing is stored."""
    fresh = secrets.token_hex(8)
    if cache.add(key, fresh, GENERATION_SECONDS):
        return fresh
    return cache.get(key)
