"""The API's one translation of domain errors into HTTP answers (DRF's EXCEPTION_HANDLER)."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from core.ratelimit import RateLimited


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
