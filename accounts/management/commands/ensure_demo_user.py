from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User


class Command(BaseCommand):
    help = "Create (or reset) the demo account used by `make run`, and print its credentials."

    def handle(self, *args, **options):
        email = User.objects.normalize_email(settings.DEMO_USER_EMAIL)
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": "Demo User"})
        user.set_password(settings.DEMO_USER_PASSWORD)
        user.is_active = True
        user.save()
        verb = "Created" if created else "Reset"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} demo account: email {email} / password {settings.DEMO_USER_PASSWORD}"
            )
        )
