"""Print a staff member's two-factor enrolment link (accounts.services.staff_enrolment).

    python manage.py staff_enrolment_link admin@example.com [--base-url https://taskflow.example.com]

For the first superuser, who has nobody to ask, and for anyone with shell access; verified
superusers can also make one in the admin (Users: "Create a two-factor enrolment link").
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from accounts.models import User
from accounts.services.staff_enrolment import staff_enrolment_token


class Command(BaseCommand):
    help = "Print a staff member's single-use two-factor enrolment link."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--base-url", default="", help="e.g. https://taskflow.example.com")

    def handle(self, *args, email, base_url, **options):
        user = User.objects.filter(email=User.objects.normalize_email(email)).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff account has the address {email!r}.")
        if user.two_factor_enabled:
            raise CommandError(f"{user.email} has two-factor authentication on already.")
        path = reverse("accounts:staff-enrolment", args=[staff_enrolment_token(user=user)])
        hours = settings.STAFF_ENROLMENT_LINK_HOURS
        self.stdout.write(f"{base_url.rstrip('/')}{path}")
        self.stderr.write(
            f"Valid for {hours} hours, once. {user.email} signs in with their password, "
            "opens the link and turns on two-factor authentication; the admin then opens."
        )
