"""DRF glue shared by every API app: one translation of domain errors into HTTP."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError


def exception_handler(exc, context):
    """Turn service errors into DRF ones and give every `detail` error a `code`."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_field_messages(exc))
    elif isinstance(exc, TokenError):
        exc = InvalidToken(str(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict) and "detail" in response.data:
        response.data.setdefault("code", _error_code(exc))
    return response


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


class ErrorSerializer(serializers.Serializer):
    """The body of every non-field error: a message and a stable machine-readable code."""

    detail = serializers.CharField()
    code = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """A 400 body: each invalid field maps to its messages (non_field_errors for the rest)."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
