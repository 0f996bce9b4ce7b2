"""The database keeps each owner's TaskCounts row (migration 0007), whichever way a write
comes: the ORM, bulk_create, queryset .update() and .delete(), raw SQL. On SQLite and on
PostgreSQL alike (the suite runs on both)."""

import pytest
from django.db import connection
from django.utils import timezone

from tasks import counts
from tasks.models import Task, TaskCounts
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def kept(owner) -> tuple[int, ...]:
    row = TaskCounts.objects.get(owner=owner)
    return tuple(getattr(row, bucket) for bucket in TaskCounts.BUCKETS)


def recounted(owner) -> tuple[int, ...]:
    """What counting the owner's rows gives (todo, in_progress, done, archived)."""
    tasks = Task.objects.filter(owner=owner)
    current = tasks.filter(archived_at__isnull=True)
    return (
        current.filter(status="todo").count(),
        current.filter(status="in_progress").count(),
        current.filter(status="done").count(),
        tasks.filter(archived_at__isnull=False).count(),
    )


def test_bulk_writes_move_the_counts_without_any_python_code():
    owner, other = UserFactory(), UserFactory()
    Task.objects.bulk_create(
        [Task(owner=owner, title=f"t{n}") for n in range(7)]
        + [Task(owner=other, title="theirs", status="done")]
    )
    assert kept(owner) == (7, 0, 0, 0)
    assert kept(other) == (0, 0, 1, 0)

    Task.objects.filter(owner=owner, title__in=["t0", "t1", "t2"]).update(status="done")
    Task.objects.filter(owner=owner, title="t3").update(status="in_progress")
    assert kept(owner) == (3, 1, 3, 0) == recounted(owner)

    Task.objects.filter(owner=owner, status="done").update(archived_at=timezone.now())
    assert kept(owner) == (3, 1, 0, 3) == recounted(owner)

    Task.objects.filter(owner=owner, title__in=["t0", "t4"]).delete()
    assert kept(owner) == recounted(owner) == (2, 1, 0, 2)
    assert kept(other) == (0, 0, 1, 0)  # nobody else's row moved


def test_moving_a_task_to_another_owner_moves_it_between_their_counts():
    owner, other = UserFactory(), UserFactory()
    task = Task.objects.create(owner=owner, title="Hand over")
    Task.objects.filter(pk=task.pk).update(owner=other)
    assert kept(owner) == (0, 0, 0, 0)
    assert kept(other) == (1, 0, 0, 0)


def test_a_title_edit_leaves_the_counts_as_they_were():
    owner = UserFactory()
    task = Task.objects.create(owner=owner, title="Draft", status="in_progress")
    Task.objects.filter(pk=task.pk).update(title="Final")
    task.refresh_from_db()
    task.description = "saved whole, every column written"
    task.save()
    assert kept(owner) == (0, 1, 0, 0)


def test_raw_sql_writes_are_counted_too():
    owner = UserFactory()
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tasks_task (owner_id, title, description, status, priority,"
            " created_at, updated_at, version) VALUES (%s, 'raw', '', 'todo', 2, %s, %s, 1)",
            [owner.pk, now, now],
        )
    assert kept(owner) == (1, 0, 0, 0)


def test_an_owner_without_a_counts_row_is_counted_from_their_rows():
    """A user made without signals (bulk_create, fixtures) has no row: nothing is made for
    them behind their back, and their lists still show the right totals."""
    (owner,) = type(UserFactory()).objects.bulk_create([UserFactory.build()])
    Task.objects.bulk_create([Task(owner=owner, title=f"t{n}") for n in range(3)])
    assert not TaskCounts.objects.filter(owner=owner).exists()
    assert counts.counts_of(owner.pk).current == 3
