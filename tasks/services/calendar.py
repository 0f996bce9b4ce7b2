"""The secret of a user's calendar feed."""

from accounts.models import User, new_calendar_token


def calendar_token_regenerate(*, user: User) -> str:
    """Give the user a new calendar feed secret; the old feed URL then answers 404."""
    user.calendar_token = new_calendar_token()
    user.save(update_fields=["calendar_token"])
    return user.calendar_token
