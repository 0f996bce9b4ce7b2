"""DRF glue shared by every API app: one translation of domain errors into HTTP."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.http import Http404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.ratelimits import RateLimited


def exception_handler(exc, context):
    """Turn service errors into DRF ones and give every `detail` error a `code`."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_field_messages(exc))
    elif isinstance(exc, Http404):
        # DRF makes the same translation, but only after we could read the code off it.
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, TokenError):
        exc = InvalidToken(str(exc))
    elif isinstance(exc, RateLimited):
        # Sets Retry-After, like DRF's own throttles.
        exc = exceptions.Throttled(wait=exc.retry_after)
    _add_authenticate_header(exc, context)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", _error_code(exc))
    if isinstance(exc, PreconditionFailed):
        response["ETag"] = exc.etag
    return response


class PreconditionFailed(exceptions.APIException):
    """412: the client's If-Match names another version; `etag` is the current one."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it; fetch it and try again."
    default_code = "precondition_failed"

    def __init__(self, detail=None, *, etag: str):
        super().__init__(detail)
        self.etag = etag


def _add_authenticate_header(exc, context) -> None:
    """A 401 must name the auth scheme (WWW-Authenticate). DRF's APIView adds it before
    this handler runs, so an error translated here (TokenError) would go without."""
    if not isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        return
    view, request = context.get("view"), context.get("request")
    if getattr(exc, "auth_header", None) or view is None or request is None:
        return
    header = view.get_authenticate_header(request)
    if header:
        exc.auth_header = header


def _field_messages(error: DjangoValidationError) -> dict[str, list[str]]:
    if not hasattr(error, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): messages
        for field, messages in error.message_dict.items()
    }


def _error_code(exc) -> str:
    codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else None
    return codes if isinstance(codes, str) else "error"


def datetime_text(value) -> str | None:
    """A datetime as DRF's DateTimeField writes it: ISO 8601 in the current zone, Z for UTC.

    For read paths that build their dicts without a serializer's per-field cost.
    """
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class ErrorSerializer(serializers.Serializer):
    """The body of every non-field error: a message and a stable machine-readable code."""

    detail = serializers.CharField()
    code = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """A 400 body: each invalid field maps to its messages (non_field_errors for the rest)."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


BAD_REQUEST = OpenApiResponse(FieldErrorsSerializer, description="Invalid fields")
UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="Not authenticated")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="Not found (or someone else's)")


class StrictPageSize:
    """`page_size`, when given, must be a whole number of at least 1 (else 400).

    DRF falls back to the default size for anything it cannot read (`0`, `null`, empty),
    so a client's mistake would go unnoticed. Sizes past max_page_size are still capped.
    """

    page_size_message = "Enter a whole number of at least 1."

    def get_page_size(self, request):
        if self.page_size_query_param not in request.query_params:
            return self.page_size
        text = request.query_params[self.page_size_query_param]
        size = int(text) if text.isascii() and text.isdigit() else 0
        if size < 1:
            raise exceptions.ValidationError({self.page_size_query_param: [self.page_size_message]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results per page: {self.page_size} by default, at most "
                    f"{self.max_page_size} (a larger size is capped)."
                )
        return parameters


class PageNumberPagination(StrictPageSize, pagination.PageNumberPagination):
    """`page` and `page_size` (20 by default, at most 100): {count, next, previous, results}."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_counted(self, queryset, request, *, count: int):
        """The requested page of `queryset` as a lazy slice, with the count known already.

        DRF's paginate_queryset, minus its COUNT query and list(): the caller chooses how
        to read the rows (e.g. .values()).
        """
        self.request = request
        paginator = self.django_paginator_class(queryset, self.get_page_size(request))
        paginator.count = count  # Paginator.count is a cached_property
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            message = self.invalid_page_message.format(page_number=page_number, message=str(exc))
            raise exceptions.NotFound(message) from exc
        return self.page.object_list


class CursorPagination(StrictPageSize, pagination.CursorPagination):
    """`cursor` pages (sync, infinite scroll): stable while rows are added, no OFFSET.

    The view sets `ordering` per request; its first field must be (nearly) unique and
    never null, as DRF positions the cursor by it.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class SelectorFilterBackend(DjangoFilterBackend):
    """Documents a view's `filterset_class`; the view's selector has already applied it.

    Selectors own filtering (the pages use the same FilterSets), so filtering here again
    would only repeat the work; the schema still lists every filter from one definition.
    """

    def filter_queryset(self, request, queryset, view):
        return queryset


class SelectorFilterExtension(DjangoFilterExtension):
    """Filters as documented by drf-spectacular, plus: an empty value means "no filter".

    django-filter skips empty values, and the pages' filter form sends every field, empty
    or not; the schema says so (allowEmptyValue) rather than the API rejecting them.
    """

    target_class = "config.api.SelectorFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
        return parameters


class StringField(serializers.CharField):
    """A CharField for JSON strings only (DRF's own turns 5 or 1.5 into text), whose
    max_length counts the string as sent, as the schema's maxLength does: DRF would count
    it after trimming, and accept 150 characters of name padded with spaces."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)
