"""The task list's fast read path (issue 6): what it answers must not change, only its cost.

Two queries a page once the user and the count are cached, whatever the page size; the
cached count follows every write; rows and model instances answer the same values;
cursor pages walk every task exactly once.
"""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from tasks import cache, selectors, services
from tasks.filters import TaskFilter
from tasks.models import Tag, Task

pytestmark = pytest.mark.django_db

TASKS = reverse("tasks-api:task-list")
ME = reverse("auth-api:me")


def page_queries(page: int) -> int:
    """A page's rows and their tag names, the user and the count coming from the cache.

    PostgreSQL reads every page's tag names with its rows, in one query (a later page
    picks its ids in a subquery). Elsewhere tag names take a query of their own.
    """
    return 1 if connection.vendor == "postgresql" else 2


def many(owner, count: int) -> list[Task]:
    tags = [Tag.objects.create(owner=owner, name=name) for name in ("b", "a")]
    tasks = Task.objects.bulk_create([Task(owner=owner, title=f"T{n}") for n in range(count)])
    Task.tags.through.objects.bulk_create(
        [Task.tags.through(task=task, tag=tag) for task in tasks for tag in tags]
    )
    cache.owners_changed(owner_ids=[owner.pk])
    return tasks


def count_of(client, **params) -> int:
    response = client.get(TASKS, params)
    assert response.status_code == 200, response.content
    return response.json()["count"]


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_a_pages_queries_do_not_grow_with_its_size(
    jwt_client, user, django_assert_num_queries, page_size
):
    many(user, 210)
    assert count_of(jwt_client, tag="a") == 210  # caches the user and this count
    with django_assert_num_queries(page_queries(2)):
        response = jwt_client.get(TASKS, {"page_size": page_size, "tag": "a", "page": 2})
    body = response.json()
    assert body["count"] == 210
    assert len(body["results"]) == page_size
    assert all(row["tags"] == ["a", "b"] for row in body["results"])  # sorted by name


def test_parameters_that_filter_nothing_share_the_cached_count(
    jwt_client, user, django_assert_num_queries
):
    many(user, 30)
    assert count_of(jwt_client, tag="a") == 30
    # Paging, sorting and a client's cache-buster change which rows, never how many.
    for n, extra in enumerate([{"_": "1700000000"}, {"ordering": "-due_date"}, {"page_size": 7}]):
        with django_assert_num_queries(page_queries(n + 1)):  # no COUNT
            assert count_of(jwt_client, tag="a", **extra, page=n + 1) == 30
    with django_assert_num_queries(page_queries(1) + 1):  # another filter: counted
        assert count_of(jwt_client, tag="b", _="1700000000") == 30


def test_the_unfiltered_count_is_cached_but_junk_never_stores_it(
    jwt_client, user, django_assert_num_queries
):
    many(user, 30)
    assert jwt_client.get(ME).status_code == 200  # caches the user
    with django_assert_num_queries(page_queries(2) + 1):  # junk: the counts row is read
        assert count_of(jwt_client, page=2, page_size=7, _="1") == 30
    with django_assert_num_queries(page_queries(3) + 1):  # ... and was not stored
        assert count_of(jwt_client, page=3, page_size=7, _="2") == 30
    assert count_of(jwt_client) == 30  # a clean query string stores it
    with django_assert_num_queries(page_queries(2)):  # every page, junk or not, reads it
        assert count_of(jwt_client, page=2, page_size=7, _="3") == 30
    services.task_create(owner=user, title="One more")
    assert count_of(jwt_client, page=2, page_size=7) == 31


def test_the_count_follows_every_write(jwt_client, user):
    first, second = (services.task_create(owner=user, title=t, tags=["x"]) for t in "AB")
    assert count_of(jwt_client) == 2
    assert count_of(jwt_client, tag="x") == 2
    assert count_of(jwt_client, status="done") == 0

    assert jwt_client.post(TASKS, {"title": "C"}, format="json").status_code == 201
    assert count_of(jwt_client) == 3
    services.task_complete(task=first)
    assert count_of(jwt_client, status="done") == 1
    services.task_delete(task=second)
    assert count_of(jwt_client) == 2
    services.tag_rename(tag=Tag.objects.get(owner=user, name="x"), name="y")
    assert count_of(jwt_client, tag="x") == 0
    assert count_of(jwt_client, tag="y") == 1


