"""How pages and the API find the signed-in user: through accounts.cache, no query.

Both keep their library's checks (active user, session hash or token revocation claim);
only where the user row comes from changes.
"""

import functools

from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from accounts.cache import user_cached_get


class CachedUserBackend(ModelBackend):
    """ModelBackend whose per-request user lookup (sessions) reads the cache first."""

    def get_user(self, user_id):
        user = user_cached_get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


# Tokens whose signature this process has verified. A client sends the same access token
# for its whole lifetime, and checking the signature is an eighth of a cached request.
VERIFIED_TOKENS_PER_PROCESS = 4096


@functools.lru_cache(maxsize=VERIFIED_TOKENS_PER_PROCESS)
def verified_token(raw_token: bytes) -> Token:
    """simplejwt's validation of this token; a failure raises and is not remembered."""
    return JWTAuthentication().get_validated_token(raw_token)


class CachedUserJWTAuthentication(JWTAuthentication):
    """simplejwt's JWTAuthentication with the user read through the cache.

    The same checks as simplejwt 5.5.1's get_user: the user exists and is active, and the
    token's revocation claim matches the current password (CHECK_REVOKE_TOKEN). A token's
    signature is verified once per process; its expiry is checked on every request.
    """

    def get_validated_token(self, raw_token: bytes) -> Token:
        token = verified_token(raw_token)
        try:
            token.check_exp(current_time=aware_utcnow())
        except TokenError:  # expired since: the library's own answer for an expired token
            return super().get_validated_token(raw_token)
        return token

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        return self.checked_user(validated_token, user_cached_get(user_id))

    @staticmethod
    def checked_user(validated_token, user):
        """`user` (the token's, or None if there is none) if the token may act for them."""
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        return user


class CachedUserJWTScheme(SimpleJWTScheme):
    """Describe CachedUserJWTAuthentication in the OpenAPI schema as simplejwt's Bearer JWT."""

    target_class = CachedUserJWTAuthentication
