"""Every write to tasks, tags and notes. Views, the API and the admin call these."""

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.core.cache import cache
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts import emails
from accounts.models import User, new_calendar_token
from tasks.models import Note, ReminderLog, Tag, Task

TASK_FIELDS = ("title", "description", "status", "priority", "due_date")


class VersionConflict(Exception):
    """The client edited an older version of the task than the one stored."""

    def __init__(self, current: Task):
        super().__init__(f"Task {current.pk} is at version {current.version}")
        self.current = current


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


# --- tags -----------------------------------------------------------------------


def _clean_tag_names(names: Iterable[str]) -> list[str]:
    unique: dict[str, str] = {}
    for raw in names:
        name = " ".join(str(raw).split())
        if not name:
            continue
        if len(name) > 50:
            raise ValidationError({"tags": [f"Tag names have at most 50 characters: {name!r}."]})
        unique.setdefault(name.lower(), name)
    return list(unique.values())


def tags_resolve(*, owner: User, names: Iterable[str]) -> list[Tag]:
    """The owner's tags with these names (any letter case), creating the missing ones."""
    wanted = _clean_tag_names(names)
    if not wanted:
        return []

    def existing() -> dict[str, Tag]:
        keys = [name.lower() for name in wanted]
        # Exact names too: SQLite's LOWER() folds ASCII letters only ("Été").
        matches = Tag.objects.alias(key=Lower("name")).filter(
            Q(key__in=keys) | Q(name__in=wanted), owner=owner
        )
        return {tag.name.lower(): tag for tag in matches}

    found = existing()
    missing = [name for name in wanted if name.lower() not in found]
    if missing:
        # ignore_conflicts: a concurrent request may create the same tag first.
        Tag.objects.bulk_create(
            [Tag(owner=owner, name=name) for name in missing], ignore_conflicts=True
        )
        found = existing()
    return [found[name.lower()] for name in wanted]


def _tag_save(tag: Tag, **save_options) -> Tag:
    """Validate and save a tag; a name the owner already uses, in any case, is a `name` error."""
    try:
        tag.full_clean()
    except ValidationError as error:
        # The unique constraint is on Lower("name"), an expression, so full_clean reports it
        # as a non-field error; it is about the name.
        raise ValidationError(
            {
                "name" if field == NON_FIELD_ERRORS else field: messages
                for field, messages in error.message_dict.items()
            }
        ) from error
    try:
        with transaction.atomic():
            tag.save(**save_options)
    except IntegrityError as error:  # a concurrent request took the name first
        raise ValidationError({"name": ["You already have a tag with this name."]}) from error
    return tag


def tag_create(*, owner: User, name: str) -> Tag:
    """Create a tag; its name must be new for this owner, ignoring case."""
    return _tag_save(Tag(owner=owner, name=" ".join(name.split())))


def tag_rename(*, tag: Tag, name: str) -> Tag:
    """Rename a tag, keeping names unique per owner."""
    tag.name = " ".join(name.split())
    tag = _tag_save(tag, update_fields=["name"])
    stats_invalidate_many(owner_ids=[tag.owner_id])  # counts filtered by `tag` change
    return tag


def tag_delete(*, tag: Tag) -> None:
    """Delete a tag; tasks and notes keep everything but the label."""
    owner = tag.owner
    tag.delete()
    stats_invalidate(owner=owner)


# --- tasks ------------------------------------------------------------------------


def _apply_status(task: Task, status: str) -> None:
    if status == task.status and task.pk:
        return
    task.status = status
    task.completed_at = timezone.now() if status == Task.Status.DONE else None
    if status != Task.Status.DONE:
        task.archived_at = None  # only done tasks stay archived: reopening brings it back


def task_create(
    *,
    owner: User,
    title: str,
    description: str = "",
    status: str = Task.Status.TODO,
    priority: int = Task.Priority.MEDIUM,
    due_date: date | None = None,
    tags: Iterable[str] = (),
) -> Task:
    """Create a task for its owner, creating any tags named that do not exist yet."""
    task = Task(owner=owner, title=title.strip(), description=description, priority=priority)
    task.due_date = due_date
    _apply_status(task, status)
    task.full_clean(exclude=["owner", "tags"])
    tag_names = _clean_tag_names(tags)  # a bad name is refused before anything is written
    if tag_names:
        with transaction.atomic():
            task.save()
            task.tags.add(*tags_resolve(owner=owner, names=tag_names))
    else:
        # One INSERT is atomic by itself: no BEGIN and COMMIT, two round trips fewer.
        task.save()
        _known_to_have_no_tags(task)
    stats_invalidate(owner=owner)
    return task


def _known_to_have_no_tags(task: Task) -> None:
    """Set the task's tags as prefetch_related would, to none: showing it reads nothing.

    An empty queryset would still build its SQL on every read; a filled result cache
    (what prefetch_related_objects stores) is a plain list.
    """
    tags = task.tags.all()
    tags._result_cache, tags._prefetch_done = [], True
    task._prefetched_objects_cache = {"tags": tags}