def test_one_users_writes_and_counts_never_touch_anothers(jwt_client, user, other_user):
    services.task_create(owner=user, title="Mine")
    assert count_of(jwt_client) == 1
    services.task_create(owner=other_user, title="Theirs")
    assert count_of(jwt_client) == 1


def test_counts_of_due_filters_move_with_the_day(user, monkeypatch):
    services.task_create(owner=user, title="Due on the 2nd", due_date=date(2030, 1, 2))
    filters = QueryDict("due=today")

    def count_on(day: date) -> int:
        monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: day)
        tasks = selectors.task_list(user=user, filters=filters)
        return selectors.task_count(user=user, filters=filters, tasks=tasks)

    assert count_on(date(2030, 1, 1)) == 0
    assert count_on(date(2030, 1, 2)) == 1  # not the cached 0 of the day before


def test_list_detail_and_cursor_answer_the_same_documented_values(jwt_client, user):
    account_services.user_update(user=user, timezone="Asia/Kolkata")  # +05:30, not "Z"
    task = services.task_create(
        owner=user,
        title="Everything set",
        description="<b>kept as text</b>",
        priority=Task.Priority.HIGH,
        due_date=date(2030, 5, 17),
        tags=["zeta", "Alpha"],
    )
    services.task_complete(task=task)
    services.task_create(owner=user, title="Nothing set")
    listed = jwt_client.get(TASKS).json()["results"]
    done = listed[1]
    assert done["priority"] == "high"
    assert done["status"] == "done"
    assert done["due_date"] == "2030-05-17"
    assert done["tags"] == ["Alpha", "zeta"]
    assert done["description"] == "<b>kept as text</b>"
    assert done["completed_at"].endswith("+05:30")  # in the user's zone
    assert done["archived_at"] is None
    assert listed[0]["due_date"] is None and listed[0]["tags"] == []
    assert listed[0]["priority"] == "medium"
    detail = jwt_client.get(reverse("tasks-api:task-detail", args=[task.pk])).json()
    assert detail == done  # from a row dict, like the list
    by_cursor = jwt_client.get(TASKS, {"cursor": ""}).json()["results"]
    assert by_cursor == listed  # from model instances


def test_cursor_pages_walk_every_task_once(jwt_client, user):
    tasks = many(user, 45)
    Task.objects.filter(pk__in=[t.pk for t in tasks[:10]]).update(created_at=timezone.now())
    seen, url, pages = [], TASKS + "?cursor=&page_size=20", 0
    while url:
        body = jwt_client.get(url).json()
        assert body["count"] == 45
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    newest_first = Task.objects.filter(owner=user).order_by("-created_at", "-id")
    assert seen == list(newest_first.values_list("id", flat=True))


def test_cursor_sync_lists_what_changed_since_the_last_sync(jwt_client, user):
    old, changed = (services.task_create(owner=user, title=t) for t in ("Old", "Changed"))
    since = timezone.now()
    Task.objects.filter(pk=old.pk).update(updated_at=since - timedelta(hours=1))
    services.task_update(task=changed, title="Changed again")
    body = jwt_client.get(
        TASKS, {"cursor": "", "ordering": "updated_at", "updated_after": since.isoformat()}
    ).json()
    assert [row["title"] for row in body["results"]] == ["Changed again"]


