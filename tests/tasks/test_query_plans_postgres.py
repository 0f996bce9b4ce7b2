"""The API task list's queries are planned through indexes on a large table, never a seq scan.

A module-scoped fixture commits ~66,000 tasks of ten owners (one owns 30,000), their tags
and ~100,000 tag links, ANALYZEs them and deletes it all at the end. Each test EXPLAINs the
SQL and parameters the selectors run: QuerySet.explain() for the list page; for the count
and task_rows' tag-name query, which the selectors run themselves, each query as executed.
"""

import re

import pytest
from django.db import connection
from django.http import QueryDict

from accounts.models import User
from tasks import selectors
from tasks.models import Task
from tests.accounts.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

HEAVY_TASKS = 30_000
LIGHT_OWNERS = 9
LIGHT_TASKS = 4_000
TAGS_PER_OWNER = 12
PAGE = 20
OWNERS = ["heavy", "light"]

# One task in 1,000 is a "report" (30 of the heavy owner's): a search narrows the list.
# A third are done, a tenth of those archived; a quarter have no due date.
SEED_TASKS = """
INSERT INTO tasks_task (owner_id, title, description, status, priority, due_date,
                        created_at, updated_at, completed_at, archived_at, version)
SELECT %(owner)s,
       CASE WHEN n %% 1000 = 0 THEN 'Quarterly report ' || n
            ELSE 'Task ' || n || ' word' || (n %% 5000) END,
       'text ' || (n %% 1000) || ' other' || (n %% 37),
       s.status,
       1 + (n / 3) %% 3,
       CASE WHEN n %% 4 = 0 THEN NULL ELSE current_date + (n %% 400 - 200) END,
       now() - n * interval '1 minute',
       now() - n * interval '1 minute' + (n %% 90) * interval '1 hour',
       CASE WHEN s.status = 'done' THEN now() - n * interval '30 second' END,
       CASE WHEN s.status = 'done' AND n %% 10 = 0 THEN now() - interval '1 day' END,
       1
FROM generate_series(1, %(count)s) AS n,
     LATERAL (SELECT (ARRAY['todo', 'in_progress', 'done'])[1 + n %% 3] AS status) AS s
"""
SEED_TAGS = """
INSERT INTO tasks_tag (owner_id, name, created_at)
SELECT owner, 'tag' || k, now()
FROM unnest(%(owners)s::bigint[]) AS owner, generate_series(1, %(tags)s) AS k
"""
# One or two tags a task: a through table far too big to read in full for 20 tasks.
SEED_LINKS = """
INSERT INTO tasks_task_tags (task_id, tag_id)
SELECT task.id, tags.ids[1 + (task.id + k) %% cardinality(tags.ids)]
FROM tasks_task AS task
JOIN (SELECT owner_id, array_agg(id ORDER BY id) AS ids FROM tasks_tag
      WHERE owner_id = ANY(%(owners)s::bigint[]) GROUP BY owner_id) AS tags USING (owner_id),
     generate_series(0, 1) AS k
WHERE k = 0 OR task.id %% 2 = 0
"""
UNSEED = [
    "DELETE FROM tasks_task_tags WHERE tag_id IN "
    "(SELECT id FROM tasks_tag WHERE owner_id = ANY(%(owners)s::bigint[]))",
    "DELETE FROM tasks_task WHERE owner_id = ANY(%(owners)s::bigint[])",
    "DELETE FROM tasks_tag WHERE owner_id = ANY(%(owners)s::bigint[])",
]

