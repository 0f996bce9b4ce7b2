"""Emails about the account, from templates/accounts/email/ (core.emails sends them)."""

from accounts.models import User
from core import emails


def send_account_email(*, user: User, template: str, context: dict) -> None:
    """Send templates/accounts/email/<template>_{subject,body}.txt to the user."""
    emails.send_user_email(user=user, template=f"accounts/email/{template}", context=context)
