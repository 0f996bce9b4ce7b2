"""Recount every owner's tasks into TaskCounts: a repair after writes made around the ORM."""

from django.core.management.base import BaseCommand

from accounts.models import User
from tasks import cache, counts


class Command(BaseCommand):
    help = "Recount each user's tasks (tasks.models.TaskCounts) and retire their caches."

    def add_arguments(self, parser):
        parser.add_argument("--user", type=int, action="append", help="Only this user id.")

    def handle(self, *args, **options):
        owner_ids = options["user"] or list(User.objects.values_list("pk", flat=True))
        counts.counts_rebuild(owner_ids=owner_ids)
        cache.owners_changed(owner_ids=owner_ids)
        self.stdout.write(self.style.SUCCESS(f"Recounted the tasks of {len(owner_ids)} users."))
