"""Importing an export file's tasks and notes, all or nothing."""

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from tasks import cache
from tasks.models import Note, Tag, Task
from tasks.services import reimport
from tasks.services.tags import tag_names_clean, tags_resolve

IMPORT_BATCH = reimport.BATCH  # rows per INSERT, and names per tag lookup


@dataclasses.dataclass
class ImportRow:
    """One task or note read from an import file, before anything is written.

    `values` holds what the file gave, as Python values: a task's title, description,
    status, priority, due_date, tags, created_at, completed_at, archived_at; a note's
    title, body, tags, created_at. `ref` is the id the task had in the file, `task_ref`
    the id of a note's task (in the file, or one of the owner's). `row` places the row in
    the file for error messages; `errors` holds the reader's shape errors, by field.
    """

    kind: str  # "task" or "note"
    row: int
    values: dict[str, Any]
    ref: int | None = None
    task_ref: int | None = None
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)


class ImportInvalid(Exception):
    """Some rows break the rules, so nothing was imported; `rows` are those rows."""

    def __init__(self, rows: list[ImportRow]):
        count = len(rows)
        super().__init__(f"{count} row{'s' if count != 1 else ''} invalid; nothing was imported.")
        self.rows = rows


# What a row does whose id is already one of the owner's tasks or notes (the file is an
# export of this account): ADD a copy (the rows' ids are ignored), UPDATE the stored one
# from the file, or SKIP the row.
EXISTING_CHOICES = ("skip", "update", "add")


@dataclasses.dataclass(frozen=True)
class ImportResult:
    tasks: int  # added
    notes: int
    updated_tasks: int = 0
    updated_notes: int = 0
    unchanged: int = 0  # rows naming a stored task or note with the same values
    skipped: int = 0  # rows naming a stored task or note, left out ("skip")


# A row read from the file, the object it makes, and its tag names.
TaskEntry = tuple[ImportRow, Task, list[str]]
NoteEntry = tuple[ImportRow, Note, list[str]]


def _add_errors(row: ImportRow, error: ValidationError) -> None:
    """The rule's messages, except on fields whose shape the reader already refused."""
    for name, messages in error.message_dict.items():
        row.errors.setdefault("non_field_errors" if name == NON_FIELD_ERRORS else name, messages)


def _check_past(row: ImportRow, names: Iterable[str], now) -> None:
    """None of these times is in the future."""
    for name in names:
        value = row.values.get(name)
        if value is not None and value > now:
            row.errors.setdefault(name, ["This time is in the future."])


def _import_tags(row: ImportRow) -> list[str]:
    try:
        return tag_names_clean(row.values.get("tags", ()))
    except ValidationError as error:
        _add_errors(row, error)
        return []


def _import_task(owner: User, row: ImportRow, now) -> Task:
    """task_create's rules, plus the file's timestamps; updated_at is the import time."""
    values = row.values
    status = values.get("status", Task.Status.TODO)
    completed_at = values.get("completed_at")
    if completed_at is not None and status != Task.Status.DONE:
        row.errors.setdefault("completed_at", ["Only a done task has a completion time."])
    if values.get("archived_at") is not None and status != Task.Status.DONE:
        row.errors.setdefault("archived_at", ["Only a done task can be archived."])
    if completed_at is None and status == Task.Status.DONE:
        completed_at = now
    _check_past(row, ("created_at", "completed_at", "archived_at"), now)
    task = Task(
        owner=owner,
        title=values.get("title", "").strip(),
        description=values.get("description", ""),
        status=status,
        priority=values.get("priority", Task.Priority.MEDIUM),
        due_date=values.get("due_date"),
        created_at=values.get("created_at") or now,
        updated_at=now,
        completed_at=completed_at,
        archived_at=values.get("archived_at"),
    )
    try:
        task.full_clean(exclude=["owner", "tags"])
    except ValidationError as error:
        _add_errors(row, error)
    return task


def _import_note(owner: User, row: ImportRow, now) -> Note:
    """note_create's rules, plus the file's created_at; the task is linked afterwards."""
    values = row.values
    _check_past(row, ("created_at",), now)
    note = Note(
        owner=owner,
        title=values.get("title", "").strip(),
        body=values.get("body", ""),
        created_at=values.get("created_at") or now,
        updated_at=now,
    )
    try:
        note.full_clean(exclude=["owner", "tags", "task"])
    except ValidationError as error:
        _add_errors(row, error)
    return note


def _owned_task_ids(owner: User, ids: set[int]) -> set[int]:
    """Those of these task ids that are the owner's."""
    ids = sorted(ids)
    found: set[int] = set()
    for start in range(0, len(ids), IMPORT_BATCH):
        batch = ids[start : start + IMPORT_BATCH]
        found.update(Task.objects.filter(owner=owner, pk__in=batch).values_list("pk", flat=True))
    return found


def _tags_by_key(owner: User, names: Iterable[str]) -> dict[str, Tag]:
    """The owner's tags for these names (created when missing), by lower-cased name."""
    unique = list({name.lower(): name for name in names}.values())
    tags: dict[str, Tag] = {}
    for start in range(0, len(unique), IMPORT_BATCH):
        for tag in tags_resolve(owner=owner, names=unique[start : start + IMPORT_BATCH]):
            tags[tag.name.lower()] = tag
    return tags


def _insert(model, objects: list, tag_names: list[list[str]], tags: dict[str, Tag]) -> None:
    """Insert rows and their tag links, a batch per statement (ids come back on insert)."""
    model.objects.bulk_create(objects, batch_size=IMPORT_BATCH)
    reimport.link_tags(model, objects, tag_names, tags)


