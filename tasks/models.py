import uuid

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

# How many tags one task or note may carry: pages, API and import alike.
MAX_TAGS_PER_ITEM = 50


class Tag(models.Model):
    """A label a user puts on tasks and notes; names are unique per owner, ignoring case."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tags"
    )
    name = models.CharField(max_length=50)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "owner",
                Lower("name"),
                name="tasks_tag_owner_name_ci_unique",
                violation_error_message="You already have a tag with this name.",
            ),
        ]

    def __str__(self):
        return self.name


class Versioned(models.Model):
    """An object whose every change makes a new `version`: clients send the version they
    saw (If-Match, a form's expected_version), and a stale one is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    @property
    def etag(self) -> str:
        return self.etag_of(self.pk, self.version)

    @staticmethod
    def etag_of(pk: int, version: int) -> str:
        return f'"{pk}-{version}"'


class Task(Versioned):
    class Status(models.TextChoices):
        TODO = "todo", "To do"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"

    class Priority(models.IntegerChoices):
        # Stored as numbers so "order by priority" is an index scan, not a CASE expression.
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tasks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, validators=[MaxLengthValidator(10_000)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.TODO)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    due_date = models.DateField(null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="tasks")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Done tasks are archived after a while (a nightly job); hidden unless asked for.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Maintained by a PostgreSQL trigger (migration 0002); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at", "-id"], name="task_owner_created"),
            # The default list's order over the tasks it shows: a deep page finds its ids
            # in this index alone (an index-only scan), not by reading every row it skips.
            models.Index(
                fields=["owner", "-created_at", "-id"],
                name="task_owner_current",
                condition=models.Q(archived_at__isnull=True),
            ),
            models.Index(fields=["owner", "-updated_at", "-id"], name="task_owner_updated"),
            models.Index(fields=["owner", "due_date", "-id"], name="task_owner_due"),
            # ordering=-due_date (latest first, no date still last) has task_owner_due_desc,
            # PostgreSQL only (SQLite has no NULLS LAST in an index): migration 0005.
            models.Index(fields=["owner", "-priority", "-id"], name="task_owner_priority"),
            models.Index(fields=["owner", "status", "-created_at"], name="task_owner_status"),
            models.Index(fields=["owner", "-completed_at"], name="task_owner_completed"),
            models.Index(fields=["owner", "archived_at"], name="task_owner_archived"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_done(self) -> bool:
        return self.status == self.Status.DONE

    @property
    def is_overdue(self) -> bool:
        return bool(self.due_date and not self.is_done and self.due_date < timezone.localdate())

    @property
    def priority_name(self) -> str:
        """The API and URL spelling of the priority: low, medium or high."""
        return self.Priority(self.priority).name.lower()


class Note(Versioned):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, validators=[MaxLengthValidator(50_000)])
    task = models.ForeignKey(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="notes"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="notes")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-updated_at", "-id"], name="note_owner_updated"),
        ]

    def __str__(self):
        return self.title


class ReminderLog(models.Model):
    """A daily reminder sent: one per user and local date, so a second run sends nothing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    local_date = models.DateField(help_text="The day of the reminder, in the user's time zone.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "local_date"], name="tasks_reminder_once_a_day"
            ),
        ]

    def __str__(self):
        return f"Reminder to {self.user_id} for {self.local_date}"


class TaskCounts(models.Model):
    """How many tasks an owner has in each bucket, kept in the writes' own statements.

    A list's total comes from here, not from a COUNT(*) over the owner's rows (tens of ms
    for 100,000 tasks, and a cached count would be retired by every write). Database
    triggers (migration 0007) keep it exact for every write, bulk and raw ones included.
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="task_counts",
    )
    # Tasks not archived, by status; archived tasks (done ones only) in one bucket.
    todo = models.PositiveIntegerField(default=0)
    in_progress = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)

    BUCKETS = ("todo", "in_progress", "done", "archived")

    def __str__(self):
        return f"Task counts of {self.owner_id}"

    @property
    def current(self) -> int:
        """Tasks the list shows by default: every one not archived."""
        return self.todo + self.in_progress + self.done


def data_storage():
    """Where import uploads and export files live: STORAGES["data"] (see settings)."""
    from django.core.files.storage import storages

    return storages["data"]


class DataJob(models.Model):
    """An import or export run by a background job: its state, progress and outcome.

    The id is random, so a job's URL cannot be guessed; only its owner sees it. `file` is
    the uploaded file of an import (deleted once it has run) or the written export (kept
    until `expires_at`, then deleted by tasks.jobs.prune_data_jobs).
    """

    class Kind(models.TextChoices):
        IMPORT = "import", "Import"
        EXPORT = "export", "Export"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    FINISHED = (Status.DONE, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_jobs"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices)
    format = models.CharField(max_length=4, choices=[("json", "JSON"), ("csv", "CSV")])
    existing = models.CharField(max_length=6, blank=True, help_text="Imports: skip|update|add.")
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.QUEUED)
    file = models.FileField(storage=data_storage, upload_to="data-jobs/", blank=True)
    file_name = models.CharField(max_length=255, blank=True, help_text="As the user knows it.")
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Rows read or written.")
    # An import's counts (services.ImportResult), or a failure's {detail, code, rows?}.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="The export's download.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="tasks_datajob_owner_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def downloadable(self) -> bool:
        return (
            self.kind == self.Kind.EXPORT
            and self.status == self.Status.DONE
            and bool(self.file)
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )
