"""Accounts: registration, profile, passwords, password reset and email verification."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts import emails, jobs, tokens
from accounts.models import User, new_calendar_token
from accounts.services.audit import Event, audit_record
from accounts.services.sessions import sessions_revoke_all
from core import ratelimit
from core.ratelimit import client_ip, client_network

DUPLICATE_EMAIL_MESSAGE = "An account with this email address already exists."
BAD_RESET_LINK = "This password reset link is invalid or has expired. Ask for a new one."
EMAIL_VERIFICATION_SALT = "accounts.verify-email"


def user_create(*, email: str, full_name: str, password: str) -> User:
    """Create a user; the email is unique whatever its letter case."""
    user = User(email=User.objects.normalize_email(email), full_name=full_name.strip())
    errors = {}
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # a concurrent registration won the race
        raise ValidationError({"email": [DUPLICATE_EMAIL_MESSAGE]}) from error
    return user


def user_register(*, request, email: str, full_name: str, password: str) -> User:
    """Sign-up from a page or the API: limited per client IP, then a verification email."""
    ratelimit.consume("register-ip", client_network(request), settings.RATE_REGISTRATION_PER_IP)
    user = user_create(email=email, full_name=full_name, password=password)
    email_verification_send(user=user, request=request)
    return user


def user_update(
    *,
    user: User,
    full_name: str | None = None,
    timezone: str | None = None,  # the User field; shadows django.utils.timezone here
    daily_reminder: bool | None = None,
) -> User:
    """Change the profile's name, time zone or reminder opt-in (None: unchanged).

    The email address is fixed at registration; the zone must be a known IANA name.
    """
    changes = {"full_name": full_name, "timezone": timezone, "daily_reminder": daily_reminder}
    changes = {field: value for field, value in changes.items() if value is not None}
    if "full_name" in changes:
        changes["full_name"] = changes["full_name"].strip()
    for field, value in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    return user


def password_limits(request, email: str) -> list[tuple[str, str, str]]:
    """(group, key, rate) of every limit a password attempt counts against."""
    network = client_network(request)
    return [
        (
            "login-account-network",
            f"{email} {network}",
            settings.RATE_LOGIN_FAILURES_PER_ACCOUNT_NETWORK,
        ),
        ("login-account", email, settings.RATE_LOGIN_FAILURES_PER_ACCOUNT),
        ("login-ip", network, settings.RATE_LOGIN_FAILURES_PER_IP),
    ]


def password_check(*, user: User, password: str, request=None) -> bool:
    """Whether `password` is the user's, counting a wrong one as a failed sign-in.

    Re-entering the password (to change it, or to turn 2FA off) must not become a way
    around the sign-in limit; raises RateLimited once the attempt's limits are used up.
    """
    limits = (
        password_limits(request, user.email)
        if request is not None
        else [("login-account", user.email, settings.RATE_LOGIN_FAILURES_PER_ACCOUNT)]
    )
    counted = [ratelimit.consume(group, key, rate) for group, key, rate in limits]
    if not user.check_password(password):
        return False
    for attempt in counted:
        ratelimit.refund(attempt)
    return True


def _validated_new_password(user: User, new_password: str) -> None:
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from error


def credentials_replaced(user: User, *, keep_session_key: str | None = None) -> None:
    """After a new password or 2FA turned on: every other session and every refresh token dies."""
    sessions_revoke_all(user=user, keep_session_key=keep_session_key)
    tokens.refresh_tokens_revoke_all(user=user)


@transaction.atomic
def user_password_change(
    *,
    user: User,
    old_password: str,
    new_password: str,
    request=None,
    keep_session_key: str | None = None,
) -> None:
    """Set a new password; every session but `keep_session_key` and every refresh token die.

    Access tokens carry a hash of the password (simplejwt's CHECK_REVOKE_TOKEN), so they
    stop working at once too.
    """
    if not password_check(user=user, password=old_password, request=request):
        raise ValidationError({"old_password": ["Your old password was entered incorrectly."]})
    _validated_new_password(user, new_password)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    credentials_replaced(user, keep_session_key=keep_session_key)
    audit_record(event=Event.PASSWORD_CHANGED, request=request, user=user)


# --- password reset ------------------------------------------------------------------


def password_reset_request(*, request, email: str) -> None:
    """Queue a single-use reset link for this address (password_reset_email, a job).

    The request does the same work whether or not an account has the address: the lookup,
    the link and the email happen in the job. So neither the answer nor its timing tells
    who has an account. Limited per client network and per address.
    """
    address = User.objects.normalize_email(email)
    ratelimit.consume("reset-ip", client_network(request), settings.RATE_PASSWORD_RESET_PER_IP)
    ratelimit.consume("reset-email", address, settings.RATE_PASSWORD_RESET_PER_EMAIL)
    details = {
        "email": address,
        "site": request.build_absolute_uri("/").rstrip("/"),
        "ip_address": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }
    # What logs and monitoring show of the job: not the address.
    jobs.password_reset_email.apply_async(kwargs=details, kwargsrepr="{'email': '<hidden>'}")


def password_reset_email(
    *, email: str, site: str, ip_address: str | None = None, user_agent: str = ""
) -> bool:
    """Email a reset link to the active account with this address, if any (the job)."""
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        return False
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password-reset-confirm", kwargs={"uidb64": uid, "token": token})
    emails.send_account_email(
        user=user,
        template="password_reset",
        context={"url": f"{site}{path}", "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60},
    )
    audit_record(
        event=Event.PASSWORD_RESET_REQUESTED,
        user=user,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return True


def password_reset_user(*, uidb64: str, token: str) -> User | None:
    """The user a reset link is for, while the link is valid (unused and unexpired)."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        user = User.objects.filter(pk=int(pk), is_active=True).first()
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if user is None or not default_token_generator.check_token(user, token):
        return None
    return user


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, new_password: str, request=None) -> User:
    """Set a new password from a reset link; the link dies, and so do all sessions and tokens.

    The token hashes the password, so it stops working once the password changes. The
    user is not logged in: two-factor authentication, if on, is still asked for. Whoever
    may have had the account may have copied its calendar feed's secret URL: it changes too.
    """
    user = password_reset_user(uidb64=uidb64, token=token)
    if user is None:
        raise ValidationError({"token": [BAD_RESET_LINK]})
    _validated_new_password(user, new_password)
    user.set_password(new_password)
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["password", "calendar_token"])
    credentials_replaced(user)
    audit_record(event=Event.PASSWORD_RESET, request=request, user=user)
    return user