@pytest.mark.parametrize("ordering", ["due_date", "-priority"])
def test_cursor_pages_refuse_an_order_they_cannot_follow(jwt_client, user, ordering):
    response = jwt_client.get(TASKS, {"cursor": "", "ordering": ordering})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_a_broken_cursor_is_a_400_naming_cursor(jwt_client, user):
    response = jwt_client.get(TASKS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json() == {"cursor": ["Invalid cursor"]}


@pytest.mark.parametrize("params", ["", "page=2", "page_size=5&cursor="])
def test_a_list_without_filters_skips_the_filter_set_but_not_its_rules(user, params):
    services.task_create(owner=user, title="Archived")
    Task.objects.filter(owner=user).update(archived_at=timezone.now())
    services.task_create(owner=user, title="Listed")
    fast = selectors.task_list(user=user, filters=QueryDict(params))
    bound = TaskFilter(data=QueryDict(params), queryset=Task.objects.filter(owner=user)).qs
    assert list(fast) == list(bound)
    assert [task.title for task in fast] == ["Listed"]


def test_a_task_takes_one_read_and_keeps_its_etag(jwt_client, user, django_assert_num_queries):
    task = services.task_create(owner=user, title="One", tags=["b", "a"])
    jwt_client.get(ME)  # caches the signed-in user
    detail = reverse("tasks-api:task-detail", args=[task.pk])
    with django_assert_num_queries(page_queries(1)):  # the row and its tag names
        response = jwt_client.get(detail)
    assert response["ETag"] == f'"{task.pk}-1"'
    assert response.json()["tags"] == ["a", "b"]
    assert jwt_client.get(detail, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_an_answer_seen_before_takes_no_query_until_a_write(
    jwt_client, user, django_assert_num_queries
):
    task = services.task_create(owner=user, title="Cached")
    detail = reverse("tasks-api:task-detail", args=[task.pk])
    first_list, first_task = jwt_client.get(TASKS).json(), jwt_client.get(detail)
    with django_assert_num_queries(0):
        assert jwt_client.get(TASKS).json() == first_list
        again = jwt_client.get(detail)
        assert jwt_client.get(detail, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304
    assert again.json() == first_task.json()
    services.task_update(task=task, title="Changed")
    assert jwt_client.get(TASKS).json()["results"][0]["title"] == "Changed"
    changed = jwt_client.get(detail)
    assert changed.json()["title"] == "Changed"
    assert changed["ETag"] != again["ETag"]


def test_a_cached_answer_follows_a_change_of_time_zone(jwt_client, user):
    task = services.task_create(owner=user, title="Zoned")
    detail = reverse("tasks-api:task-detail", args=[task.pk])
    assert jwt_client.get(detail).json()["created_at"].endswith("Z")
    account_services.user_update(user=user, timezone="Asia/Kolkata")
    assert jwt_client.get(detail).json()["created_at"].endswith("+05:30")


def test_cached_answers_are_never_anothers(jwt_client, user, other_user):
    services.task_create(owner=user, title="Mine only")
    assert jwt_client.get(TASKS).json()["count"] == 1
    theirs = APIClient()
    theirs.force_authenticate(other_user)
    assert theirs.get(TASKS).json()["count"] == 0


def test_a_count_taken_while_a_write_lands_is_not_served_after_it(user):
    high = QueryDict("priority=high")  # a filter the counts row can't answer: rows counted

    def count(*, write_meanwhile: bool = False) -> int:
        def build() -> int:
            tasks = selectors.task_list(user=user, filters=high)
            counted = selectors.task_count(user=user, filters=high, tasks=tasks)
            if write_meanwhile:  # another request writes between the count and its storing
                services.task_create(owner=user, title="Meanwhile", priority=Task.Priority.HIGH)
            return counted

        return cache.remembered_count(
            owner_id=user.pk,
            filters=high,
            counted=selectors.COUNTED_FILTERS,
            known=["priority"],
            build=build,
        )

    services.task_create(owner=user, title="First", priority=Task.Priority.HIGH)
    assert count(write_meanwhile=True) == 1
    assert count() == 2


def test_a_task_created_without_tags_answers_none_and_reads_later_tags(jwt_client, user):
    response = jwt_client.post(TASKS, {"title": "No tags"}, format="json")
    assert response.status_code == 201
    assert response.json()["tags"] == []
    # Tags added to the returned task afterwards are read again, not remembered as none.
    task = services.task_create(owner=user, title="Tagged later")
    tag = Tag.objects.create(owner=user, name="later")
    task.tags.add(tag)
    assert list(task.tags.all()) == [tag]
