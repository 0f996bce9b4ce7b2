"""Signing in, from a page or the API: password, then a code when 2FA is on.

Failed passwords count against the account from the client's network, the account from
anywhere (a looser cap) and the network (RATE_LOGIN_FAILURES_*); once one is used up, the
attempt is refused before the password is even checked. A stranger's failures elsewhere
never lock the owner out of their own network.
"""

from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django_otp.models import Device

from accounts import tokens
from accounts.models import User
from accounts.services.audit import Event, audit_record
from accounts.services.twofactor import otp_verify
from accounts.services.users import password_limits
from core import ratelimit


class InvalidCredentials(Exception):
    """Wrong email or password (or an inactive account)."""


class OtpRequired(Exception):
    """The password was right; the account needs a two-factor code too."""


class OtpInvalid(Exception):
    """The two-factor code was wrong or already used."""


def login_check_password(*, request, email: str, password: str) -> User:
    """The user these credentials belong to; raises RateLimited or InvalidCredentials.

    Each attempt is counted before the password is checked (so parallel guesses cannot
    all slip under the limit) and refunded when the password is right.
    """
    address = User.objects.normalize_email(email)
    counted = [
        ratelimit.consume(group, value, rate)
        for group, value, rate in password_limits(request, address)
    ]
    user = authenticate(request, email=address, password=password)
    if user is None:
        audit_record(
            event=Event.LOGIN_FAILED,
            request=request,
            user=User.objects.filter(email=address).first(),
            email=address,
        )
        raise InvalidCredentials
    for attempt in counted:
        ratelimit.refund(attempt)
    return user


def login_check_otp(*, request, user: User, otp: str) -> Device:
    """The device that accepts this code; raises RateLimited or OtpInvalid."""
    device = otp_verify(user=user, otp=otp, request=request)
    if device is None:
        raise OtpInvalid
    return device


def login_succeeded(*, request, user: User, via: str) -> None:
    """Record a completed sign-in (page session or API tokens)."""
    audit_record(event=Event.LOGIN_SUCCEEDED, request=request, user=user, via=via)


def token_login(*, request, email: str, password: str, otp: str | None) -> dict[str, str]:
    """API sign-in: a token pair once the password and, with 2FA on, a code are right."""
    user = login_check_password(request=request, email=email, password=password)
    if user.two_factor_enabled:
        if not otp:
            raise OtpRequired
        login_check_otp(request=request, user=user, otp=otp)
    pair = token_pair_issue(user=user)
    login_succeeded(request=request, user=user, via="api")
    return pair


def token_pair_issue(*, user: User) -> dict[str, str]:
    """A fresh access and refresh token for a user who has just proved who they are."""
    refresh = tokens.refresh_token_mint(user=user)
    update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_pair_refresh(*, refresh: str, request=None) -> dict[str, str]:
    """Rotate: the presented refresh token is spent and a new pair is returned.

    Presenting an already-spent token means it was copied: every refresh token of that
    user is revoked and the reuse is audited (tokens.RefreshTokenReused).
    """
    try:
        new_refresh = tokens.refresh_token_rotate(refresh)
    except tokens.RefreshTokenReused as reuse:
        tokens.refresh_tokens_revoke_all(user=reuse.user)
        audit_record(event=Event.REFRESH_TOKEN_REUSED, request=request, user=reuse.user)
        raise
    return {"access": str(new_refresh.access_token), "refresh": str(new_refresh)}


def token_revoke(*, refresh: str) -> None:
    """Log out an API client by killing its refresh token."""
    tokens.refresh_token_revoke(refresh)
