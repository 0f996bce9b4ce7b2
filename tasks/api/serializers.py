"""Shapes of the tasks API; every rule lives in tasks.services.

Output serializers name every field they show (all read-only, so the schema marks them
required). Input serializers only check shape; their field names are the keyword arguments
of the service the view calls with `validated_data`. Input defaults apply on POST and PUT
(a PUT replaces the whole object), never on PATCH.
"""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.fields import StringField
from core.api.serializers import DirectSerializer, EveryFieldRequired
from tasks import datajobs, exchange, selectors, services
from tasks.api.exports import ExportNoteSerializer, ExportTaskSerializer
from tasks.models import MAX_TAGS_PER_ITEM, DataJob, Task

PRIORITY_NAMES = {priority.value: priority.name.lower() for priority in Task.Priority}


class PriorityField(serializers.ChoiceField):
    """Priority by name (low, medium, high); the service takes Task.Priority's number."""

    def __init__(self, **kwargs):
        super().__init__(choices=list(PRIORITY_NAMES.values()), **kwargs)

    def to_internal_value(self, data):
        return Task.Priority[super().to_internal_value(data).upper()]

    def to_representation(self, value):
        return PRIORITY_NAMES[value]


class TagNamesField(serializers.ListField):
    """Tags as a list of names; on input the service creates the missing ones."""

    child = StringField(max_length=50)

    def to_representation(self, value):
        if isinstance(value, list):  # a selectors.task_rows dict carries the names already
            return value
        # The tags manager: .all() reads the selector's prefetch, no query per row.
        return [tag.name for tag in value.all()]


class OwnTaskField(serializers.PrimaryKeyRelatedField):
    """The id of one of the caller's tasks; anyone else's is as unknown as a missing one."""

    default_error_messages = {"does_not_exist": "Choose one of your own tasks."}

    def __init__(self, **kwargs):
        super().__init__(pk_field=serializers.IntegerField(), **kwargs)

    def get_queryset(self):
        # Archived tasks too: a note may stay with its task once that is archived.
        return selectors.task_choices(user=self.context["request"].user)


class TaskSerializer(DirectSerializer):  # reads a model or a selectors.task_rows dict
    """A task as the API returns it."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=Task.Status.choices, read_only=True)
    priority = PriorityField(read_only=True)
    due_date = serializers.DateField(read_only=True, allow_null=True)
    tags = TagNamesField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    completed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    archived_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text="When the nightly job archived the task (done long ago); null otherwise.",
    )
    version = serializers.IntegerField(
        read_only=True, help_text='Bumped by every write; the ETag is `"<id>-<version>"`.'
    )


@extend_schema_serializer(component_name="Task")  # documented as TaskRequest
class TaskInputSerializer(serializers.Serializer):
    """The arguments of services.task_create and task_update."""

    title = StringField(max_length=200)
    description = StringField(max_length=10_000, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=Task.Status.choices, default=Task.Status.TODO)
    priority = PriorityField(default=Task.Priority.MEDIUM)
    due_date = serializers.DateField(allow_null=True, default=None)
    tags = TagNamesField(max_length=MAX_TAGS_PER_ITEM, default=list)


@extend_schema_serializer(component_name="TaskReplace")
class TaskReplaceSerializer(EveryFieldRequired, TaskInputSerializer):
    """PUT's input: every writable field of the task (none defaults)."""


class NoteSerializer(serializers.Serializer):
    """A note as the API returns it; `task` is the id of the task it belongs to."""

    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    task = serializers.IntegerField(source="task_id", read_only=True, allow_null=True)
    tags = TagNamesField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


@extend_schema_serializer(component_name="Note")  # documented as NoteRequest
class NoteInputSerializer(serializers.Serializer):
    """The arguments of services.note_create and note_update."""

    title = StringField(max_length=200)
    body = StringField(max_length=50_000, allow_blank=True, default="")
    task = OwnTaskField(allow_null=True, default=None)
    tags = TagNamesField(max_length=MAX_TAGS_PER_ITEM, default=list)


@extend_schema_serializer(component_name="NoteReplace")
class NoteReplaceSerializer(EveryFieldRequired, NoteInputSerializer):
    """PUT's input: every writable field of the note (none defaults)."""


class TagSerializer(serializers.Serializer):
    """A tag with how many of the caller's tasks and notes carry it."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    task_count = serializers.IntegerField(read_only=True)
    note_count = serializers.IntegerField(read_only=True)


@extend_schema_serializer(component_name="Tag")  # documented as TagRequest
class TagInputSerializer(serializers.Serializer):
    """The argument of services.tag_create and tag_rename."""

    name = StringField(max_length=50)


class StatusCountsSerializer(serializers.Serializer):
    todo = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()


class PriorityCountsSerializer(serializers.Serializer):
    low = serializers.IntegerField()
    medium = serializers.IntegerField()
    high = serializers.IntegerField()


class TaskStatsSerializer(serializers.Serializer):
    """The dashboard figures, archived tasks left out; "open" means not done, and "today" is
    the caller's, in their time zone (`timezone` on /auth/me/)."""

    total = serializers.IntegerField()
    by_status = StatusCountsSerializer()
    by_priority = PriorityCountsSerializer()
    overdue = serializers.IntegerField(help_text="Open tasks due before today.")
    due_today = serializers.IntegerField(help_text="Open tasks due today.")
    due_this_week = serializers.IntegerField(help_text="Open tasks due today or in 6 days.")


