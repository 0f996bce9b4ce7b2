"""Helpers for tests that need a user with two-factor authentication."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the user's authenticator app shows now (or `steps_ahead` windows later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enable_two_factor(user) -> tuple[TOTPDevice, list[str]]:
    """Enrol the user's authenticator; returns the device and the backup codes."""
    device = services.otp_setup(user=user)
    codes = services.otp_confirm(user=user, otp=totp_code(device))
    device.refresh_from_db()
    return device, codes