# "Parallel Seq Scan on tasks_task" too; not "Seq Scan on tasks_task_tags" (\b after _).
SEQ_SCAN_ON_TASKS = re.compile(r"Seq Scan on tasks_task\b")
SEQ_SCAN_ON_LINKS = re.compile(r"Seq Scan on tasks_task_tags\b")
# Scans that return rows in index order, and bitmap scans (unordered; GIN has only those).
ORDERED_SCAN = re.compile(r"Index (?:Only )?Scan (?:Backward )?using (\w+) on (\w+)")
BITMAP_SCAN = re.compile(r"Bitmap Index Scan on (\w+)")
# A Sort node (not "Incremental Sort", not a "Sort Key:" line): rows read, then sorted.
FULL_SORT = re.compile(r"^(?:\s*->)?\s*Sort\s+\(cost", re.MULTILINE)


@pytest.fixture(scope="module")
def owners(django_db_setup, django_db_blocker):
    """{"heavy": the owner of 30,000 tasks, "light": one of 4,000}, committed; removed after."""
    with django_db_blocker.unblock():
        users = [UserFactory() for _ in range(1 + LIGHT_OWNERS)]
    pks = [user.pk for user in users]
    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            for user, count in zip(
                users, [HEAVY_TASKS] + [LIGHT_TASKS] * LIGHT_OWNERS, strict=True
            ):
                cursor.execute(SEED_TASKS, {"owner": user.pk, "count": count})
            cursor.execute(SEED_TAGS, {"owners": pks, "tags": TAGS_PER_OWNER})
            cursor.execute(SEED_LINKS, {"owners": pks})
            # New GIN entries wait in a pending list that every search reads in full (so
            # the planner avoids the index) until VACUUM merges them, as autovacuum soon
            # would. Merge only that: no VACUUM, so no index-only scans for free.
            cursor.execute("SELECT gin_clean_pending_list('task_owner_search'::regclass)")
            cursor.execute("ANALYZE tasks_task, tasks_tag, tasks_task_tags")
        yield {"heavy": users[0], "light": users[1]}
    finally:
        with django_db_blocker.unblock():
            with connection.cursor() as cursor:
                for statement in UNSEED:
                    cursor.execute(statement, {"owners": pks})
            User.objects.filter(pk__in=pks).delete()


def page_rows(user, query: str):
    """The first page's rows as task_rows reads them (the API list's read path)."""
    page = selectors.task_list(user=user, filters=QueryDict(query))[:PAGE]
    return page.prefetch_related(None).values(*selectors.TASK_ROW_FIELDS)


def plans_of(read) -> list[str]:
    """The EXPLAIN of every query `read()` runs, with the SQL and parameters it runs."""
    plans = []

    def explain_first(execute, sql, params, many, context):
        driver_cursor = context["cursor"].cursor  # bypasses this wrapper
        driver_cursor.execute(f"EXPLAIN {sql}", params)
        plans.append("\n".join(row[0] for row in driver_cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain_first):
        read()
    return plans


def ordered_scans(plan: str, table: str = "tasks_task") -> set[str]:
    return {index for index, on in ORDERED_SCAN.findall(plan) if on == table}


def all_scans(plan: str, table: str = "tasks_task") -> set[str]:
    return ordered_scans(plan, table) | set(BITMAP_SCAN.findall(plan))


def test_the_seed_is_as_large_as_the_plans_assume(owners):
    assert Task.objects.filter(owner=owners["heavy"]).count() == HEAVY_TASKS
    assert Task.objects.count() >= HEAVY_TASKS + LIGHT_OWNERS * LIGHT_TASKS
    assert Task.tags.through.objects.count() >= HEAVY_TASKS + LIGHT_OWNERS * LIGHT_TASKS


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("", "task_owner_current"),
        ("ordering=created_at", "task_owner_current"),
        ("ordering=-priority", "task_owner_priority"),
        ("ordering=priority", "task_owner_priority"),
        ("ordering=due_date", "task_owner_due"),
        ("ordering=-due_date", "task_owner_due_desc"),
        ("ordering=-updated_at", "task_owner_updated"),
        ("ordering=updated_at", "task_owner_updated"),
        ("status=done", "task_owner_status"),
    ],
    ids=lambda value: value or "default",
)
def test_a_list_page_reads_its_rows_in_order_from_an_owner_index(owners, owner, query, index):
    """The page's 20 rows come off the owner's index in (nearly) list order: no table scan
    and no sort of all the owner's rows (an Incremental Sort of ties is fine)."""
    plan = page_rows(owners[owner], query).explain()
    assert not SEQ_SCAN_ON_TASKS.search(plan), plan
    assert index in ordered_scans(plan), plan
    assert all(name.startswith("task_owner") for name in ordered_scans(plan)), plan
    assert not FULL_SORT.search(plan), plan


