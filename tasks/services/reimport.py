"""Importing a file again: rows whose ids are the owner's stored tasks or notes.

data_import sorts each kind's rows (sorted_out) into new ones, changed ones (written over
the stored object by write_changed: a new version, updated_at now, tags replaced),
unchanged ones and skipped ones. An unchanged row writes nothing, so re-importing an
export changes no version and a client syncing with `updated_after` sees nothing new.
"""

import dataclasses

from django.utils import timezone

from tasks.models import Note, Tag, Task

BATCH = 500  # rows per statement, and ids per lookup (SQLite's 999-parameter cap)

# What a row may change on a stored object (the rest is kept: id, owner, created_at).
WRITTEN = {
    Task: ("title", "description", "status", "priority", "due_date", "completed_at", "archived_at"),
    Note: ("title", "body", "task"),
}


@dataclasses.dataclass
class Sorted:
    """A kind's rows as (row, object, tag names) entries, by what importing does."""

    new: list = dataclasses.field(default_factory=list)
    changed: list = dataclasses.field(default_factory=list)
    unchanged: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)


def sorted_out(model, stored: dict, entries: list, existing: str) -> Sorted:
    """Sort entries: an object with no id is new; one with the id of a `stored` object is
    skipped (`existing` "skip"), unchanged, or changed."""
    result = Sorted()
    stored_tags = _tag_keys(model, list(stored)) if existing == "update" else {}
    for entry in entries:
        _, obj, names = entry
        if obj.pk is None:
            result.new.append(entry)
        elif existing == "skip":
            result.skipped.append(entry)
        elif _same(model, stored[obj.pk], obj) and stored_tags.get(obj.pk, []) == _keys(names):
            result.unchanged.append(entry)
        else:
            result.changed.append(entry)
    return result


def write_changed(model, stored: dict, entries: list, tags: dict[str, Tag]) -> None:
    """Write the entries' values over their stored objects and replace their tags."""
    objects = [obj for _, obj, _ in entries]
    now = timezone.now()
    for obj in objects:
        obj.version = stored[obj.pk].version + 1
        obj.updated_at = now
    fields = [*WRITTEN[model], "updated_at", "version"]
    model.objects.bulk_update(objects, fields, batch_size=BATCH)
    through = model.tags.through
    column = f"{model._meta.model_name}_id"
    for start in range(0, len(objects), BATCH):
        ids = [obj.pk for obj in objects[start : start + BATCH]]
        through.objects.filter(**{f"{column}__in": ids}).delete()
    link_tags(model, objects, [names for *_, names in entries], tags)


def link_tags(model, objects: list, tag_names: list[list[str]], tags: dict[str, Tag]) -> None:
    """Link each object to its tags (`tags` by lower-cased name), a batch per statement."""
    through = model.tags.through
    column = f"{model._meta.model_name}_id"
    links = [
        through(**{column: obj.pk, "tag_id": tags[name.lower()].pk})
        for obj, names in zip(objects, tag_names, strict=True)
        for name in names
    ]
    through.objects.bulk_create(links, batch_size=BATCH)


def _same(model, stored, obj) -> bool:
    attnames = [model._meta.get_field(name).attname for name in WRITTEN[model]]
    return all(getattr(stored, name) == getattr(obj, name) for name in attnames)


def _keys(names) -> list[str]:
    return sorted({name.lower() for name in names})


def _tag_keys(model, ids: list[int]) -> dict[int, list[str]]:
    """Each stored object's tag names, lower-cased and sorted, by id."""
    through = model.tags.through
    column = f"{model._meta.model_name}_id"
    found: dict[int, set[str]] = {}
    for start in range(0, len(ids), BATCH):
        links = through.objects.filter(**{f"{column}__in": ids[start : start + BATCH]})
        for object_id, name in links.values_list(column, "tag__name"):
            found.setdefault(object_id, set()).add(name.lower())
    return {object_id: sorted(names) for object_id, names in found.items()}
