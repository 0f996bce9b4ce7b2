"""Accounts API: sign-up, JWT login (with 2FA), tokens, profile, passwords and 2FA.

Every rule, limit and audit entry lives in accounts.services; these views check shapes
and translate the service's sign-in errors into 401s with a stable `code`. Django
ValidationError (400), TokenError (401) and RateLimited (429 with Retry-After) are
translated for every API view in core.api.exceptions.exception_handler.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers
from accounts.api.bearer import OneRoundTrip
from accounts.services import staff_enrolment
from core.api.schema import BAD_REQUEST, UNAUTHORIZED, ErrorSerializer, FieldErrorsSerializer

RESET_REQUESTED = "If an account exists for this address, we have sent a link."
VERIFICATION_SENT = "We have sent a new verification link."
ALREADY_VERIFIED = "Your email address is already verified."

TOKEN_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`token_not_valid`: the refresh token is invalid, expired, revoked or already "
    "used. Presenting a token that was already rotated revokes every refresh token of the "
    "account.",
)
LOGIN_ERRORS = {
    services.InvalidCredentials: (
        "No active account found with the given credentials.",
        "invalid_credentials",
    ),
    services.OtpRequired: (
        "Enter the code from your authenticator app or a backup code.",
        "otp_required",
    ),
    services.OtpInvalid: ("That code is not valid or was already used.", "otp_invalid"),
}
LOGIN_REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_credentials`: wrong email or password; `otp_required`: the password "
    "is right and the account has two-factor authentication on, so send `otp` too; "
    "`otp_invalid`: the code is wrong or was already used.",
    examples=[
        OpenApiExample(code, value={"detail": message, "code": code}, status_codes=["401"])
        for message, code in LOGIN_ERRORS.values()
    ],
)
TOO_MANY_REQUESTS = OpenApiResponse(
    ErrorSerializer,
    description="`throttled`: too many requests or attempts; the Retry-After header says "
    "after how many seconds to try again.",
)
RETRY_AFTER = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    response=[429],
    description="Seconds until the client may try again.",
)


STAFF_ENROL_ON_THE_PAGE = OpenApiResponse(
    ErrorSerializer,
    description="`permission_denied`: a staff account without a confirmed device enrols "
    "only on the security page, through an enrolment link.",
)


def _field_errors(description: str) -> OpenApiResponse:
    return OpenApiResponse(FieldErrorsSerializer, description=description)


def _auth_schema(*, responses: dict, request=None, public: bool = False):
    """Tag "auth", and 429 with Retry-After everywhere (every endpoint is throttled). A
    public endpoint takes no token; any other answers 401 without one."""
    if not public:
        responses = {**responses, 401: UNAUTHORIZED}
    return extend_schema(
        tags=["auth"],
        request=request,
        responses={**responses, 429: TOO_MANY_REQUESTS},
        parameters=[RETRY_AFTER],
        **({"auth": []} if public else {}),
    )


class PublicView(APIView):
    """An endpoint for clients without an access token; failures still answer 401."""

    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticate_header(self, request):
        return 'Bearer realm="api"'


def _validated(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- sign-up and tokens ---------------------------------------------------------------


class RegisterView(PublicView):
    @_auth_schema(
        request=serializers.RegisterSerializer,
        responses={201: serializers.UserSerializer, 400: BAD_REQUEST},
        public=True,
    )
    def post(self, request):
        """Create an account and email a link that verifies its address (limited per IP)."""
        data = _validated(serializers.RegisterSerializer, request)
        user = services.user_register(request=request, **data)
        return Response(serializers.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicView):
    @_auth_schema(
        request=serializers.TokenObtainSerializer,
        responses={200: serializers.TokenPairSerializer, 400: BAD_REQUEST, 401: LOGIN_REFUSED},
        public=True,
    )
    def post(self, request):
        """Log in with email, password and, with 2FA on, a code; returns a token pair."""
        data = _validated(serializers.TokenObtainSerializer, request)
        try:
            pair = services.token_login(
                request=request,
                email=data["email"],
                password=data["password"],
                otp=data.get("otp") or None,
            )
        except tuple(LOGIN_ERRORS) as error:
            message, code = LOGIN_ERRORS[type(error)]
            raise exceptions.AuthenticationFailed(message, code=code) from error
        return Response(pair)


class TokenRefreshView(PublicView):
    @_auth_schema(
        request=serializers.RefreshTokenSerializer,
        responses={200: serializers.TokenPairSerializer, 400: BAD_REQUEST, 401: TOKEN_REFUSED},
        public=True,
    )
    def post(self, request):
        """Trade a refresh token for a new pair; the old refresh token is spent."""
        data = _validated(serializers.RefreshTokenSerializer, request)
        return Response(services.token_pair_refresh(refresh=data["refresh"], request=request))


class LogoutView(PublicView):
    @_auth_schema(
        request=serializers.RefreshTokenSerializer,
        responses={204: None, 400: BAD_REQUEST, 401: TOKEN_REFUSED},
        public=True,
    )
    def post(self, request):
        """Revoke a refresh token. The access token lapses on its own within minutes."""
        data = _validated(serializers.RefreshTokenSerializer, request)
        services.token_revoke(refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the signed-in user -----------------------------------------------------------------


class MeView(OneRoundTrip, APIView):
    @_auth_schema(responses={200: serializers.UserSerializer})
    def get(self, request):
        """The logged-in user."""
        return Response(serializers.UserSerializer(request.user).data)

    @_auth_schema(
        request=serializers.ProfileUpdateSerializer,
        responses={200: serializers.UserSerializer, 400: BAD_REQUEST},
    )
    def patch(self, request):
        """Change the logged-in user's name, time zone or daily reminder opt-in."""
        data = _validated(serializers.ProfileUpdateSerializer, request)
        user = services.user_update(user=request.user, **data)
        return Response(serializers.UserSerializer(user).data)


