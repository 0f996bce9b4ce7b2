"""Two-factor authentication: TOTP enrolment, backup codes, and code checks.

Every check goes through django_otp.verify_token, which locks the device row, so a code
cannot be accepted twice by parallel requests; TOTP refuses a replay within its window.
"""

import math
import secrets

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import devices_for_user, verify_token
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.cache import user_cache_invalidate
from accounts.models import BackupCode, BackupCodeDevice, User, backup_code_digest
from accounts.services.audit import Event, audit_record
from accounts.services.users import credentials_replaced, password_check
from core import ratelimit

INVALID_CODE = "That code is not valid. Check your authenticator app and try again."
BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def otp_setup(*, user: User) -> TOTPDevice:
    """Start enrolment: a fresh unconfirmed authenticator; refused if 2FA is already on."""
    if user.two_factor_enabled:
        raise ValidationError("Two-factor authentication is already on.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def otp_setup_details(device: TOTPDevice) -> dict[str, str]:
    """What an authenticator app needs: the secret, its otpauth:// URI and a QR code (SVG)."""
    uri = device.config_url
    qr_svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    secret = uri.split("secret=", 1)[1].split("&", 1)[0]
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": qr_svg}


def otp_pending_device(*, user: User) -> TOTPDevice | None:
    """The authenticator being enrolled, if enrolment has started."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def otp_confirm(
    *, user: User, otp: str, request=None, keep_session_key: str | None = None
) -> list[str]:
    """Finish enrolment with a code from the app; returns the new backup codes (shown once).

    Every other session and every refresh token ends: they were opened with the password
    alone, and 2FA means the password alone no longer suffices.
    """
    device = otp_pending_device(user=user)
    if device is None:
        raise ValidationError({"otp": ["Start two-factor setup first."]})
    ratelimit.consume("otp-check", user.pk, settings.RATE_OTP_CHECKS_PER_USER)
    _refuse_if_throttled(device)
    if verify_token(user, device.persistent_id, _normalize(otp)) is None:
        raise ValidationError({"otp": [INVALID_CODE]})
    with transaction.atomic():
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _backup_codes_replace(user)
        user_cache_invalidate(user)  # update() sends no signal
        credentials_replaced(user, keep_session_key=keep_session_key)
    audit_record(event=Event.TWO_FACTOR_ENABLED, request=request, user=user)
    return codes


def otp_verify(*, user: User, otp: str, request=None) -> Device | None:
    """The confirmed device that accepts this TOTP or backup code, or None.

    Throttled per user (RATE_OTP_CHECKS_PER_USER) and by django-otp's per-device throttle:
    either raises RateLimited, so a right code sent too soon after a wrong one is told to
    wait rather than called wrong. A 6-digit code is only ever a TOTP and a backup code
    always holds a letter, so neither kind of guess throttles the other device. A used
    backup code is gone and audited.
    """
    ratelimit.consume("otp-check", user.pk, settings.RATE_OTP_CHECKS_PER_USER)
    code = _normalize(otp)
    for device in devices_for_user(user, confirmed=True):
        if isinstance(device, TOTPDevice) != code.isdigit():
            continue
        _refuse_if_throttled(device)
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            if isinstance(verified, BackupCodeDevice):
                remaining = verified.codes.count()
                audit_record(
                    event=Event.BACKUP_CODE_USED, request=request, user=user, remaining=remaining
                )
            return verified
    audit_record(event=Event.OTP_FAILED, request=request, user=user)
    return None


def otp_disable(*, user: User, password: str, otp: str, request=None) -> None:
    """Turn 2FA off; needs the password and a current code (or a backup code)."""
    if not password_check(user=user, password=password, request=request):
        raise ValidationError({"password": ["Your password was entered incorrectly."]})
    if otp_verify(user=user, otp=otp, request=request) is None:
        raise ValidationError({"otp": [INVALID_CODE]})
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        BackupCodeDevice.objects.filter(user=user).delete()
        user_cache_invalidate(user)  # this instance's snapshot too
    audit_record(event=Event.TWO_FACTOR_DISABLED, request=request, user=user)


def backup_codes_regenerate(
    *, user: User, otp: str = "", password: str = "", request=None
) -> list[str]:
    """Replace the user's backup codes; the old ones stop working.

    Needs a current code (or a backup code) or the password: a session or token stolen
    before 2FA was on must not mint codes that then sign in past it.
    """
    if not user.two_factor_enabled:
        raise ValidationError("Turn on two-factor authentication first.")
    if otp:
        if otp_verify(user=user, otp=otp, request=request) is None:
            raise ValidationError({"otp": [INVALID_CODE]})
    elif password:
        # Counted with the code checks: this must not become a way to guess the password.
        ratelimit.consume("otp-check", user.pk, settings.RATE_OTP_CHECKS_PER_USER)
        if not password_check(user=user, password=password, request=request):
            raise ValidationError({"password": ["Your password was entered incorrectly."]})
    else:
        raise ValidationError(
            {"otp": ["Enter a code from your authenticator app, or your password."]}
        )
    codes = _backup_codes_replace(user)
    audit_record(event=Event.BACKUP_CODES_REGENERATED, request=request, user=user)
    return codes


def backup_codes_remaining(*, user: User) -> int:
    """How many unused backup codes the user has left."""
    return BackupCode.objects.filter(device__user=user).count()


@transaction.atomic
def _backup_codes_replace(user: User) -> list[str]:
    device, _ = BackupCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [_new_backup_code() for _ in range(settings.BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        [BackupCode(device=device, digest=backup_code_digest(code)) for code in codes]
    )
    return codes


def _refuse_if_throttled(device: Device) -> None:
    """RateLimited while django-otp's throttle (ThrottlingMixin) locks the device."""
    allowed, details = device.verify_is_allowed()
    locked_until = (details or {}).get("locked_until")
    if not allowed and locked_until is not None:
        wait = math.ceil((locked_until - timezone.now()).total_seconds())
        raise ratelimit.RateLimited(retry_after=max(wait, 1))


def _new_backup_code() -> str:
    # 10 characters from 31: ~49 bits, far beyond guessing under the throttles. Never all
    # digits: a code of digits is taken for a TOTP (otp_verify).
    raw = "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(10))
    if raw.isdigit():
        return _new_backup_code()
    return f"{raw[:5]}-{raw[5:]}"


def _normalize(otp) -> str:
    return "".join(str(otp or "").split())