# --- email verification ------------------------------------------------------------


def email_verification_token(user: User) -> str:
    """A signed, expiring token naming the user and the address being verified."""
    return signing.dumps({"user": user.pk, "email": user.email}, salt=EMAIL_VERIFICATION_SALT)


def email_verification_send(*, user: User, request) -> None:
    """Email the user a link that verifies their address."""
    path = reverse("accounts:verify-email", kwargs={"token": email_verification_token(user)})
    emails.send_account_email(
        user=user,
        template="verify_email",
        context={
            "url": request.build_absolute_uri(path),
            "valid_days": settings.EMAIL_VERIFICATION_TIMEOUT // 86400,
        },
    )


def email_verification_resend(*, user: User, request) -> bool:
    """Send a fresh link unless the address is verified already (returns whether it sent).

    Limited per user (RATE_VERIFICATION_RESEND_PER_USER): a resend button is not a mailer.
    """
    if user.email_verified:
        return False
    ratelimit.consume("verify-resend", user.pk, settings.RATE_VERIFICATION_RESEND_PER_USER)
    email_verification_send(user=user, request=request)
    return True


def email_verify(*, token: str, request=None) -> User:
    """Mark an address verified from its link; a bad, expired or stale link is refused."""
    try:
        data = signing.loads(
            token, salt=EMAIL_VERIFICATION_SALT, max_age=settings.EMAIL_VERIFICATION_TIMEOUT
        )
    except signing.SignatureExpired as error:
        raise ValidationError({"token": ["This link has expired. Ask for a new one."]}) from error
    except signing.BadSignature as error:
        raise ValidationError({"token": ["This link is not valid."]}) from error
    user = User.objects.filter(pk=data.get("user"), email=data.get("email")).first()
    if user is None:
        raise ValidationError({"token": ["This link is not valid."]})
    if not user.email_verified:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(event=Event.EMAIL_VERIFIED, request=request, user=user)
    return user