class PasswordChangeView(APIView):
    @_auth_schema(
        request=serializers.PasswordChangeSerializer,
        responses={204: None, 400: BAD_REQUEST},
    )
    def post(self, request):
        """Change the password; every session and refresh token of the user stops working."""
        data = _validated(serializers.PasswordChangeSerializer, request)
        services.user_password_change(user=request.user, request=request, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- two-factor authentication ------------------------------------------------------


class OtpSetupView(APIView):
    @_auth_schema(
        responses={
            200: serializers.OtpSetupSerializer,
            400: _field_errors("`non_field_errors`: two-factor authentication is already on."),
            403: STAFF_ENROL_ON_THE_PAGE,
        },
    )
    def post(self, request):
        """Start enrolling an authenticator app; confirm it with a code at 2fa/confirm/.

        Staff enrol on the security page, through an enrolment link, never here (403).
        """
        if not staff_enrolment.may_enrol(request):
            raise exceptions.PermissionDenied(staff_enrolment.REFUSED)
        device = services.otp_setup(user=request.user)
        return Response(services.otp_setup_details(device))


class OtpConfirmView(APIView):
    @_auth_schema(
        request=serializers.OtpSerializer,
        responses={
            200: serializers.BackupCodesSerializer,
            400: _field_errors("`otp`: the code is wrong, or setup was not started."),
            403: STAFF_ENROL_ON_THE_PAGE,
        },
    )
    def post(self, request):
        """Turn 2FA on with a code from the app; returns backup codes (shown only now).

        Every session and refresh token opened before, this client's included, ends: the
        app signs in again, with a code, once its access token expires.
        """
        if not staff_enrolment.may_enrol(request):
            raise exceptions.PermissionDenied(staff_enrolment.REFUSED)
        data = _validated(serializers.OtpSerializer, request)
        codes = services.otp_confirm(user=request.user, otp=data["otp"], request=request)
        return Response({"backup_codes": codes})


class OtpDisableView(APIView):
    @_auth_schema(
        request=serializers.OtpDisableSerializer,
        responses={204: None, 400: _field_errors("`password` or `otp` is wrong.")},
    )
    def post(self, request):
        """Turn 2FA off; needs the password and a current code or a backup code."""
        data = _validated(serializers.OtpDisableSerializer, request)
        services.otp_disable(user=request.user, request=request, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BackupCodesView(APIView):
    @_auth_schema(
        request=serializers.BackupCodesRegenerateSerializer,
        responses={
            200: serializers.BackupCodesSerializer,
            400: _field_errors(
                "`otp` or `password` is wrong or missing; `non_field_errors`: two-factor "
                "authentication is off."
            ),
        },
    )
    def post(self, request):
        """Replace the backup codes (2FA must be on); the old ones stop working. Needs a
        current code (`otp`) or the password."""
        data = _validated(serializers.BackupCodesRegenerateSerializer, request)
        codes = services.backup_codes_regenerate(user=request.user, request=request, **data)
        return Response({"backup_codes": codes})


# --- password reset and email verification ------------------------------------------


class PasswordResetView(PublicView):
    @_auth_schema(
        request=serializers.PasswordResetSerializer,
        responses={202: serializers.DetailSerializer, 400: BAD_REQUEST},
        public=True,
    )
    def post(self, request):
        """Email a single-use reset link; the answer is the same whether the account exists."""
        data = _validated(serializers.PasswordResetSerializer, request)
        services.password_reset_request(request=request, email=data["email"])
        return Response({"detail": RESET_REQUESTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicView):
    @_auth_schema(
        request=serializers.PasswordResetConfirmSerializer,
        responses={
            204: None,
            400: _field_errors(
                "`token`: the link is invalid, already used or expired; `new_password`: "
                "the password validators' messages."
            ),
        },
        public=True,
    )
    def post(self, request):
        """Set a new password from a reset link; every session and refresh token dies."""
        data = _validated(serializers.PasswordResetConfirmSerializer, request)
        services.password_reset_confirm(
            uidb64=data["uid"],
            token=data["token"],
            new_password=data["new_password"],
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyView(PublicView):
    @_auth_schema(
        request=serializers.EmailVerifySerializer,
        responses={
            200: serializers.UserSerializer,
            400: _field_errors("`token`: the link is invalid or has expired."),
        },
        public=True,
    )
    def post(self, request):
        """Mark the address verified with the token from the emailed link."""
        data = _validated(serializers.EmailVerifySerializer, request)
        user = services.email_verify(token=data["token"], request=request)
        return Response(serializers.UserSerializer(user).data)


class EmailVerifyResendView(APIView):
    @_auth_schema(
        responses={
            200: OpenApiResponse(
                serializers.DetailSerializer, description="Already verified: nothing sent."
            ),
            202: OpenApiResponse(serializers.DetailSerializer, description="A link was sent."),
        }
    )
    def post(self, request):
        """Email a new verification link (at most 3 an hour) unless already verified."""
        if not services.email_verification_resend(user=request.user, request=request):
            return Response({"detail": ALREADY_VERIFIED})
        return Response({"detail": VERIFICATION_SENT}, status=status.HTTP_202_ACCEPTED)
