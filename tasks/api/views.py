"""Tasks API: tasks (with ETags and If-Match), notes, tags and the dashboard figures.

Rows come from tasks.selectors (always scoped to the caller, so anyone else's object is a
404) and every write goes through tasks.services.
"""

from django.core.exceptions import ValidationError
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from accounts.api.bearer import OneRoundTrip
from core.api.pagination import CursorPagination
from core.api.schema import (
    BAD_REQUEST,
    NOT_FOUND,
    UNAUTHORIZED,
    FieldErrorsSerializer,
    SelectorFilterBackend,
)
from core.http.middleware import activate_user_timezone
from tasks import cache, calendar, selectors, services
from tasks.api import serializers
from tasks.api.versions import (
    ETAG_HEADER,
    IF_MATCH,
    IF_NONE_MATCH,
    NOT_MODIFIED,
    PRECONDITION_FAILED,
    VersionedWrites,
)
from tasks.filters import NoteFilter, TaskFilter
from tasks.models import Note, Tag, Task


def versioned_schema(item) -> dict:
    """owned_schema's overrides for objects with ETags (tasks.api.versions)."""
    read = {200: item, 401: UNAUTHORIZED, 404: NOT_FOUND}
    write = {
        "parameters": [IF_MATCH, ETAG_HEADER],
        "responses": {**read, 400: BAD_REQUEST, 412: PRECONDITION_FAILED},
    }
    return {
        "create": {"parameters": [ETAG_HEADER]},
        "retrieve": {
            "parameters": [IF_NONE_MATCH, ETAG_HEADER],
            "responses": {**read, 304: NOT_MODIFIED},
        },
        "update": write,
        "partial_update": write,
        "destroy": {
            "parameters": [IF_MATCH, ETAG_HEADER],
            "responses": {204: None, 401: UNAUTHORIZED, 404: NOT_FOUND, 412: PRECONDITION_FAILED},
        },
    }


CONDITIONAL_ACTION = {
    "request": None,
    "parameters": [IF_MATCH, ETAG_HEADER],
    "responses": {
        200: serializers.TaskSerializer,
        401: UNAUTHORIZED,
        404: NOT_FOUND,
        412: PRECONDITION_FAILED,
    },
}


