"""Export and import through the API, as background jobs (tasks.datajobs).

POST /export/ or /import/ answers 202 with the job (Location: its URL); GET the job until
it is done or failed; a done export's file is at its download URL until it expires.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import BAD_REQUEST, NOT_FOUND, UNAUTHORIZED, ErrorSerializer
from tasks import datajobs, exchange, selectors
from tasks.api import serializers

ACCEPTED = OpenApiResponse(
    serializers.DataJobSerializer,
    description="Queued (or, asked again while the same export runs, that export). "
    "Location is the job's URL: poll it until `status` is `done` or `failed`.",
)
LOCATION = OpenApiParameter(
    "Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[202],
    description="The job's URL.",
)  # fmt: skip
# Any text routes to the views, so that authentication comes before the lookup (a
# malformed id is then a 404 like a missing one); the schema says what an id is.
JOB_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)
CONTENT_DISPOSITION = OpenApiParameter(
    "Content-Disposition", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description='`attachment; filename="taskflow-export-YYYY-MM-DD.json"` (or `.csv`).',
)  # fmt: skip
IMPORT_BAD_REQUEST = OpenApiResponse(
    # anyOf, not oneOf (all PolymorphicProxySerializer can say): FieldErrors admits any other
    # key, so every ImportError body matches both and would fail a oneOf.
    {
        "anyOf": [
            {"$ref": "#/components/schemas/ImportError"},
            {"$ref": "#/components/schemas/FieldErrors"},
        ]
    },
    description="Nothing was queued: no file, an empty file, or one that is not UTF-8. "
    "What the rows hold is checked by the job (its `error`).",
)
FILE_TOO_LARGE = OpenApiResponse(
    serializers.ImportErrorSerializer,
    description="The file is larger than the IMPORT_MAX_BYTES setting (5 MiB by default).",
)
IMPORT_RUNNING = OpenApiResponse(
    serializers.ImportErrorSerializer,
    description="`import_running`: your previous import has not finished yet.",
)


def _accepted(request, job) -> Response:
    body = serializers.DataJobSerializer(job, context={"request": request}).data
    return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


def _refused(error) -> Response:
    retry_after = getattr(error, "retry_after", None)  # a JobRefused's; a file's has none
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return Response({"detail": error.message, "code": error.code}, error.status, headers=headers)


class DataExportView(APIView):
    """Queues an export of every task and note of the caller."""

    parser_classes = [JSONParser]

    @extend_schema(
        tags=["data"],
        operation_id="data_export",
        summary="Export tasks and notes",
        request=serializers.DataExportSerializer,
        responses={202: ACCEPTED, 400: BAD_REQUEST, 401: UNAUTHORIZED},
        parameters=[LOCATION],
    )
    def post(self, request):
        """Export all tasks (archived ones too) and notes as one JSON or CSV file, to keep or
        to import again. The file is written in the background; the job says when it is
        ready."""
        data = serializers.DataExportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = datajobs.export_start(owner=request.user, fmt=data.validated_data["format"])
        except datajobs.JobRefused as error:
            return _refused(error)
        return _accepted(request, job)


class DataImportView(APIView):
    """Queues the import of an export file's tasks and notes, all or nothing."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["data"],
        operation_id="data_import",
        summary="Import tasks and notes",
        request={"multipart/form-data": serializers.ImportRequestSerializer},
        responses={
            202: ACCEPTED,
            400: IMPORT_BAD_REQUEST,
            401: UNAUTHORIZED,
            409: IMPORT_RUNNING,
            413: FILE_TOO_LARGE,
        },
        parameters=[LOCATION],
    )
    def post(self, request):
        """Import a JSON or CSV export in the background. If any row is invalid nothing is
        imported, and the job's `error` lists the rows."""
        if exchange.declared_too_large(request):  # refused before the body is read
            return _refused(exchange.too_large())
        data = serializers.ImportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            job = datajobs.import_start(
                owner=request.user,
                upload=data.validated_data["file"],
                fmt=data.validated_data.get("format"),
                existing=data.validated_data["existing"],
            )
        except (exchange.ImportFileError, datajobs.JobRefused) as error:
            return _refused(error)
        return _accepted(request, job)


class DataJobView(APIView):
    """One of the caller's imports or exports."""

    @extend_schema(
        tags=["data"],
        operation_id="data_job",
        summary="An import's or export's progress",
        parameters=[JOB_ID],
        responses={200: serializers.DataJobSerializer, 401: UNAUTHORIZED, 404: NOT_FOUND},
    )
    def get(self, request, pk):
        """Status, progress (rows done of total) and, once finished, the result or error."""
        job = selectors.data_job_get(user=request.user, pk=pk)
        return Response(serializers.DataJobSerializer(job, context={"request": request}).data)


class FileTypeNegotiation(DefaultContentNegotiation):
    """Errors in JSON whatever Accept says: the download is a file, not a DRF rendering."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class DataJobDownloadView(APIView):
    """A done export's file."""

    content_negotiation_class = FileTypeNegotiation

    @extend_schema(
        tags=["data"],
        operation_id="data_job_download",
        summary="Download an export",
        parameters=[JOB_ID, CONTENT_DISPOSITION],
        responses={
            (200, "application/json"): OpenApiResponse(
                serializers.ExportSerializer,
                description="All tasks (archived ones too) and notes. The CSV holds one row "
                "per task or note: kind, id, title, description, body, status, priority, "
                "due_date, tags (comma-separated, CSV-quoted names), task_id, created_at, "
                "updated_at, completed_at, archived_at.",
            ),
            (200, "text/csv"): OpenApiTypes.STR,
            401: UNAUTHORIZED,
            404: OpenApiResponse(
                ErrorSerializer,
                description="No such export of yours, not done yet, or expired.",
            ),
        },
    )
    def get(self, request, pk):
        """The export file, until the job's `expires_at`."""
        job = selectors.data_job_get(user=request.user, pk=pk)
        if not job.downloadable:
            body = {"detail": "This export is not ready, or it has expired.", "code": "not_found"}
            return Response(body, status=status.HTTP_404_NOT_FOUND)
        return datajobs.download_response(job)