@pytest.mark.parametrize("owner", OWNERS)
def test_a_search_finds_its_rows_through_the_gin_index(owners, owner):
    rows = page_rows(owners[owner], "search=report")
    assert rows and all("report" in row["title"] for row in rows)
    plan = rows.explain()
    assert not SEQ_SCAN_ON_TASKS.search(plan), plan
    assert "task_owner_search" in BITMAP_SCAN.findall(plan), plan


@pytest.mark.parametrize("owner", OWNERS)
def test_a_search_for_a_word_in_every_task_walks_an_owner_index(owners, owner):
    """Every task matches "text": reading the list's index until 20 match beats the GIN."""
    plan = page_rows(owners[owner], "search=text").explain()
    assert not SEQ_SCAN_ON_TASKS.search(plan), plan
    scans = all_scans(plan)
    assert scans and all(name.startswith("task_owner") for name in scans), plan


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize(
    "query", ["", "status=done", "archived=true"], ids=lambda value: value or "default"
)
def test_the_lists_asked_most_read_the_owners_counts_row_not_their_tasks(owners, owner, query):
    user, filters = owners[owner], QueryDict(query)
    tasks = selectors.task_list(user=user, filters=filters)
    (plan,) = plans_of(lambda: selectors.task_count(user=user, filters=filters, tasks=tasks))
    assert all_scans(plan, "tasks_taskcounts") == {"tasks_taskcounts_pkey"}, plan
    assert "tasks_task " not in plan, plan


@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("query", ["priority=high", "overdue=true", "search=report"])
def test_the_count_reads_an_index_not_the_table(owners, owner, query):
    user, filters = owners[owner], QueryDict(query)
    tasks = selectors.task_list(user=user, filters=filters)
    (plan,) = plans_of(lambda: selectors.task_count(user=user, filters=filters, tasks=tasks))
    assert plan.startswith("Aggregate"), plan
    assert not SEQ_SCAN_ON_TASKS.search(plan), plan
    assert all_scans(plan), plan


@pytest.mark.parametrize("owner", OWNERS)
def test_a_pages_tag_names_are_read_through_the_task_id_index(owners, owner):
    """task_rows reads a first page and its tag names in one query: each row's names
    through the links' task_id index, never the whole through table."""
    tasks = selectors.task_list(user=owners[owner], filters=QueryDict(""))
    (plan,) = plans_of(lambda: selectors.task_rows(tasks, limit=PAGE))
    assert "task_owner_current" in ordered_scans(plan), plan
    assert not SEQ_SCAN_ON_LINKS.search(plan), plan
    links_indexes = all_scans(plan, table="tasks_task_tags")
    assert any(name.startswith("tasks_task_tags_task_id") for name in links_indexes), plan


@pytest.mark.parametrize("owner", OWNERS)
def test_a_deep_pages_ids_come_from_the_index_alone(owners, owner):
    """A later page skips its OFFSET in task_owner_current without reading the rows it
    skips (an index-only scan), then reads just its own rows by primary key: one query."""
    tasks = selectors.task_list(user=owners[owner], filters=QueryDict(""))
    (plan,) = plans_of(lambda: selectors.task_rows(tasks, offset=40, limit=PAGE))
    assert re.search(r"Index Only Scan (?:Backward )?using task_owner_current", plan), plan
    assert "tasks_task_pkey" in all_scans(plan), plan