class OwnedViewSet(OneRoundTrip, mixins.ListModelMixin, viewsets.GenericViewSet):
    """CRUD on the caller's objects: a selector reads them, services write them.

    `serializer_class` shapes the output, `input_serializer_class` checks the input, whose
    validated data subclasses hand to a service in create_object, update_object and
    delete_object.
    """

    input_serializer_class: type[BaseSerializer]
    filter_backends = [SelectorFilterBackend]  # documents `filterset_class`, if any
    lookup_value_regex = "[0-9]+"  # anything else in the id position is a 404, no query

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # OneRoundTrip: a bearer GET's reads
        # DRF authenticates here, after the middleware: "today" is the caller's from now on.
        activate_user_timezone(request.user)

    def create(self, request):
        obj = self.create_object(self.validated_input())
        location = reverse(f"tasks-api:{self.basename}-detail", args=[obj.pk])
        headers = {"Location": request.build_absolute_uri(location)}
        return self.object_response(obj, status.HTTP_201_CREATED, headers)

    def retrieve(self, request, pk):
        return self.object_response(self.get_object())

    def update(self, request, pk, partial=False):
        obj = self.get_object()
        data = self.validated_input(partial, replace=not partial)
        return self.object_response(self.update_object(obj, data))

    def partial_update(self, request, pk):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk):
        self.delete_object(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def validated_input(self, partial: bool = False, *, replace: bool = False) -> dict:
        """The request body, checked for shape; defaults apply unless `partial` (PATCH).

        `replace` (PUT) checks it with `replace_serializer_class`, which needs every
        writable field: a missing one would otherwise be reset to its default. A field the
        API does not know is refused by name; the read-only fields of the answer may come
        back (a client sends what it read) and are ignored.
        """
        serializer_class = self.input_serializer_class
        if replace:
            serializer_class = getattr(self, "replace_serializer_class", serializer_class)
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        errors = {}
        if isinstance(self.request.data, dict):
            known = set(serializer.fields) | set(self.get_serializer().fields)
            unknown = set(self.request.data) - known
            errors = {name: ["This field is not known."] for name in unknown}
        if not serializer.is_valid():
            errors = {**serializer.errors, **errors}
        if errors:
            raise exceptions.ValidationError(dict(sorted(errors.items())))
        return serializer.validated_data

    def object_response(self, obj, status_code=status.HTTP_200_OK, headers=None) -> Response:
        return Response(self.get_serializer(obj).data, status=status_code, headers=headers)


# A list's 400 also covers a page past the last one and a cursor it did not issue
# (core.api.pagination): 404 is for objects only.
BAD_LIST_QUERY = OpenApiResponse(
    FieldErrorsSerializer,
    description="Invalid filters or page_size, a page past the last one, or a cursor this "
    "API did not issue.",
)


def owned_schema(tag: str, item, request, replace=None, **overrides):
    """The schema of an OwnedViewSet whose objects `item` shows and `request` takes
    (`replace` for PUT, if it has its own)."""
    read = {401: UNAUTHORIZED, 404: NOT_FOUND}
    write = {200: item, 400: BAD_REQUEST, **read}
    listed = {200: item(many=True), 400: BAD_LIST_QUERY, 401: UNAUTHORIZED}
    kind = tag.removesuffix("s")
    operations = {
        "list": {"summary": f"List your {tag}", "responses": listed},
        "create": {
            "summary": f"Create a {kind}",
            "request": request,
            "responses": {201: item, 400: BAD_REQUEST, 401: UNAUTHORIZED},
        },
        "retrieve": {"summary": f"Read one {kind}", "responses": {200: item, **read}},
        "update": {
            "summary": f"Replace a {kind}: every writable field",
            "request": replace or request,
            "responses": write,
        },
        "partial_update": {
            "summary": f"Change the fields of a {kind} that the body names",
            "request": request,
            "responses": write,
        },
        "destroy": {"summary": f"Delete a {kind}", "responses": {204: None, **read}},
    }
    for name, changes in overrides.items():
        operations[name] = {**operations.get(name, {}), **changes}
    return extend_schema_view(
        **{name: extend_schema(tags=[tag], **kwargs) for name, kwargs in operations.items()}
    )


# The query parameters a cached list answer may have (tasks.cache): anything else, such as
# a client's cache-buster, is answered but not stored.
LIST_PARAMS = frozenset(TaskFilter.base_filters) | {"page", "page_size", "cursor"}
CURSOR_ORDERINGS = {"-created_at", "created_at", "-updated_at", "updated_at"}
CURSOR = OpenApiParameter(
    "cursor",
    OpenApiTypes.STR,
    description=(
        "Cursor pagination: empty for the first page, then the value from `next` or "
        "`previous`. Sorts by `ordering` if that is created_at or updated_at (either "
        "direction), newest first otherwise. Without it, pages are numbered (`page`)."
    ),
)


def cursor_ordering(request) -> tuple[str, str]:
    """The cursor's sort: `ordering` when the cursor can follow it, else newest first."""
    ordering = request.query_params.get("ordering") or "-created_at"
    if ordering not in CURSOR_ORDERINGS:
        raise ValidationError(
            {"ordering": ["Cursor pages sort by created_at or updated_at; use page numbers."]}
        )
    return (ordering, "-id" if ordering.startswith("-") else "id")


@owned_schema(
    "tasks",
    serializers.TaskSerializer,
    serializers.TaskInputSerializer,
    serializers.TaskReplaceSerializer,
    list={"parameters": [CURSOR]},
    **versioned_schema(serializers.TaskSerializer),
    complete=CONDITIONAL_ACTION,
    reopen=CONDITIONAL_ACTION,
    restore=CONDITIONAL_ACTION,
    stats={"responses": {200: serializers.TaskStatsSerializer, 401: UNAUTHORIZED}},
)
class TaskViewSet(VersionedWrites, OwnedViewSet):
    """The caller's tasks. Each carries an ETag, `"<id>-<version>"`; writes honour If-Match."""

    object_name = "task"

    queryset = Task.objects.none()  # the schema's model; rows always come from tasks.selectors
    serializer_class = serializers.TaskSerializer
    input_serializer_class = serializers.TaskInputSerializer
    replace_serializer_class = serializers.TaskReplaceSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        return selectors.task_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self):
        return selectors.task_get(user=self.request.user, pk=self.kwargs["pk"])

    def list(self, request):
        """The caller's tasks: pages by number (`page`), or by `cursor` (empty to start).

        Both answer {count, next, previous, results}. Cursor pages stay stable while tasks
        are added and sort by `created_at` or `updated_at` (`ordering`, newest first by
        default): for sync, `?cursor=&ordering=updated_at&updated_after=<last sync>`.
        """
        answer = cache.remembered(
            owner_id=request.user.pk,
            kind="answer",
            signature=self.answer_signature(),
            build=self._list_answer,
            found=self.bearer_read and self.bearer_read.found,
        )
        return Response(answer)

    def answer_signature(self) -> tuple | None:
        """What a cached list or detail answer is stored under (None: not to be stored)."""
        request = self.request
        if self.action == "list":
            signature = cache.signature_of(request.query_params, known=LIST_PARAMS)
            return signature and (request.build_absolute_uri(request.path), *signature)
        if self.action == "retrieve" and not request.query_params:
            return (request.build_absolute_uri(),)
        return None

    def bearer_cache_keys(self, user_id):
        """OneRoundTrip: the answer's keys, and a list's count's (read when it is not
        cached)."""
        signature = self.answer_signature()
        if signature is None:
            return []
        keys = cache.entry_keys(owner_id=user_id, kind="answer", signature=signature)
        if self.action == "list":
            counted = cache.count_signature(
                self.request.query_params, counted=selectors.COUNTED_FILTERS
            )
            if counted is not None:  # the generation is already among the keys
                keys += cache.entry_keys(owner_id=user_id, kind="count", signature=counted)[1:]
        return keys

    def _list_answer(self) -> dict:
        request = self.request
        tasks = self.get_queryset()
        count = cache.remembered_count(
            owner_id=request.user.pk,
            filters=request.query_params,
            counted=selectors.COUNTED_FILTERS,
            known=LIST_PARAMS,
            build=lambda: selectors.task_count(
                user=request.user, filters=request.query_params, tasks=tasks
            ),
            found=self.bearer_read and self.bearer_read.found,
        )
        if "cursor" in request.query_params:
            paginator = CursorPagination()
            paginator.ordering = cursor_ordering(request)
            page = paginator.paginate_queryset(tasks, request, view=self)
            results = serializers.TaskSerializer(page, many=True).data
        else:
            paginator = self.paginator
            page = paginator.paginate_counted(tasks, request, count=count)
            size = page.paginator.per_page
            rows = selectors.task_rows(tasks, offset=(page.number - 1) * size, limit=size)
            results = serializers.TaskSerializer(rows, many=True).data
        return {
            "count": count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "results": results,
        }

    def retrieve(self, request, pk):
        """A task; 304 while If-None-Match names its current version."""
        answer = cache.remembered(
            owner_id=request.user.pk,
            kind="answer",
            signature=self.answer_signature(),
            build=lambda: self._detail_answer(pk),
            found=self.bearer_read and self.bearer_read.found,
        )
        not_modified = self.not_modified_response(answer["etag"])
        return not_modified or Response(answer["task"], headers={"ETag": answer["etag"]})

    def _detail_answer(self, pk) -> dict:
        row = selectors.task_row(user=self.request.user, pk=pk)  # a dict: no model, no prefetch
        return {
            "etag": Task.etag_of(row["id"], row["version"]),
            "task": serializers.TaskSerializer(row).data,
        }

    @action(detail=True, methods=["post"])
    def complete(self, request, pk):
        """Mark a task done."""
        return self.object_response(self.versioned_write(services.task_complete, self.get_object()))

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk):
        """Put a done task back to do."""
        return self.object_response(self.versioned_write(services.task_reopen, self.get_object()))

    @action(detail=True, methods=["post"])
    def restore(self, request, pk):
        """Bring an archived task back to the list (`?archived=true` lists archived ones)."""
        return self.object_response(self.versioned_write(services.task_restore, self.get_object()))

    @action(detail=False)
    def stats(self, request):
        """Counts by status and priority, overdue, due today and due in the next 7 days."""
        stats = cache.remembered(
            owner_id=request.user.pk,
            kind="dashboard",
            signature=("stats",),
            build=lambda: selectors.task_stats(user=request.user),
        )
        return Response(stats)

    def create(self, request):
        data = self.validated_input()
        task = services.task_create(owner=request.user, **data)
        location = reverse("tasks-api:task-detail", args=[task.pk])
        headers = {"Location": request.build_absolute_uri(location), "ETag": task.etag}
        # A task created without tags has none: its answer needs no tag query.
        shown = selectors.task_row_of(task, tags=[]) if not data.get("tags") else task
        data = serializers.TaskSerializer(shown).data
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    def update_object(self, task, data):
        # PUT sends every field (defaults fill the gaps): the task is replaced, tags too.
        return self.versioned_write(services.task_update, task, **data)

    def delete_object(self, task):
        self.versioned_write(services.task_delete, task)

    def object_response(self, task, status_code=status.HTTP_200_OK, headers=None):
        headers = {**(headers or {}), "ETag": task.etag}
        return Response(serializers.TaskSerializer(task).data, status=status_code, headers=headers)