def _lock(task: Task) -> Task:
    """The task's row, locked; Http404 if it was deleted since the caller read it."""
    return get_object_or_404(Task.objects.select_for_update(), pk=task.pk)


@transaction.atomic
def task_update(
    *, task: Task, expected_version: int | None = None, tags: Iterable[str] | None = None, **changes
) -> Task:
    """Change a task; with `expected_version`, refuse (VersionConflict) if it moved on.

    The row is locked while the version is compared and written, so two clients holding
    the same version cannot both win.
    """
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"task_update() got unexpected fields: {', '.join(sorted(unknown))}")
    locked = _lock(task)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    status = changes.pop("status", locked.status)
    for field, value in changes.items():
        setattr(locked, field, value)
    _apply_status(locked, status)
    locked.full_clean(exclude=["owner", "tags"])
    locked.updated_at = timezone.now()
    locked.version += 1  # the row lock makes this read-modify-write safe
    locked.save()
    if tags is not None:
        locked.tags.set(tags_resolve(owner=locked.owner, names=tags))
    stats_invalidate(owner=locked.owner)
    return locked


def task_complete(*, task: Task, expected_version: int | None = None) -> Task:
    """Mark a task done and stamp when."""
    return task_update(task=task, expected_version=expected_version, status=Task.Status.DONE)


def task_reopen(*, task: Task, expected_version: int | None = None) -> Task:
    """Put a done task back to do; its completion time is cleared."""
    return task_update(task=task, expected_version=expected_version, status=Task.Status.TODO)


def task_toggle(*, task: Task) -> Task:
    """Done becomes to-do, anything else becomes done (the checkbox on each row)."""
    return task_reopen(task=task) if task.is_done else task_complete(task=task)


@transaction.atomic
def task_delete(*, task: Task, expected_version: int | None = None) -> None:
    """Delete a task; with `expected_version`, only the version the client saw."""
    locked = _lock(task)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    locked.delete()
    stats_invalidate(owner=task.owner)


# --- archive and daily reminders (background jobs in tasks/jobs.py) ------------------

ARCHIVE_BATCH = 1000


def tasks_archive_done(*, older_than: datetime) -> int:
    """Archive tasks done before `older_than` and untouched since; returns how many.

    A restored task counts as touched, so it waits the whole delay again. Batches are locked,
    so a task edited meanwhile is judged on its new values.
    """
    archivable = Task.objects.filter(
        status=Task.Status.DONE,
        archived_at__isnull=True,
        completed_at__lt=older_than,
        updated_at__lt=older_than,
    )
    archived = 0
    while True:
        with transaction.atomic():
            batch = list(
                archivable.select_for_update()
                .order_by("pk")
                .values_list("pk", "owner_id")[:ARCHIVE_BATCH]
            )
            if not batch:
                return archived
            now = timezone.now()
            archived += Task.objects.filter(pk__in=[pk for pk, _ in batch]).update(
                archived_at=now, updated_at=now, version=F("version") + 1
            )
            stats_invalidate_many(owner_ids={owner_id for _, owner_id in batch})


@transaction.atomic
def task_restore(*, task: Task, expected_version: int | None = None) -> Task:
    """Bring an archived task back to the list (still done); restoring twice changes nothing."""
    locked = _lock(task)
    if expected_version is not None and locked.version != expected_version:
        raise VersionConflict(locked)
    if locked.archived_at is None:
        return locked
    locked.archived_at = None
    locked.updated_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["archived_at", "updated_at", "version"])
    stats_invalidate_many(owner_ids=[locked.owner_id])
    return locked


def reminder_send(*, user: User, today: date, tasks: Sequence[Task], total: int) -> bool:
    """Email the user's reminder for their local date `today`, listing `tasks` (of `total`).

    Once a day: returns False, sending nothing, if that day's reminder went already.
    """
    try:
        with transaction.atomic():
            ReminderLog.objects.create(user=user, local_date=today)
            emails.send_user_email(
                user=user,
                template="tasks/email/daily_reminder",
                context={"today": today, "tasks": tasks, "more": total - len(tasks)},
            )
    except IntegrityError:  # the log's unique (user, local_date): sent by an earlier run
        return False
    return True


def reminder_logs_prune(*, before: date) -> int:
    """Forget reminders sent for days before `before`; returns how many."""
    return ReminderLog.objects.filter(local_date__lt=before).delete()[0]


# --- notes ------------------------------------------------------------------------


def _check_note_task(owner: User, task: Task | None) -> None:
    if task is not None and task.owner_id != owner.pk:
        raise ValidationError({"task": ["Choose one of your own tasks."]})


@transaction.atomic
def note_create(
    *, owner: User, title: str, body: str = "", task: Task | None = None, tags: Iterable[str] = ()
) -> Note:
    """Create a note, optionally attached to one of the owner's tasks."""
    _check_note_task(owner, task)
    note = Note(owner=owner, title=title.strip(), body=body, task=task)
    note.full_clean(exclude=["owner", "tags", "task"])
    note.save()
    note.tags.set(tags_resolve(owner=owner, names=tags))
    return note


