"""Versions of tasks and notes: every change makes a new one, and a stale one is refused."""

from collections.abc import Iterable

from django.db import models
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tasks.services.tags import tag_keys, tags_resolve


class VersionConflict(Exception):
    """The client edited an older version of the task or note than the one stored."""

    def __init__(self, current: models.Model):
        super().__init__(f"{type(current).__name__} {current.pk} is at version {current.version}")
        self.current = current


def locked_at(obj: models.Model, expected_version: int | None = None):
    """The object's row, locked; Http404 if it was deleted since the caller read it, and
    VersionConflict if it moved past `expected_version`. Call inside a transaction."""
    locked = get_object_or_404(type(obj).objects.select_for_update(), pk=obj.pk)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    return locked


def save_if_changed(locked, *, changed: bool, tags: Iterable[str] | None = None):
    """Save a locked, cleaned object as its next version, with `tags` if given, unless
    nothing changes: then nothing is written and no client sees a false conflict."""
    current = tag_keys(locked.tags.values_list("name", flat=True)) if tags is not None else None
    retag = tags is not None and tag_keys(tags) != current
    if not changed and not retag:
        return locked
    locked.updated_at = timezone.now()
    locked.version += 1  # the row lock makes this read-modify-write safe
    locked.save()
    if retag:
        locked.tags.set(tags_resolve(owner=locked.owner, names=tags))
    return locked
