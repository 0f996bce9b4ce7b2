"""PostgreSQL full-text search: stored vector kept by a trigger, prefix matching, GIN index."""

import pytest
from django.db import connection

from tasks import selectors, services
from tasks.models import Task
from tests.tasks.factories import TaskFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def titles(queryset):
    return sorted(task.title for task in queryset)


def test_prefix_search_finds_whole_words(user):
    TaskFactory(owner=user, title="Quarterly report", description="")
    TaskFactory(owner=user, title="Reply to Ann", description="")
    assert titles(selectors.task_list(user=user, filters={"search": "repo"})) == [
        "Quarterly report"
    ]
    assert titles(selectors.task_list(user=user, filters={"search": "re"})) == [
        "Quarterly report",
        "Reply to Ann",
    ]


def test_every_word_must_match_title_or_description(user):
    TaskFactory(owner=user, title="Budget review", description="with finance team")
    TaskFactory(owner=user, title="Budget draft", description="alone")
    found = selectors.task_list(user=user, filters={"search": "budg fin"})
    assert titles(found) == ["Budget review"]


def test_the_vector_follows_edits(user):
    task = services.task_create(owner=user, title="Paint fence")
    assert titles(selectors.task_list(user=user, filters={"search": "fence"})) == ["Paint fence"]
    services.task_update(task=task, title="Paint shed")
    assert titles(selectors.task_list(user=user, filters={"search": "fence"})) == []
    assert titles(selectors.task_list(user=user, filters={"search": "shed"})) == ["Paint shed"]


def test_hostile_input_is_just_words(user):
    TaskFactory(owner=user, title="Fix bug", description="")
    for text in ["fix & | ! ( ) :*", "'; drop table tasks_task; --", "fix:* | bug"]:
        assert titles(selectors.task_list(user=user, filters={"search": text})) in (
            ["Fix bug"],
            [],
        )
    assert Task.objects.count() == 1


def test_search_never_crosses_owners(user, other_user):
    TaskFactory(owner=other_user, title="Secret report")
    assert titles(selectors.task_list(user=user, filters={"search": "secret"})) == []


def test_owner_scoped_search_uses_the_gin_index(user, other_user):
    """On a seeded table the search is planned through the GIN index, never a seq scan."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tasks_task (owner_id, title, description, status, priority,
                                    created_at, updated_at, version)
            SELECT CASE WHEN n %% 2 = 0 THEN %s ELSE %s END,
                   'word' || (n %% 5000) || ' other' || (n %% 37), 'text ' || (n %% 1000),
                   'todo', 2, now() - n * interval '1 second', now(), 1
            FROM generate_series(1, 60000) AS n
            """,
            [user.pk, other_user.pk],
        )
        cursor.execute("ANALYZE tasks_task")
    plan = selectors.task_list(user=user, filters={"search": "word123"})[:20].explain()
    assert "task_owner_search" in plan
    assert "Seq Scan" not in plan