NOTE_FIELDS = ("title", "body", "task")


@transaction.atomic
def note_update(*, note: Note, tags: Iterable[str] | None = None, **changes) -> Note:
    """Change a note; its task, if any, must belong to the same owner."""
    unknown = set(changes) - set(NOTE_FIELDS)
    if unknown:
        raise TypeError(f"note_update() got unexpected fields: {', '.join(sorted(unknown))}")
    if "task" in changes:
        _check_note_task(note.owner, changes["task"])
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    for field, value in changes.items():
        setattr(note, field, value)
    note.full_clean(exclude=["owner", "tags", "task"])
    note.updated_at = timezone.now()
    note.save()
    if tags is not None:
        note.tags.set(tags_resolve(owner=note.owner, names=tags))
    return note


def note_delete(*, note: Note) -> None:
    """Delete a note."""
    note.delete()


# --- import -------------------------------------------------------------------------

IMPORT_BATCH = 500  # rows per INSERT, and names per tag lookup (SQLite's 999-parameter cap)


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


@dataclasses.dataclass(frozen=True)
class ImportResult:
    tasks: int
    notes: int


def _add_errors(row: ImportRow, error: ValidationError) -> None:
    """The rule's messages, except on fields whose shape the reader already refused."""
    for name, messages in error.message_dict.items():
        row.errors.setdefault("non_field_errors" if name == NON_FIELD_ERRORS else name, messages)


def _check_past(row: ImportRow, names: Iterable[str], now) -> None:
    for name in names:
        value = row.values.get(name)
        if value is not None and value > now:
            row.errors.setdefault(name, ["This time is in the future."])


def _import_tags(row: ImportRow) -> list[str]:
    try:
        return _clean_tag_names(row.values.get("tags", ()))
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
    through = model.tags.through
    owner_field = model._meta.model_name  # the through model's column: task or note
    links = [
        through(**{f"{owner_field}_id": obj.pk, "tag_id": tags[name.lower()].pk})
        for obj, names in zip(objects, tag_names, strict=True)
        for name in names
    ]
    through.objects.bulk_create(links, batch_size=IMPORT_BATCH)


@transaction.atomic
def data_import(*, owner: User, rows: Sequence[ImportRow]) -> ImportResult:
    """Add a file's tasks and notes to the owner's, all or nothing.

    Every row meets task_create's or note_create's rules; tags are the owner's (created
    when missing); a note's `task_ref` is a task id of the same file (mapped to the new
    task) or else one of the owner's tasks. created_at, completed_at and archived_at are
    kept from the file (none in the future; completed_at and archived_at on done tasks only);
    updated_at is now, so API clients syncing with `updated_after` see the new rows. Any
    invalid row raises ImportInvalid with every invalid row, and nothing is written.
    """
    now = timezone.now()
    tasks: list[tuple[ImportRow, Task, list[str]]] = []
    notes: list[tuple[ImportRow, Note, list[str]]] = []
    task_by_ref: dict[int, Task] = {}
    for row in rows:
        if row.kind == "task":
            task = _import_task(owner, row, now)
            tasks.append((row, task, _import_tags(row)))
            if row.ref in task_by_ref:
                row.errors.setdefault("id", [f"Another task in this file has id {row.ref}."])
            elif row.ref is not None:
                task_by_ref[row.ref] = task
        elif row.kind == "note":
            notes.append((row, _import_note(owner, row, now), _import_tags(row)))
        else:
            row.errors.setdefault("kind", ["Use task or note."])

    outside = {row.task_ref for row, _, _ in notes if row.task_ref is not None}
    owned = _owned_task_ids(owner, outside - task_by_ref.keys())
    for row, _, _ in notes:
        ref = row.task_ref
        if ref is not None and ref not in task_by_ref and ref not in owned:
            row.errors.setdefault(
                "task_id", [f"No task has id {ref}, in this file or in your account."]
            )

    invalid = [row for row in rows if row.errors]
    if invalid:
        raise ImportInvalid(invalid)

    tags = _tags_by_key(owner, [name for *_, names in tasks + notes for name in names])
    _insert(Task, [task for _, task, _ in tasks], [names for *_, names in tasks], tags)
    for row, note, _ in notes:
        if row.task_ref is not None:
            target = task_by_ref.get(row.task_ref)
            note.task_id = target.pk if target is not None else row.task_ref
    _insert(Note, [note for _, note, _ in notes], [names for *_, names in notes], tags)
    stats_invalidate(owner=owner)
    return ImportResult(tasks=len(tasks), notes=len(notes))


# --- calendar feed ----------------------------------------------------------------


def calendar_token_regenerate(*, user: User) -> str:
    """Give the user a new calendar feed secret; the old feed URL then answers 404."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user.calendar_token
