"""JWT refresh-token minting and rotation (simplejwt), kept behind accounts.services."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from accounts.models import SpentRefreshToken, User

# When the password login that started this chain of refresh tokens happened.
AUTH_TIME_CLAIM = "auth_time"


def refresh_token_mint(*, user: User, auth_time: int | None = None) -> RefreshToken:
    """A new outstanding refresh token, bound to the user's current password."""
    token = RefreshToken()
    token[api_settings.USER_ID_CLAIM] = str(user.pk)
    # simplejwt's CHECK_REVOKE_TOKEN claim: a password change kills access tokens too.
    token[api_settings.REVOKE_TOKEN_CLAIM] = get_md5_hash_password(user.password)
    token[AUTH_TIME_CLAIM] = (
        auth_time if auth_time is not None else int(token.current_time.timestamp())
    )
    # Rotation never extends a chain beyond JWT_REFRESH_MAX_DAYS after the login.
    chain_end = datetime_from_epoch(token[AUTH_TIME_CLAIM]) + timedelta(
        days=settings.JWT_REFRESH_MAX_DAYS
    )
    if chain_end < datetime_from_epoch(token["exp"]):
        token["exp"] = int(chain_end.timestamp())
    OutstandingToken.objects.create(
        user=user,
        jti=token[api_settings.JTI_CLAIM],
        token=str(token),
        created_at=token.current_time,
        expires_at=datetime_from_epoch(token["exp"]),
    )
    return token


class RefreshTokenReused(TokenError):
    """A refresh token already spent by rotation came back: it was copied."""

    def __init__(self, user: User):
        super().__init__("Token has already been used")
        self.user = user


class _UncheckedBlacklistRefreshToken(RefreshToken):
    """Checks signature, type and expiry; the blacklist is read under the row lock."""

    def check_blacklist(self) -> None:
        pass


def refresh_token_rotate(raw_token: str) -> RefreshToken:
    """Spend a refresh token once and mint its successor.

    The outstanding row is locked so two parallel refreshes of one token cannot both
    succeed; the loser sees the blacklist entry the winner wrote. Raises
    RefreshTokenReused for a token that rotation already spent.
    """
    token = _UncheckedBlacklistRefreshToken(raw_token)
    with transaction.atomic():
        # order_by(): the model's default ordering joins the nullable user FK,
        # which PostgreSQL cannot lock.
        outstanding = (
            OutstandingToken.objects.select_for_update()
            .filter(jti=token[api_settings.JTI_CLAIM])
            .order_by()
            .first()
        )
        if outstanding is None:
            raise TokenError("Token is invalid")
        if BlacklistedToken.objects.filter(token=outstanding).exists():
            spent = SpentRefreshToken.objects.filter(jti=outstanding.jti).first()
            if spent is not None:
                raise RefreshTokenReused(spent.user)
            raise TokenError("Token is blacklisted")
        user = refresh_token_user(token)
        BlacklistedToken.objects.create(token=outstanding)
        SpentRefreshToken.objects.create(
            jti=outstanding.jti, user=user, expires_at=outstanding.expires_at
        )
        return refresh_token_mint(user=user, auth_time=token.get(AUTH_TIME_CLAIM))


def refresh_token_user(token: RefreshToken) -> User:
    """The active user a refresh token belongs to, if their password is unchanged."""
    user = User.objects.filter(pk=token.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None:
        raise TokenError("No active account found for the given token")
    if token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
        raise TokenError("The user's password has been changed")
    return user


def refresh_token_revoke(raw_token: str) -> None:
    """Blacklist one refresh token (logout)."""
    RefreshToken(raw_token).blacklist()


def refresh_tokens_revoke_all(*, user: User) -> int:
    """Blacklist every unexpired refresh token of the user; returns how many."""
    alive = OutstandingToken.objects.filter(
        user=user, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True
    )
    entries = [BlacklistedToken(token=outstanding) for outstanding in alive]
    BlacklistedToken.objects.bulk_create(entries, ignore_conflicts=True)
    return len(entries)
