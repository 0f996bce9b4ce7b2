"""What the OpenAPI schema says about errors and filters, shared by every API app."""

from django.conf import settings
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


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

    target_class = "core.api.schema.SelectorFilterBackend"
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        parameters = super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
        return parameters


def closed_request_bodies(result, generator, request, public):
    """drf-spectacular postprocessing hook: the request bodies of the paths in
    settings.API_CLOSED_BODY_PATHS refuse unknown fields (a 400 naming them), so their
    components say `additionalProperties: false`."""
    prefixes = tuple(settings.API_CLOSED_BODY_PATHS)
    components = result.get("components", {}).get("schemas", {})
    for path, item in result.get("paths", {}).items():
        if not path.startswith(prefixes):
            continue
        for operation in item.values():
            content = (
                operation.get("requestBody", {}).get("content", {})
                if isinstance(operation, dict)
                else {}
            )
            for media in content.values():
                name = media.get("schema", {}).get("$ref", "").rpartition("/")[2]
                if name in components:
                    components[name]["additionalProperties"] = False
    return result


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds until the client may try again.",
    }
}
EVERY_OPERATION_MAY_ANSWER = {
    "429": "`throttled`: too many requests or attempts; Retry-After says when to try again.",
    "503": "`unavailable`: the database is briefly unreachable (a restart or failover); "
    "retry after Retry-After seconds.",
}


def documented_errors(result, generator, request, public):
    """drf-spectacular postprocessing hook: what every operation of this API may answer.

    Every endpoint is rate-limited (429) and any may meet a database restart (503), both
    with Retry-After and the Error body; a generated client must not meet a status its
    schema never named. A 400's field errors map each field to its messages. An operation
    without a summary takes its description's first sentence.
    """
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in EVERY_OPERATION_MAY_ANSWER.items():
                operation["responses"].setdefault(
                    status,
                    {"description": description, "headers": RETRY_AFTER_HEADER, "content": error},
                )
            if not operation.get("summary"):
                text = (operation.get("description") or operation["operationId"]).strip()
                first = text.split("\n\n")[0].replace("\n", " ")
                operation["summary"] = first.split(". ")[0].rstrip(".")[:120]
    field_errors = result.get("components", {}).get("schemas", {}).get("FieldErrors")
    if field_errors is not None:
        field_errors["additionalProperties"] = FIELD_MESSAGES
        field_errors.setdefault("properties", {}).update(UNREADABLE_BODY)
    return result


# A field's messages; a list's or a nested object's errors come by index or key instead.
FIELD_MESSAGES = {
    "anyOf": [
        {"type": "array", "items": {"type": "string"}},
        {"type": "object", "description": "Errors of a list's items or a nested object's keys."},
    ]
}
# A body that could not be read at all (not JSON, nested too deep...) names no field.
UNREADABLE_BODY = {
    "detail": {"type": "string", "description": "Why the body could not be read."},
    "code": {"type": "string", "description": "`parse_error` for a body that is not JSON."},
}