@owned_schema(
    "notes",
    serializers.NoteSerializer,
    serializers.NoteInputSerializer,
    serializers.NoteReplaceSerializer,
    **versioned_schema(serializers.NoteSerializer),
)
class NoteViewSet(VersionedWrites, OwnedViewSet):
    """The caller's notes, each optionally attached to one of their tasks. Each carries an
    ETag, `"<id>-<version>"`; writes honour If-Match, as for tasks."""

    object_name = "note"

    queryset = Note.objects.none()  # for the schema only, as on TaskViewSet
    serializer_class = serializers.NoteSerializer
    input_serializer_class = serializers.NoteInputSerializer
    replace_serializer_class = serializers.NoteReplaceSerializer
    filterset_class = NoteFilter

    def get_queryset(self):
        return selectors.note_list(user=self.request.user, filters=self.request.query_params)

    def get_object(self):
        return selectors.note_get(user=self.request.user, pk=self.kwargs["pk"])

    def retrieve(self, request, pk):
        note = self.get_object()
        return self.not_modified_response(note.etag) or self.object_response(note)

    def create_object(self, data):
        return services.note_create(owner=self.request.user, **data)

    def update_object(self, note, data):
        return self.versioned_write(services.note_update, note, **data)

    def delete_object(self, note):
        self.versioned_write(services.note_delete, note)

    def object_response(self, note, status_code=status.HTTP_200_OK, headers=None):
        headers = {**(headers or {}), "ETag": note.etag}
        return super().object_response(note, status_code, headers)