def _stored(model, owner: User, rows: Sequence[ImportRow], kind: str, existing: str) -> dict:
    """The owner's stored objects of `kind` that rows name by id, by id (none for "add")."""
    if existing == "add":
        return {}
    ids = sorted({row.ref for row in rows if row.kind == kind and isinstance(row.ref, int)})
    found = {}
    for start in range(0, len(ids), IMPORT_BATCH):
        batch = model.objects.filter(owner=owner, pk__in=ids[start : start + IMPORT_BATCH])
        found.update({obj.pk: obj for obj in batch})
    return found


def _file_tasks(
    owner: User, rows: Sequence[ImportRow], now, stored: dict[int, Task]
) -> tuple[list[TaskEntry], dict]:
    """The file's tasks checked, with their tag names, and each by its id in the file.

    A row naming a `stored` task keeps that task's id and creation time (an update)."""
    tasks: list[TaskEntry] = []
    task_by_ref: dict[int, Task] = {}
    for row in rows:
        if row.kind != "task":
            continue
        task = _import_task(owner, row, now)
        if row.ref in stored:
            task.pk, task.created_at = row.ref, stored[row.ref].created_at
        tasks.append((row, task, _import_tags(row)))
        if row.ref in task_by_ref:
            row.errors.setdefault("id", [f"Another task in this file has id {row.ref}."])
        elif row.ref is not None:
            task_by_ref[row.ref] = task
    return tasks, task_by_ref


def _file_notes(
    owner: User, rows: Sequence[ImportRow], now, task_by_ref: dict[int, Task], stored: dict
) -> list[NoteEntry]:
    """The file's notes checked, with their tag names; each one's task must exist."""
    notes = [
        (row, _import_note(owner, row, now), _import_tags(row))
        for row in rows
        if row.kind == "note"
    ]
    for row, note, _ in notes:
        if row.ref in stored:
            note.pk, note.created_at = row.ref, stored[row.ref].created_at
    outside = {row.task_ref for row, _, _ in notes if row.task_ref is not None}
    owned = _owned_task_ids(owner, outside - task_by_ref.keys())
    for row, _, _ in notes:
        ref = row.task_ref
        if ref is not None and ref not in task_by_ref and ref not in owned:
            row.errors.setdefault(
                "task_id", [f"No task has id {ref}, in this file or in your account."]
            )
    return notes


def _check_kinds(rows: Sequence[ImportRow]) -> None:
    """Every row is a task or a note."""
    for row in rows:
        if row.kind not in ("task", "note"):
            row.errors.setdefault("kind", ["Use task or note."])


@transaction.atomic
def data_import(
    *,
    owner: User,
    rows: Sequence[ImportRow],
    existing: str = "add",
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Add a file's tasks and notes to the owner's, all or nothing.

    Every row meets task_create's or note_create's rules; tags are the owner's (created
    when missing); a note's `task_ref` is a task id of the same file (mapped to the new
    task) or else one of the owner's tasks. created_at, completed_at and archived_at are
    kept from the file (none in the future; completed_at and archived_at on done tasks only);
    updated_at is now, so API clients syncing with `updated_after` see the new rows. Any
    invalid row raises ImportInvalid with every invalid row, and nothing is written.

    A row whose id is one of the owner's tasks or notes is added as a copy, updates it
    (its creation time stays; a new version) or is skipped, as `existing` says
    (EXISTING_CHOICES). Every row is checked, skipped ones too.

    `progress(done, total)` is told after each stage: every row is counted once when
    checked and once when written (or left alone), so `total` is twice the rows.
    """
    total = 2 * len(rows)
    told = progress or (lambda done, total: None)
    now = timezone.now()
    stored_tasks = _stored(Task, owner, rows, "task", existing)
    stored_notes = _stored(Note, owner, rows, "note", existing)
    tasks, task_by_ref = _file_tasks(owner, rows, now, stored_tasks)
    told(len(tasks), total)
    notes = _file_notes(owner, rows, now, task_by_ref, stored_notes)
    _check_kinds(rows)
    told(len(rows), total)

    invalid = [row for row in rows if row.errors]
    if invalid:
        raise ImportInvalid(invalid)

    tags = _tags_by_key(owner, [name for *_, names in tasks + notes for name in names])
    task_plan = reimport.sorted_out(Task, stored_tasks, tasks, existing)
    _insert(Task, *_objects_and_names(task_plan.new), tags)
    reimport.write_changed(Task, stored_tasks, task_plan.changed, tags)
    told(len(rows) + len(tasks), total)
    for row, note, _ in notes:
        if row.task_ref is not None:
            target = task_by_ref.get(row.task_ref)
            note.task_id = target.pk if target is not None else row.task_ref
    note_plan = reimport.sorted_out(Note, stored_notes, notes, existing)
    _insert(Note, *_objects_and_names(note_plan.new), tags)
    reimport.write_changed(Note, stored_notes, note_plan.changed, tags)
    # bulk writes send no signal: retire the caches here (triggers moved the counts).
    cache.owners_changed(owner_ids=[owner.pk])
    told(total, total)
    return ImportResult(
        tasks=len(task_plan.new),
        notes=len(note_plan.new),
        updated_tasks=len(task_plan.changed),
        updated_notes=len(note_plan.changed),
        unchanged=len(task_plan.unchanged) + len(note_plan.unchanged),
        skipped=len(task_plan.skipped) + len(note_plan.skipped),
    )


def _objects_and_names(entries: list) -> tuple[list, list[list[str]]]:
    return [obj for _, obj, _ in entries], [names for *_, names in entries]
