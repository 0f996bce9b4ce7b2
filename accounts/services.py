"""Every write to accounts: registration, profile, passwords and API tokens."""

from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import tokens
from accounts.models import User

DUPLICATE_EMAIL_MESSAGE = "An account with this email address already exists."


def user_create(*, email: str, full_name: str, password: str) -> User:
    """Register a user; the email is unique whatever its letter case."""
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


def user_update(*, user: User, full_name: str) -> User:
    """Change the user's profile; the email address is fixed at registration."""
    user.full_name = full_name.strip()
    user.full_clean(exclude=["password"])
    user.save(update_fields=["full_name"])
    return user


def user_authenticate(*, request, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (Django's backends and signals)."""
    return authenticate(request, email=email, password=password)


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Set a new password; every refresh token dies, and other sessions with it.

    Sessions hold a hash of the password, so they stop working on their next request;
    the caller keeps its own page session with `update_session_auth_hash`.
    """
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["Your old password was entered incorrectly."]})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from error
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens.refresh_tokens_revoke_all(user=user)


def token_pair_issue(*, user: User) -> dict[str, str]:
    """A fresh access and refresh token after a password login."""
    refresh = tokens.refresh_token_mint(user=user)
    update_last_login(None, user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def token_pair_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate: the presented refresh token is spent and a new pair is returned."""
    new_refresh = tokens.refresh_token_rotate(refresh)
    return {"access": str(new_refresh.access_token), "refresh": str(new_refresh)}


def token_revoke(*, refresh: str) -> None:
    """Log out an API client by killing its refresh token."""
    tokens.refresh_token_revoke(refresh)