@owned_schema(
    "tags",
    serializers.TagSerializer,
    serializers.TagInputSerializer,
    list={
        "responses": {
            200: serializers.TagSerializer(many=True),
            400: BAD_LIST_QUERY,
            401: UNAUTHORIZED,
        }
    },
)
class TagViewSet(OwnedViewSet):
    """The caller's tags, by name, with how many of their tasks and notes use each."""

    queryset = Tag.objects.none()  # for the schema only, as on TaskViewSet
    serializer_class = serializers.TagSerializer
    input_serializer_class = serializers.TagInputSerializer

    def get_queryset(self):
        return selectors.tag_list(user=self.request.user)

    def create_object(self, data):
        tag = services.tag_create(owner=self.request.user, **data)
        return self.get_queryset().get(pk=tag.pk)  # with its counts (zero)

    def update_object(self, tag, data):
        # A PATCH without a name changes nothing.
        return services.tag_rename(tag=tag, **data) if data else tag

    def delete_object(self, tag):
        services.tag_delete(tag=tag)


# --- calendar feed (data export and import: tasks.api.datajobs) ------------------------


class CalendarLinkView(APIView):
    """The caller's private calendar feed URL."""

    @extend_schema(
        tags=["calendar"],
        operation_id="calendar_link",
        responses={200: serializers.CalendarLinkSerializer, 401: UNAUTHORIZED},
    )
    def get(self, request):
        """The URL of the .ics feed of tasks with a due date; it needs no login."""
        return Response(calendar.feed_links(request, request.user))


class CalendarResetView(APIView):
    """A new calendar feed URL; the old one stops working."""

    @extend_schema(
        tags=["calendar"],
        operation_id="calendar_reset",
        request=None,
        responses={200: serializers.CalendarLinkSerializer, 401: UNAUTHORIZED},
    )
    def post(self, request):
        """Replace the feed's secret: subscribers of the old URL get 404 from now on."""
        services.calendar_token_regenerate(user=request.user)
        return Response(calendar.feed_links(request, request.user))
