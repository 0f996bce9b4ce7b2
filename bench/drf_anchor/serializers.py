from rest_framework import serializers

from tasks.models import Task


class TaskSerializer(serializers.ModelSerializer):
    """The product's task fields, by DRF's defaults (priority as its stored number)."""

    tags = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "status",
            "priority",
            "due_date",
            "tags",
            "created_at",
            "updated_at",
            "completed_at",
            "archived_at",
            "version",
        ]
