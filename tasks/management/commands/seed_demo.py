"""Bulk-create realistic users, tags, notes and tasks for benchmarks and demos.

One million tasks take well under two minutes on PostgreSQL: rows stream in with COPY
(the search-vector trigger fills each row's tsvector on the way), and every user shares
one precomputed password hash instead of a million real hashings.
"""

import random
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from tasks import counts
from tasks.models import Note, Tag, Task

WORDS = """
report budget review draft plan call email meeting slides invoice design refactor deploy
release backup migrate database server client contract proposal hiring interview
onboarding roadmap sprint retro demo launch campaign newsletter blog article podcast
video research survey analysis forecast quarterly annual monthly weekly daily taxes
insurance doctor dentist groceries laundry garden kitchen garage repair paint fence roof
window car bike train flight hotel visa passport birthday gift party wedding dinner
lunch recipe workout yoga running swim tennis guitar piano reading book course exam
homework thesis lecture workshop conference travel packing cleanup archive inventory
order shipping returns support ticket bug feature test security audit compliance privacy
policy pricing website mobile android ios api docs
""".split()  # noqa: SIM905 (a word list reads better as prose)
TAG_NAMES = ["work", "home", "urgent", "errand", "health", "money", "family", "learning"]
STATUSES = ["todo"] * 5 + ["in_progress"] * 2 + ["done"] * 3
TASK_COLUMNS = (
    "id",
    "owner_id",
    "title",
    "description",
    "status",
    "priority",
    "due_date",
    "created_at",
    "updated_at",
    "completed_at",
    "version",
)


class Command(BaseCommand):
    help = "Seed users with tags, notes and tasks (COPY on PostgreSQL, bulk_create elsewhere)."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=10)
        parser.add_argument("--tasks-per-user", type=int, default=100)
        parser.add_argument(
            "--heavy",
            type=int,
            nargs="*",
            default=[],
            help="Extra users with exactly these task counts, e.g. --heavy 1000 100000",
        )
        parser.add_argument("--notes-per-user", type=int, default=5)
        parser.add_argument("--password", default="taskflow-demo-2024")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--batch", type=int, default=50_000)
        parser.add_argument("--no-analyze", action="store_true", help="Skip VACUUM ANALYZE.")

    def handle(self, *args, **options):
        if options["users"] < 0 or options["tasks_per_user"] < 0:
            raise CommandError("Counts must not be negative")
        started = time.monotonic()
        rng = random.Random(options["seed"])  # noqa: S311 (demo data, not secrets)
        users = self._create_users(options)
        tags = self._create_tags(users)
        plan = [(user, options["tasks_per_user"]) for user in users[: options["users"]]]
        plan += list(zip(users[options["users"] :], options["heavy"], strict=True))
        created = self._create_tasks(plan, tags, rng, options["batch"])
        self._create_notes(users, options["notes_per_user"], rng)
        counts.counts_rebuild(owner_ids=[user.pk for user in users])  # users bulk-created
        if connection.vendor == "postgresql" and not options["no_analyze"]:
            with connection.cursor() as cursor:
                for table in ("tasks_task", "tasks_task_tags", "tasks_tag", "tasks_note"):
                    cursor.execute(f"VACUUM ANALYZE {table}")
        seconds = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {len(users)} users and {created} tasks in {seconds:.1f} s "
                f"({created / max(seconds, 0.001):,.0f} tasks/s)."
            )
        )
        for user, count in plan[options["users"] :]:
            self.stdout.write(f"  heavy user {user.email}: {count} tasks")

    def _create_users(self, options) -> list[User]:
        run = f"{options['seed']}-{int(time.time())}"
        password = make_password(options["password"])  # one hash, shared by every user
        emails = [f"seed-{run}-{n}@example.com" for n in range(options["users"])]
        emails += [f"heavy-{count}-{run}@example.com" for count in options["heavy"]]
        User.objects.bulk_create(
            [
                User(email=email, full_name=f"Seed User {n}", password=password)
                for n, email in enumerate(emails)
            ],
            batch_size=5000,
        )
        by_email = {user.email: user for user in User.objects.filter(email__in=emails)}
        return [by_email[email] for email in emails]

    def _create_tags(self, users) -> dict[int, list[int]]:
        Tag.objects.bulk_create(
            [Tag(owner=user, name=name) for user in users for name in TAG_NAMES],
            batch_size=10_000,
        )
        tags: dict[int, list[int]] = {}
        for tag_id, owner_id in Tag.objects.filter(owner__in=users).values_list("id", "owner_id"):
            tags.setdefault(owner_id, []).append(tag_id)
        return tags

    def _create_tasks(self, plan, tags, rng, batch) -> int:
        total = sum(count for _, count in plan)
        first_id = self._reserve_ids(total)
        now = timezone.now()
        today = timezone.localdate()
        rows, links, created = [], [], 0
        next_id = first_id
        for user, count in plan:
            for _ in range(count):
                status = rng.choice(STATUSES)
                created_at = now - timedelta(seconds=rng.randrange(365 * 86400))
                due = today + timedelta(days=rng.randrange(-30, 60)) if rng.random() < 0.6 else None
                rows.append(
                    (
                        next_id,
                        user.pk,
                        " ".join(rng.choices(WORDS, k=rng.randint(2, 6))).capitalize(),
                        " ".join(rng.choices(WORDS, k=rng.randint(0, 20))),
                        status,
                        rng.choice((1, 2, 2, 3)),
                        due,
                        created_at,
                        created_at + timedelta(seconds=rng.randrange(86400)),
                        created_at + timedelta(days=rng.randrange(1, 10))
                        if status == "done"
                        else None,
                        1,
                    )
                )
                owner_tags = tags[user.pk]
                for tag_id in rng.sample(owner_tags, k=rng.choice((0, 1, 1, 2))):
                    links.append((next_id, tag_id))
                next_id += 1
                if len(rows) >= batch:
                    created += self._write(rows, links)
                    rows, links = [], []
        created += self._write(rows, links)
        return created

    def _reserve_ids(self, count: int) -> int:
        """A block of task ids nobody else will get, so tag links need no read-back."""
        if connection.vendor != "postgresql":
            last = Task.objects.order_by("-id").values_list("id", flat=True).first() or 0
            return last + 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_get_serial_sequence('tasks_task', 'id')")
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s)", [sequence])
            first = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, %s)", [sequence, first + max(count, 1)])
        return first

    @transaction.atomic
    def _write(self, rows, links) -> int:
        if not rows:
            return 0
        if connection.vendor == "postgresql":
            raw = connection.cursor().cursor  # psycopg's own cursor, for COPY
            with raw.copy(f"COPY tasks_task ({', '.join(TASK_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with raw.copy("COPY tasks_task_tags (task_id, tag_id) FROM STDIN") as copy:
                for link in links:
                    copy.write_row(link)
        else:
            Task.objects.bulk_create(
                [Task(**dict(zip(TASK_COLUMNS, row, strict=True))) for row in rows],
                batch_size=2000,
            )
            Task.tags.through.objects.bulk_create(
                [Task.tags.through(task_id=t, tag_id=g) for t, g in links], batch_size=5000
            )
        self.stdout.write(f"  {len(rows)} tasks written")
        return len(rows)

    def _create_notes(self, users, per_user, rng) -> None:
        Note.objects.bulk_create(
            [
                Note(
                    owner=user,
                    title=" ".join(rng.choices(WORDS, k=3)).capitalize(),
                    body=" ".join(rng.choices(WORDS, k=30)),
                )
                for user in users
                for _ in range(per_user)
            ],
            batch_size=10_000,
        )
