"""The records of an export file: what tasks.exchange writes and the schema documents.

Apart from tasks.api.serializers, which imports tasks.exchange: exchange imports these.
"""

from datetime import UTC

from rest_framework import serializers

from core.api.serializers import DirectSerializer
from tasks.models import Task

PRIORITY_NAMES = [priority.name.lower() for priority in Task.Priority]


class UtcDateTimeField(serializers.DateTimeField):
    """Always in UTC as +00:00, whoever exports: the version 1 file format."""

    def to_representation(self, value):
        return value.astimezone(UTC).isoformat()


class TagNameListField(serializers.ListField):
    """The names of a task's or note's (prefetched) tags."""

    child = serializers.CharField()

    def to_representation(self, value):
        return [tag.name for tag in value.all()]


class ExportTaskSerializer(DirectSerializer):
    """A task in an export file (the CSV has the same columns)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    status = serializers.ChoiceField(choices=Task.Status.choices)
    priority = serializers.ChoiceField(choices=PRIORITY_NAMES, source="priority_name")
    due_date = serializers.DateField(allow_null=True)
    tags = TagNameListField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
    completed_at = UtcDateTimeField(allow_null=True)
    archived_at = UtcDateTimeField(allow_null=True)


class ExportNoteSerializer(DirectSerializer):
    """A note in an export file; `task_id` is the `id` of a task in the same file."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    task_id = serializers.IntegerField(allow_null=True)
    tags = TagNameListField()
    created_at = UtcDateTimeField()
    updated_at = UtcDateTimeField()
