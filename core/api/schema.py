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
