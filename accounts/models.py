import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp import user_has_device
from django_otp.models import Device, ThrottlingMixin

from accounts.managers import UserManager

# Set by accounts.cache on the request's user; services that change 2FA drop it.
TWO_FACTOR_SNAPSHOT = "_two_factor_snapshot"


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone.")


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in with their email address; there is no username."""

    email = models.EmailField(
        "email address",
        unique=True,
        error_messages={"unique": "An account with this email address already exists."},
    )
    full_name = models.CharField(max_length=150)
    is_staff = models.BooleanField(
        default=False, help_text="Whether the user can log into the admin site."
    )
    is_active = models.BooleanField(
        default=True, help_text="Unticking this disables the account without deleting it."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    email_verified_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_timezone],
        help_text="IANA time zone, e.g. Europe/Paris: 'today' and reminders follow it.",
    )
    daily_reminder = models.BooleanField(
        default=False, help_text="Email a morning list of tasks due today and overdue."
    )
    # The secret in the private calendar feed URL; regenerating it revokes old subscriptions.
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            # Stored lower-cased, so the plain unique index is case-insensitive too.
            models.CheckConstraint(
                condition=models.Q(email=Lower("email")), name="accounts_user_email_lowercase"
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = type(self).objects.normalize_email(self.email)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def two_factor_enabled(self) -> bool:
        # A user read through accounts.cache carries the answer already (no queries).
        snapshot = self.__dict__.get(TWO_FACTOR_SNAPSHOT)
        return user_has_device(self, confirmed=True) if snapshot is None else snapshot

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None


class BackupCodeDevice(ThrottlingMixin, Device):
    """Single-use recovery codes, a django-otp device so admin and login accept them.

    django-otp's own StaticDevice stores codes in plain text; these are HMAC-SHA256
    digests, so a database leak does not hand out working codes.
    """

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        used = self.codes.filter(digest=backup_code_digest(token)).first()
        if used is None:
            self.throttle_increment()
            return False
        used.delete()
        self.throttle_reset()
        return True

    def get_throttle_factor(self):
        return settings.OTP_THROTTLE_FACTOR


class BackupCode(models.Model):
    device = models.ForeignKey(BackupCodeDevice, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64, db_index=True)

    def __str__(self):
        return f"Backup code of {self.device.user}"


def backup_code_digest(code: str) -> str:
    """Codes are compared by keyed digest; dashes, spaces and letter case do not matter."""
    normalized = "".join(str(code).split()).replace("-", "").lower()
    return salted_hmac("accounts.backup-code", normalized, algorithm="sha256").hexdigest()


class UserSession(models.Model):
    """A signed-in browser session, so users can see and end their sessions."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} @ {self.ip_address}"


class AuditEvent(models.Model):
    """Something security-relevant that happened to an account; never edited."""

    class Event(models.TextChoices):
        LOGIN_SUCCEEDED = "login_succeeded", "Signed in"
        LOGIN_FAILED = "login_failed", "Failed sign-in"
        LOGOUT = "logout", "Signed out"
        PASSWORD_CHANGED = "password_changed", "Password changed"
        PASSWORD_RESET_REQUESTED = "password_reset_requested", "Password reset requested"
        PASSWORD_RESET = "password_reset", "Password reset"
        TWO_FACTOR_ENABLED = "two_factor_enabled", "Two-factor authentication turned on"
        TWO_FACTOR_DISABLED = "two_factor_disabled", "Two-factor authentication turned off"
        BACKUP_CODES_REGENERATED = "backup_codes_regenerated", "New backup codes"
        BACKUP_CODE_USED = "backup_code_used", "Backup code used"
        OTP_FAILED = "otp_failed", "Wrong two-factor code"
        REFRESH_TOKEN_REUSED = "refresh_token_reused", "Reused app token: all app sessions ended"
        SESSION_REVOKED = "session_revoked", "Session signed out remotely"
        EMAIL_VERIFIED = "email_verified", "Email address verified"

    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    email = models.EmailField(blank=True, help_text="The address tried, for failed sign-ins.")
    event = models.CharField(max_length=40, choices=Event.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="audit_user_created")]

    def __str__(self):
        return f"{self.get_event_display()} ({self.user or self.email})"


class SpentRefreshToken(models.Model):
    """A refresh token used up by rotation. Seeing it again means someone copied it.

    simplejwt's blacklist also holds logged-out and revoked tokens, which a legitimate
    app may still present; only a rotated token's return is treated as theft.
    """

    jti = models.CharField(max_length=255, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField(help_text="When the token would have expired anyway.")

    def __str__(self):
        return self.jti
