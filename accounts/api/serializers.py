"""Shapes of the accounts API; every rule lives in accounts.services."""

from rest_framework import serializers

from accounts.models import User
from core.api.fields import StringField
from core.api.serializers import DirectSerializer


def _password(**kwargs) -> serializers.CharField:
    return serializers.CharField(trim_whitespace=False, max_length=128, **kwargs)


OTP_HELP = "The 6-digit code from the authenticator app, or an unused backup code."


def _otp(*, help_text: str = OTP_HELP, **kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=32, help_text=help_text, **kwargs)


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    full_name = StringField(max_length=150)
    password = _password(write_only=True)


# Direct: `me` is hot, and a ModelSerializer would rebuild its fields on every request.
class UserSerializer(DirectSerializer, serializers.ModelSerializer):
    """An account as the API returns it."""

    two_factor_enabled = serializers.BooleanField(read_only=True)
    email_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "date_joined",
            "two_factor_enabled",
            "email_verified",
            "timezone",
            "daily_reminder",
        ]
        read_only_fields = fields


class ProfileUpdateSerializer(serializers.Serializer):
    """The fields of services.user_update; send any of them, at least one."""

    full_name = StringField(max_length=150, required=False)
    # A string checked by the service: an enum of every zone would bloat the schema.
    timezone = serializers.CharField(
        max_length=64,
        required=False,
        help_text="An IANA time zone, e.g. Europe/Paris: the user's today and reminder hour.",
    )
    daily_reminder = serializers.BooleanField(
        required=False, help_text="Email tasks due today and overdue each morning (opt-in)."
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError("Send at least one field to change.")
        return attrs


class TokenObtainSerializer(serializers.Serializer):
    # Not an EmailField: a malformed address is just wrong credentials (401).
    email = serializers.CharField(max_length=254)
    password = _password(write_only=True)
    otp = _otp(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=f"Required when the account has two-factor authentication on. {OTP_HELP}",
    )


class RefreshTokenSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = _password()
    new_password = _password()


# --- two-factor authentication ------------------------------------------------------


class OtpSetupSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The base32 secret, for typing into the app.")
    otpauth_uri = serializers.CharField(help_text="An otpauth://totp/ URI with the secret.")
    qr_svg = serializers.CharField(help_text="The URI as an inline SVG QR code.")


class OtpSerializer(serializers.Serializer):
    otp = _otp()


class OtpDisableSerializer(serializers.Serializer):
    password = _password()
    otp = _otp()


class BackupCodesRegenerateSerializer(serializers.Serializer):
    otp = _otp(required=False, help_text=f"{OTP_HELP} Or send `password` instead.")
    password = _password(required=False, write_only=True)


class BackupCodesSerializer(serializers.Serializer):
    backup_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text="Single-use recovery codes, shown only this once; older ones stop working.",
    )


# --- password reset and email verification ------------------------------------------


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class PasswordResetConfirmSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64, help_text="The `uidb64` part of the emailed link.")
    token = serializers.CharField(max_length=128, help_text="The `token` part of the link.")
    new_password = _password()


class EmailVerifySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=512, help_text="The token part of the emailed link.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()
