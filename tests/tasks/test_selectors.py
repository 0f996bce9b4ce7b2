from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from tasks import selectors, services
from tasks.models import Task
from tests.tasks.factories import NoteFactory, TagFactory, TaskFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def titles(queryset):
    return [task.title for task in queryset]


def test_task_list_only_shows_the_users_tasks(user, other_user):
    TaskFactory(owner=user, title="Mine")
    TaskFactory(owner=other_user, title="Theirs")
    assert titles(selectors.task_list(user=user)) == ["Mine"]


def test_task_list_is_newest_first_by_default(user):
    now = timezone.now()
    TaskFactory(owner=user, title="old", created_at=now - timedelta(days=2))
    TaskFactory(owner=user, title="new", created_at=now)
    assert titles(selectors.task_list(user=user)) == ["new", "old"]


def test_task_get_is_a_404_for_another_users_task(user, other_user):
    theirs = TaskFactory(owner=other_user)
    with pytest.raises(Http404):
        selectors.task_get(user=user, pk=theirs.pk)
    assert selectors.task_get(user=other_user, pk=theirs.pk) == theirs


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "done"}, ["done-high-past"]),
        ({"priority": "high"}, ["done-high-past", "todo-high-today"]),
        ({"priority": "low"}, ["progress-low-week"]),
        ({"due": "overdue"}, ["todo-medium-past"]),
        ({"overdue": "true"}, ["todo-medium-past"]),
        (
            {"overdue": "false"},
            ["done-high-past", "todo-high-today", "progress-low-week", "no-due"],
        ),
        ({"due": "today"}, ["todo-high-today"]),
        ({"due": "week"}, ["todo-high-today", "progress-low-week"]),
        ({"due_before": "TODAY"}, ["done-high-past", "todo-medium-past", "todo-high-today"]),
        ({"due_after": "TODAY"}, ["todo-high-today", "progress-low-week"]),
        ({"tag": "WORK"}, ["todo-high-today"]),
        ({"status": "todo", "priority": "high"}, ["todo-high-today"]),
    ],
)
def test_task_list_filters(user, filters, expected):
    today = TODAY()
    TaskFactory(
        owner=user, title="done-high-past", status="done", priority=3, due_date=today - timedelta(1)
    )
    TaskFactory(owner=user, title="todo-medium-past", due_date=today - timedelta(1))
    TaskFactory(owner=user, title="todo-high-today", priority=3, due_date=today, tags=["Work"])
    TaskFactory(
        owner=user,
        title="progress-low-week",
        status="in_progress",
        priority=1,
        due_date=today + timedelta(6),
    )
    TaskFactory(owner=user, title="no-due", due_date=None, priority=2)
    filters = {k: (today.isoformat() if v == "TODAY" else v) for k, v in filters.items()}
    assert sorted(titles(selectors.task_list(user=user, filters=filters))) == sorted(expected)


def test_filters_never_reach_another_users_tasks(user, other_user):
    TaskFactory(owner=other_user, title="Theirs", tags=["work"])
    assert titles(selectors.task_list(user=user, filters={"tag": "work"})) == []


def test_updated_after_returns_tasks_changed_since(user):
    task = TaskFactory(owner=user, title="changed")
    TaskFactory(owner=user, title="untouched", updated_at=timezone.now() - timedelta(days=1))
    since = timezone.now() - timedelta(hours=1)
    services.task_update(task=task, title="changed")
    found = selectors.task_list(user=user, filters={"updated_after": since.isoformat()})
    assert titles(found) == ["changed"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("priority", ["low", "medium", "high"]),
        ("-priority", ["high", "medium", "low"]),
        ("due_date", ["medium", "high", "low"]),
        ("-due_date", ["high", "medium", "low"]),
        ("created_at", ["low", "medium", "high"]),
        ("-created_at", ["high", "medium", "low"]),
        ("-updated_at", ["medium", "low", "high"]),
    ],
)
def test_task_list_orderings(user, ordering, expected):
    now, today = timezone.now(), TODAY()
    TaskFactory(
        owner=user,
        title="low",
        priority=1,
        due_date=None,
        created_at=now - timedelta(3),
        updated_at=now - timedelta(2),
    )
    TaskFactory(
        owner=user,
        title="medium",
        priority=2,
        due_date=today,
        created_at=now - timedelta(2),
        updated_at=now,
    )
    TaskFactory(
        owner=user,
        title="high",
        priority=3,
        due_date=today + timedelta(1),
        created_at=now - timedelta(1),
        updated_at=now - timedelta(3),
    )
    assert titles(selectors.task_list(user=user, filters={"ordering": ordering})) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "someday"},
        {"priority": "urgent"},
        {"due": "tomorrow"},
        {"due_before": "31/12/2026"},
        {"updated_after": "yesterday"},
        {"ordering": "owner"},
        {"overdue": "maybe"},
    ],
)
def test_invalid_filters_raise_validation_error_naming_the_field(user, filters):
    with pytest.raises(ValidationError) as raised:
        list(selectors.task_list(user=user, filters=filters))
    assert set(raised.value.message_dict) == set(filters)


