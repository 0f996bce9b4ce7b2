"""Every read of tasks, tags and notes, always scoped to one user."""

import logging
import zoneinfo
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import User
from tasks import counts
from tasks.filters import NoteFilter, TaskFilter
from tasks.models import DataJob, Note, ReminderLog, Tag, Task

logger = logging.getLogger(__name__)

# TaskSerializer's fields but tags, read without model instances (it reads a missing one
# as a KeyError).
TASK_ROW_FIELDS = (
    "id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "created_at",
    "updated_at",
    "completed_at",
    "archived_at",
    "version",
)
# Query parameters that page a list: they neither filter nor sort it.
NOT_FILTERS = frozenset({"page", "page_size", "cursor", "format"})
# The parameters that change how many rows a task list has (paging and order do not).
COUNTED_FILTERS = frozenset(TaskFilter.base_filters) - {"ordering"}
TAGS_BY_NAME = Prefetch("tags", queryset=Tag.objects.only("id", "name").order_by("name"))


def _filtered(filterset_class, data, queryset):
    if hasattr(filterset_class, "unfiltered") and not (set(data or ()) - NOT_FILTERS):
        return filterset_class.unfiltered(queryset)
    # Bound even without data: TaskFilter hides archived tasks unless asked (`archived`).
    filterset = filterset_class(data=data or {}, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(_messages(filterset.errors))
    return filterset.qs


def _messages(errors) -> dict[str, list[str]]:
    return {field: [str(message) for message in messages] for field, messages in errors.items()}


def _tasks(user: User) -> QuerySet[Task]:
    return Task.objects.filter(owner=user).defer("search_vector").prefetch_related(TAGS_BY_NAME)


def task_list(*, user: User, filters=None) -> QuerySet[Task]:
    """The user's tasks, narrowed by TaskFilter's fields; invalid filters raise ValidationError.

    Archived tasks are listed only with `archived=true`.
    """
    return _filtered(TaskFilter, filters, _tasks(user))


def task_count(*, user: User, filters, tasks: QuerySet[Task]) -> int:
    """How many rows `tasks` (task_list with these filters) holds.

    Unfiltered, by status or archived (what the list and sync ask most), from the owner's
    counts row: one row read instead of a COUNT over 100,000 tasks, exact after every
    write. Any other filter counts the rows.
    """
    filters = filters or {}
    counted = {name for name in filters if name in COUNTED_FILTERS and filters.get(name)}
    if counted <= {"status", "archived"}:
        archived = filters.get("archived") == "true"
        status = filters.get("status") or None
        if not (archived and status):
            owner_counts = counts.counts_of(user.pk)
            if archived:
                return owner_counts.archived
            return getattr(owner_counts, status) if status else owner_counts.current
    return tasks.count()


def task_rows(tasks: QuerySet[Task], *, offset: int = 0, limit: int | None = None) -> list[dict]:
    """Rows offset+1 to offset+limit of `tasks` (task_list) as dicts of TASK_ROW_FIELDS plus
    `tags`, names sorted. No model instances: the API list's read path.

    On PostgreSQL each row's tag names come as an array beside it, in the same query; but
    PostgreSQL would build that array for every row an OFFSET skips too, so a later page
    picks its ids in a subquery (from the list's index only), and only those rows get
    arrays. Elsewhere a second query reads the page's tags.
    """
    tasks = tasks.prefetch_related(None)
    end = None if limit is None else offset + limit
    if connection.vendor != "postgresql":
        return _with_tag_query(list(tasks[offset:end].values(*TASK_ROW_FIELDS)))
    if not offset:
        return _with_tag_arrays(tasks[:end])
    return _with_tag_arrays(tasks.filter(pk__in=tasks.values("pk")[offset:end]))


def _with_tag_arrays(tasks: QuerySet[Task]) -> list[dict]:
    names = Tag.objects.filter(tasks=OuterRef("pk")).order_by("name").values("name")
    rows = list(tasks.values(*TASK_ROW_FIELDS, tag_names=ArraySubquery(names)))
    for row in rows:
        row["tags"] = row.pop("tag_names")
    return rows


def _with_tag_query(rows: list[dict]) -> list[dict]:
    tag_names = {row["id"]: [] for row in rows}
    links = (
        Task.tags.through.objects.filter(task_id__in=tag_names)
        .order_by("tag__name")
        .values_list("task_id", "tag__name")
    )
    for task_id, name in links:
        tag_names[task_id].append(name)
    for row in rows:
        row["tags"] = tag_names[row["id"]]
    return rows


def task_row_of(task: Task, *, tags: list[str]) -> dict:
    """A task in hand as a task_rows dict, with the tag names the caller knows it has."""
    return {**{field: getattr(task, field) for field in TASK_ROW_FIELDS}, "tags": tags}


def task_row(*, user: User, pk) -> dict:
    """task_get as a task_rows dict (no model instance); 404 likewise."""
    rows = task_rows(Task.objects.filter(owner=user, pk=pk))
    if not rows:
        raise Http404("No Task matches the given query.")
    return rows[0]


def task_get(*, user: User, pk) -> Task:
    """One of the user's tasks, archived or not; anyone else's is a 404, like a missing one."""
    return get_object_or_404(_tasks(user), pk=pk)


def task_choices(*, user: User) -> QuerySet[Task]:
    """The user's tasks, by title, with only what a select needs (no one else's can be picked)."""
    return Task.objects.filter(owner=user).only("id", "owner_id", "title").order_by("title", "id")


def task_titles_matching(*, user: User, text: str, exact: bool, limit: int) -> list[Task]:
    """Up to `limit` of the user's tasks titled `text` (`exact`, any case) or holding it."""
    lookup = "title__iexact" if exact else "title__icontains"
    return list(task_choices(user=user).filter(**{lookup: text})[:limit])


def task_stats(*, user: User) -> dict:
    """Counts by status and priority, overdue, due today and due this week.

    Archived tasks are left out. "Today" is the current time zone's (the user's, activated by
    core.http.middleware).
    """
    today = timezone.localdate()
    open_tasks = ~Q(status=Task.Status.DONE)
    figures = Task.objects.filter(owner=user, archived_at__isnull=True).aggregate(
        total=Count("id"),
        **{f"status_{s.value}": Count("id", filter=Q(status=s)) for s in Task.Status},
        **{f"priority_{p.name.lower()}": Count("id", filter=Q(priority=p)) for p in Task.Priority},
        overdue=Count("id", filter=open_tasks & Q(due_date__lt=today)),
        due_today=Count("id", filter=open_tasks & Q(due_date=today)),
        due_this_week=Count(
            "id", filter=open_tasks & Q(due_date__gte=today, due_date__lte=today + timedelta(6))
        ),
    )
    return {
        "total": figures["total"],
        "by_status": {s.value: figures[f"status_{s.value}"] for s in Task.Status},
        "by_priority": {
            p.name.lower(): figures[f"priority_{p.name.lower()}"] for p in Task.Priority
        },
        "overdue": figures["overdue"],
        "due_today": figures["due_today"],
        "due_this_week": figures["due_this_week"],
    }


def task_dashboard(*, user: User, days: int) -> dict:
    """The dashboard's figures: task_stats, completions per day (`days`) and the recently
    completed tasks (as dicts of pk, title, completed_at)."""
    recent = task_recently_completed(user=user).values("pk", "title", "completed_at")
    return {
        "stats": task_stats(user=user),
        "completions": task_completions_per_day(user=user, days=days),
        "recent": list(recent),
    }


def task_completions_per_day(*, user: User, days: int = 14) -> list[tuple]:
    """(date, count) for each of the last `days` days, oldest first, zeros included."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(timezone.datetime.combine(first, timezone.datetime.min.time()))
    rows = (
        Task.objects.filter(owner=user, status=Task.Status.DONE, completed_at__gte=start)
        .annotate(day=TruncDate("completed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("id"))
        .order_by()
    )
    per_day = {row["day"]: row["count"] for row in rows}
    return [(first + timedelta(n), per_day.get(first + timedelta(n), 0)) for n in range(days)]


def task_recently_completed(*, user: User, limit: int = 5) -> QuerySet[Task]:
    """The user's last completed tasks, newest first, archived ones left out."""
    return (
        Task.objects.filter(owner=user, status=Task.Status.DONE, archived_at__isnull=True)
        .order_by("-completed_at")
        .only("id", "title", "completed_at")[:limit]
    )


# --- daily reminders (tasks.jobs.send_daily_reminders) -------------------------------


def _due_for_reminder(today: date) -> QuerySet[Task]:
    return Task.objects.filter(due_date__lte=today, archived_at__isnull=True).exclude(
        status=Task.Status.DONE
    )


def reminder_recipients(*, now: datetime) -> list[tuple[User, date]]:
    """(user, their local date) for each user to remind at `now`.

    Active users with a verified address who opted in, whose local time is in the
    REMINDER_HOUR, who have open tasks due that day or overdue and no reminder for it yet.
    """
    opted_in = User.objects.filter(
        daily_reminder=True, is_active=True, email_verified_at__isnull=False
    )
    recipients = []
    for zone_name in opted_in.order_by().values_list("timezone", flat=True).distinct():
        try:
            local = now.astimezone(zoneinfo.ZoneInfo(zone_name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.warning("Skipping reminders for an unknown time zone: %r", zone_name)
            continue
        if local.hour != settings.REMINDER_HOUR:
            continue
        today = local.date()
        users = (
            opted_in.filter(timezone=zone_name)
            .filter(Exists(_due_for_reminder(today).filter(owner=OuterRef("pk"))))
            .exclude(Exists(ReminderLog.objects.filter(user=OuterRef("pk"), local_date=today)))
            .order_by("pk")
        )
        recipients += [(user, today) for user in users]
    return recipients


def task_due_for_reminder(*, user: User, today: date) -> QuerySet[Task]:
    """The user's open tasks due `today` or before, not archived: most overdue first."""
    return (
        _due_for_reminder(today)
        .filter(owner=user)
        .only("id", "title", "due_date", "priority")
        .order_by("due_date", "-priority", "id")
    )


def tag_list(*, user: User) -> QuerySet[Tag]:
    """The user's tags by name, with how many tasks and notes use each."""
    # Explicit order: Meta.ordering does not apply to a GROUP BY query, and pages need one.
    return (
        Tag.objects.filter(owner=user)
        .annotate(
            task_count=Count("tasks", distinct=True), note_count=Count("notes", distinct=True)
        )
        .order_by("name", "id")
    )


def tag_get(*, user: User, pk) -> Tag:
    """One of the user's tags (404 otherwise)."""
    return get_object_or_404(Tag.objects.filter(owner=user), pk=pk)


def note_list(*, user: User, filters=None) -> QuerySet[Note]:
    """The user's notes, newest first, narrowed by NoteFilter's fields."""
    queryset = (
        Note.objects.filter(owner=user)
        .select_related("task")
        .only(*NOTE_LIST_FIELDS)
        .prefetch_related(TAGS_BY_NAME)
    )
    return _filtered(NoteFilter, filters, queryset)


NOTE_LIST_FIELDS = (
    "id",
    "owner_id",
    "title",
    "body",
    "created_at",
    "updated_at",
    "version",
    "task__id",
    "task__title",
)


def note_get(*, user: User, pk) -> Note:
    """One of the user's notes (404 otherwise)."""
    return get_object_or_404(note_list(user=user), pk=pk)


# --- export and calendar feed -------------------------------------------------------


def task_export(*, user: User) -> QuerySet[Task]:
    """Every task of the user, archived ones too, oldest first, with tag names."""
    return (
        Task.objects.filter(owner=user)
        .defer("search_vector")
        .order_by("id")
        .prefetch_related(TAGS_BY_NAME)
    )


def note_export(*, user: User) -> QuerySet[Note]:
    """Every note of the user, oldest first, with its task's id and tag names."""
    return Note.objects.filter(owner=user).order_by("id").prefetch_related(TAGS_BY_NAME)


def data_job_get(*, user: User, pk) -> DataJob:
    """One of the user's import or export jobs (404 otherwise, a malformed id too)."""
    try:
        return get_object_or_404(DataJob, owner=user, pk=pk)
    except ValidationError:  # not a UUID
        raise Http404 from None


def data_jobs_recent(*, user: User, kind: str, limit: int = 5) -> QuerySet[DataJob]:
    """The user's latest jobs of a kind, newest first."""
    return DataJob.objects.filter(owner=user, kind=kind).order_by("-created_at")[:limit]


def calendar_owner(*, token: str) -> User:
    """The active user whose calendar feed secret this is; anything else is a 404."""
    return get_object_or_404(User.objects.only("id"), calendar_token=token, is_active=True)


def task_calendar(*, user: User) -> QuerySet[Task]:
    """The user's tasks with a due date that are not archived, by due date."""
    return (
        Task.objects.filter(owner=user, due_date__isnull=False, archived_at__isnull=True)
        .defer("search_vector")
        .order_by("due_date", "id")
        .prefetch_related(TAGS_BY_NAME)
    )
