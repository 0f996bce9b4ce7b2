"""Accounts API: registration, JWT login/refresh/logout, profile and password."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.api import serializers
from config.api import ErrorSerializer, FieldErrorsSerializer

BAD_REQUEST = OpenApiResponse(FieldErrorsSerializer, description="Invalid fields")
UNAUTHORIZED = OpenApiResponse(ErrorSerializer, description="Not authenticated")
TOKEN_REFUSED = OpenApiResponse(
    ErrorSerializer, description="Token invalid, expired, already used or revoked"
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


class RegisterView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=serializers.RegisterSerializer,
        responses={201: serializers.UserSerializer, 400: BAD_REQUEST},
        auth=[],
    )
    def post(self, request):
        """Create an account."""
        user = services.user_create(**_validated(serializers.RegisterSerializer, request))
        return Response(serializers.UserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=serializers.TokenObtainSerializer,
        responses={200: serializers.TokenPairSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED},
        auth=[],
    )
    def post(self, request):
        """Log in with email and password; returns an access and a refresh token."""
        credentials = _validated(serializers.TokenObtainSerializer, request)
        user = services.user_authenticate(request=request, **credentials)
        if user is None:
            raise exceptions.AuthenticationFailed(
                "No active account found with the given credentials.", code="invalid_credentials"
            )
        return Response(services.token_pair_issue(user=user))


class TokenRefreshView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=serializers.RefreshTokenSerializer,
        responses={200: serializers.TokenPairSerializer, 400: BAD_REQUEST, 401: TOKEN_REFUSED},
        auth=[],
    )
    def post(self, request):
        """Trade a refresh token for a new pair; the old refresh token is spent."""
        data = _validated(serializers.RefreshTokenSerializer, request)
        return Response(services.token_pair_refresh(refresh=data["refresh"]))


class LogoutView(PublicView):
    @extend_schema(
        tags=["auth"],
        request=serializers.RefreshTokenSerializer,
        responses={204: None, 400: BAD_REQUEST, 401: TOKEN_REFUSED},
        auth=[],
    )
    def post(self, request):
        """Revoke a refresh token. The access token lapses on its own within minutes."""
        data = _validated(serializers.RefreshTokenSerializer, request)
        services.token_revoke(refresh=data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(tags=["auth"], responses={200: serializers.UserSerializer, 401: UNAUTHORIZED})
    def get(self, request):
        """The logged-in user."""
        return Response(serializers.UserSerializer(request.user).data)

    @extend_schema(
        tags=["auth"],
        request=serializers.ProfileUpdateSerializer,
        responses={200: serializers.UserSerializer, 400: BAD_REQUEST, 401: UNAUTHORIZED},
    )
    def patch(self, request):
        """Change the logged-in user's name."""
        data = _validated(serializers.ProfileUpdateSerializer, request)
        user = services.user_update(user=request.user, **data)
        return Response(serializers.UserSerializer(user).data)


class PasswordChangeView(APIView):
    @extend_schema(
        tags=["auth"],
        request=serializers.PasswordChangeSerializer,
        responses={204: None, 400: BAD_REQUEST, 401: UNAUTHORIZED},
    )
    def post(self, request):
        """Change the password; every session and refresh token of the user stops working."""
        data = _validated(serializers.PasswordChangeSerializer, request)
        services.user_password_change(user=request.user, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)
