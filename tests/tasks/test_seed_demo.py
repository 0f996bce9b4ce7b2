import pytest
from django.core.management import call_command
from django.db.models import F

from accounts.models import User
from tasks import selectors
from tasks.models import Note, Tag, Task

pytestmark = pytest.mark.django_db(transaction=True)


def test_seed_demo_creates_users_tasks_tags_and_notes_with_one_password_hash():
    call_command(
        "seed_demo", "--users", "3", "--tasks-per-user", "40", "--heavy", "120", "--no-analyze"
    )
    users = list(User.objects.order_by("id"))
    assert len(users) == 4
    assert len({user.password for user in users}) == 1  # hashed once, shared
    assert users[0].check_password("taskflow-demo-2024")
    counts = sorted(Task.objects.filter(owner=user).count() for user in users)
    assert counts == [40, 40, 40, 120]
    assert Note.objects.count() == 4 * 5
    assert Tag.objects.filter(owner=users[0]).count() == 8
    assert Task.tags.through.objects.exists()
    # Tag links never cross owners.
    assert not Task.tags.through.objects.exclude(tag__owner=F("task__owner")).exists()
    statuses = set(Task.objects.values_list("status", flat=True))
    assert statuses == {"todo", "in_progress", "done"}
    assert not Task.objects.filter(status="done", completed_at__isnull=True).exists()


@pytest.mark.postgres
def test_seeded_tasks_are_searchable_on_postgres():
    call_command("seed_demo", "--users", "1", "--tasks-per-user", "300", "--no-analyze")
    user = User.objects.get()
    word = Task.objects.filter(owner=user).first().title.split()[0].lower()
    assert selectors.task_list(user=user, filters={"search": word}).exists()