def test_search_matches_title_and_description_on_any_database(user):
    TaskFactory(owner=user, title="Quarterly report", description="")
    TaskFactory(owner=user, title="Groceries", description="buy milk for the report party")
    TaskFactory(owner=user, title="Unrelated", description="nothing here")
    found = selectors.task_list(user=user, filters={"search": "report"})
    assert sorted(titles(found)) == ["Groceries", "Quarterly report"]
    assert titles(selectors.task_list(user=user, filters={"search": "quarterly report"})) == [
        "Quarterly report"
    ]


def test_search_ignores_punctuation_and_empty_input(user):
    TaskFactory(owner=user, title="Plan: trip!")
    assert titles(selectors.task_list(user=user, filters={"search": "trip!&|:*"})) == [
        "Plan: trip!"
    ]
    assert len(selectors.task_list(user=user, filters={"search": "  !!  "})) == 1


def test_task_list_uses_two_queries_whatever_the_number_of_rows(user, django_assert_num_queries):
    for n in range(30):
        TaskFactory(owner=user, tags=[f"t{n % 3}", "shared"])
    with django_assert_num_queries(2):  # tasks, then their tags
        rows = list(selectors.task_list(user=user))
        assert all(len(task.tags.all()) == 2 for task in rows)


def test_task_stats_counts(user, other_user):
    today = TODAY()
    TaskFactory(owner=user, status="done", priority=3, due_date=today - timedelta(1))
    TaskFactory(owner=user, status="todo", priority=1, due_date=today - timedelta(1))
    TaskFactory(owner=user, status="in_progress", priority=3, due_date=today)
    TaskFactory(owner=user, status="todo", priority=2, due_date=today + timedelta(3))
    TaskFactory(owner=other_user, status="todo", due_date=today)
    assert selectors.task_stats(user=user) == {
        "total": 4,
        "by_status": {"todo": 2, "in_progress": 1, "done": 1},
        "by_priority": {"low": 1, "medium": 1, "high": 2},
        "overdue": 1,
        "due_today": 1,
        "due_this_week": 2,
    }


def test_completions_per_day_covers_fourteen_days_with_zeros(user):
    now = timezone.now()
    TaskFactory(owner=user, status="done", completed_at=now)
    TaskFactory(owner=user, status="done", completed_at=now)
    TaskFactory(owner=user, status="done", completed_at=now - timedelta(days=3))
    TaskFactory(owner=user, status="done", completed_at=now - timedelta(days=30))
    per_day = selectors.task_completions_per_day(user=user)
    assert len(per_day) == 14
    assert per_day[-1] == (TODAY(), 2)
    assert dict(per_day)[TODAY() - timedelta(days=3)] == 1
    assert sum(count for _, count in per_day) == 3


def test_recently_completed_is_newest_first(user):
    now = timezone.now()
    TaskFactory(owner=user, title="earlier", status="done", completed_at=now - timedelta(1))
    TaskFactory(owner=user, title="latest", status="done", completed_at=now)
    TaskFactory(owner=user, title="open")
    assert titles(selectors.task_recently_completed(user=user)) == ["latest", "earlier"]


def test_tag_list_counts_usage(user, other_user):
    TaskFactory(owner=user, tags=["a"])
    TaskFactory(owner=user, tags=["a", "b"])
    note = NoteFactory(owner=user)
    note.tags.set([user.tags.get(name="a")])
    TagFactory(owner=other_user, name="a")
    counts = {t.name: (t.task_count, t.note_count) for t in selectors.tag_list(user=user)}
    assert counts == {"a": (2, 1), "b": (1, 0)}


def test_note_list_is_scoped_and_searchable(user, other_user):
    NoteFactory(owner=user, title="Meeting minutes", body="agenda")
    NoteFactory(owner=user, title="Recipe", body="pancakes and minutes of rest")
    NoteFactory(owner=other_user, title="Meeting minutes")
    assert len(selectors.note_list(user=user)) == 2
    found = selectors.note_list(user=user, filters={"search": "meeting"})
    assert [n.title for n in found] == ["Meeting minutes"]
    with pytest.raises(Http404):
        selectors.note_get(user=user, pk=NoteFactory(owner=other_user).pk)


def test_task_status_choices_are_the_three_states():
    assert [s.value for s in Task.Status] == ["todo", "in_progress", "done"]