# --- data export, import and the calendar feed ----------------------------------------


class DataExportSerializer(serializers.Serializer):
    """What to export: the file type."""

    format = serializers.ChoiceField(choices=exchange.FORMATS, default="json")


class ExportSerializer(serializers.Serializer):
    """The JSON export (version 1); POST /api/v1/import/ takes it back."""

    version = serializers.IntegerField()
    exported_at = serializers.DateTimeField()
    tasks = ExportTaskSerializer(many=True)
    notes = ExportNoteSerializer(many=True)


@extend_schema_serializer(component_name="Import")  # documented as ImportRequest
class ImportRequestSerializer(serializers.Serializer):
    """An export file to add to the caller's tasks and notes."""

    file = serializers.FileField(help_text="JSON or CSV, as the export writes it.")
    format = serializers.ChoiceField(
        choices=exchange.FORMATS,
        required=False,
        help_text="By default, from the file name's extension, else from its content.",
    )
    existing = serializers.ChoiceField(
        choices=services.EXISTING_CHOICES,
        default="skip",
        help_text="Rows whose id is one of your tasks or notes (an export of this account): "
        "`skip` them, `update` the stored ones (unchanged ones are left as they are), or "
        "`add` them as copies.",
    )


class ImportResultSerializer(serializers.Serializer):
    """What the import did: tasks and notes added, updated, unchanged and skipped."""

    tasks = serializers.IntegerField(help_text="Tasks added.")
    notes = serializers.IntegerField(help_text="Notes added.")
    updated_tasks = serializers.IntegerField()
    updated_notes = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="Rows equal to the task or note stored.")
    skipped = serializers.IntegerField(help_text="Rows left out (`existing=skip`).")


class ImportRowErrorSerializer(serializers.Serializer):
    """One invalid row: CSV row number (header = 1), or JSON position in its list (from 1)."""

    row = serializers.IntegerField()
    kind = serializers.CharField(help_text="task or note")
    title = serializers.CharField(allow_null=True, help_text="The row's title, if it has one.")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ImportErrorSerializer(serializers.Serializer):
    """Why nothing was imported: the file (code `invalid_file`, `file_too_large`) or rows
    (code `invalid_rows`, with the first 1,000 invalid rows in `rows` and their number in
    `invalid_count`)."""

    detail = serializers.CharField()
    code = serializers.CharField()
    invalid_count = serializers.IntegerField(required=False)
    rows = ImportRowErrorSerializer(many=True, required=False)


class ExportResultSerializer(serializers.Serializer):
    """What the export file holds."""

    tasks = serializers.IntegerField()
    notes = serializers.IntegerField()
    bytes = serializers.IntegerField(help_text="The file's size.")


class ProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField(help_text="0 until it is known.")


class DataJobSerializer(serializers.Serializer):
    """An import or export running in the background. Poll `url` until `status` is `done`
    or `failed`; a done export is downloaded from `download_url` until `expires_at`."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=DataJob.Kind.choices)
    format = serializers.ChoiceField(choices=exchange.FORMATS)
    status = serializers.ChoiceField(choices=DataJob.Status.choices)
    progress = serializers.SerializerMethodField()
    result = serializers.SerializerMethodField(
        help_text="When done: an import's counts (ImportResult) or an export's (ExportResult)."
    )
    error = serializers.SerializerMethodField(help_text="When failed: why (ImportError).")
    url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="A done export: its file is deleted after this time."
    )

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, job) -> dict:
        return datajobs.progress(job)

    @extend_schema_field(
        {
            "nullable": True,
            "oneOf": [
                {"$ref": "#/components/schemas/ImportResult"},
                {"$ref": "#/components/schemas/ExportResult"},
            ],
        }
    )
    def get_result(self, job):
        return job.result if job.status == DataJob.Status.DONE else None

    @extend_schema_field(ImportErrorSerializer(allow_null=True))
    def get_error(self, job):
        return job.result if job.status == DataJob.Status.FAILED else None

    def get_url(self, job) -> str:
        return self._absolute("tasks-api:data-job", job)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_download_url(self, job) -> str | None:
        return self._absolute("tasks-api:data-job-download", job) if job.downloadable else None

    def _absolute(self, name: str, job) -> str:
        path = reverse(name, kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class CalendarLinkSerializer(serializers.Serializer):
    """The private calendar feed of the caller's tasks with a due date (no login needed)."""

    url = serializers.URLField()
    webcal_url = serializers.CharField(help_text="The same feed as webcal://, for calendar apps.")
