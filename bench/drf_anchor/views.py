from django.http import JsonResponse
from rest_framework import viewsets

from bench.drf_anchor.serializers import TaskSerializer
from tasks.models import Task


class TaskViewSet(viewsets.ModelViewSet):
    """The caller's tasks, newest first, as DRF's documentation would write it."""

    serializer_class = TaskSerializer

    def get_queryset(self):
        # The rows the product lists: archived tasks are hidden there unless asked for.
        return (
            Task.objects.filter(owner=self.request.user, archived_at__isnull=True)
            .order_by("-created_at", "-id")
            .prefetch_related("tags")
        )

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


def health(request):
    """What bench/run.py polls before it starts measuring."""
    return JsonResponse({"status": "ok"})
