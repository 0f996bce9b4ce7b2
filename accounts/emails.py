"""Account emails: rendered from templates/accounts/email/ and sent through Django."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from accounts.models import User


def send_account_email(*, user: User, template: str, context: dict) -> None:
    """Send templates/accounts/email/<template>_{subject,body}.txt to the user."""
    context = {"user": user, **context}
    subject = render_to_string(f"accounts/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"accounts/email/{template}_body.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
