from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks import cache, selectors, services
from tasks.models import Note, Tag, Task
from tests.tasks.factories import NoteFactory, TagFactory, TaskFactory

pytestmark = pytest.mark.django_db

TASKS = reverse("tasks-api:task-list")
STATS = reverse("tasks-api:task-stats")
NOTES = reverse("tasks-api:note-list")
TAGS = reverse("tasks-api:tag-list")
# With the signed-in user cached: COUNT(*), the page of notes (joining their task), tags.
NOTE_LIST_QUERIES = 3


def url(name: str, obj) -> str:
    return reverse(f"tasks-api:{name}", args=[obj.pk])


def _date(offset: int):
    return timezone.localdate() + timedelta(days=offset)


def day(offset: int) -> str:
    return _date(offset).isoformat()


def titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def task(owner, title="Task", **fields) -> Task:
    return services.task_create(owner=owner, title=title, **fields)


def snapshot(obj) -> dict:
    """Every column of a row as stored, plus its tag names, to show nothing was written."""
    obj = type(obj).objects.get(pk=obj.pk)
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    if hasattr(obj, "tags"):
        values["tags"] = sorted(obj.tags.values_list("name", flat=True))
    return values


def many(owner, count: int) -> None:
    """`count` tasks with two tags each and `count` notes, each on a task with a tag."""
    tags = [Tag.objects.create(owner=owner, name=name) for name in ("a", "b", "c")]
    tasks = Task.objects.bulk_create([Task(owner=owner, title=f"T{n}") for n in range(count)])
    Task.tags.through.objects.bulk_create(
        [Task.tags.through(task=t, tag=tag) for t in tasks for tag in tags[:2]]
    )
    notes = Note.objects.bulk_create(
        [Note(owner=owner, title=f"N{n}", task=t) for n, t in enumerate(tasks)]
    )
    Note.tags.through.objects.bulk_create([Note.tags.through(note=n, tag=tags[2]) for n in notes])
    cache.owners_changed(owner_ids=[owner.pk])


# --- task list: shape, filters, ordering, pagination ----------------------------------


def test_list_shows_only_the_callers_tasks_with_every_field(jwt_client, user, other_user):
    mine = task(
        user,
        "Write report",
        description="Quarterly",
        priority=Task.Priority.HIGH,
        due_date=timezone.localdate() + timedelta(days=3),
        tags=["work", "Alpha"],
    )
    task(other_user, "Theirs")
    response = jwt_client.get(TASKS)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    row = body["results"][0]
    assert row == {
        "id": mine.pk,
        "title": "Write report",
        "description": "Quarterly",
        "status": "todo",
        "priority": "high",
        "due_date": day(3),
        "tags": ["Alpha", "work"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "completed_at": None,
        "archived_at": None,
        "version": 1,
    }
    assert parse_datetime(row["created_at"]) == mine.created_at
    assert parse_datetime(row["updated_at"]) == mine.updated_at


@pytest.fixture
def board(user, other_user):
    task(user, "Write report", priority=Task.Priority.HIGH, due_date=_date(-2), tags=["work"])
    task(
        user,
        "Buy milk",
        status="in_progress",
        priority=Task.Priority.LOW,
        due_date=_date(0),
        tags=["home"],
    )
    task(user, "File taxes", status="done", due_date=_date(-5), tags=["work", "money"])
    task(user, "Plan trip")
    task(other_user, "Their report", priority=Task.Priority.HIGH, tags=["work"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "todo"}, {"Write report", "Plan trip"}),
        ({"status": "in_progress"}, {"Buy milk"}),
        ({"status": "done"}, {"File taxes"}),
        ({"priority": "high"}, {"Write report"}),
        ({"priority": "medium"}, {"File taxes", "Plan trip"}),
        ({"priority": "low"}, {"Buy milk"}),
        ({"tag": "WORK"}, {"Write report", "File taxes"}),
        ({"tag": "nothing"}, set()),
        ({"search": "report"}, {"Write report"}),
        ({"search": "milk"}, {"Buy milk"}),
        ({"due_before": -2}, {"Write report", "File taxes"}),
        ({"due_after": -2}, {"Write report", "Buy milk"}),
        ({"due_after": -5, "due_before": -3}, {"File taxes"}),
        ({"overdue": "true"}, {"Write report"}),
        ({"overdue": "false"}, {"Buy milk", "File taxes", "Plan trip"}),
        ({"status": "todo", "tag": "work", "priority": "high"}, {"Write report"}),
        ({"tag": "work", "status": "done"}, {"File taxes"}),
        ({"tag": "work", "overdue": "true", "search": "taxes"}, set()),
    ],
)
def test_list_filters(jwt_client, board, params, expected):
    params = {k: day(v) if isinstance(v, int) else v for k, v in params.items()}
    response = jwt_client.get(TASKS, params)
    assert set(titles(response)) == expected
    assert response.json()["count"] == len(expected)


def test_an_empty_filter_means_no_filter_as_the_schema_says(jwt_client, user):
    task(user, "one")
    for name in ("updated_after", "status", "priority", "due_before", "ordering"):
        response = jwt_client.get(TASKS, {name: ""})
        assert response.status_code == 200, name
        assert titles(response) == ["one"]
    schema = jwt_client.get(reverse("api-schema"), {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]}
    assert parameters["updated_after"]["allowEmptyValue"] is True
    assert parameters["priority"]["schema"] == {"type": "string", "enum": ["high", "low", "medium"]}
    assert parameters["page_size"]["schema"]["minimum"] == 1
    assert "allowEmptyValue" not in parameters["page_size"]


def test_updated_after_returns_what_changed_since_for_sync(jwt_client, user):
    now = timezone.now()
    for title, age in (("old", 3), ("recent", 1), ("newest", 0)):
        Task.objects.filter(pk=task(user, title).pk).update(updated_at=now - timedelta(days=age))
    since = (now - timedelta(days=2)).isoformat()  # with +00:00, URL-encoded by the client
    response = jwt_client.get(TASKS, {"updated_after": since, "ordering": "updated_at"})
    assert titles(response) == ["recent", "newest"]


@pytest.mark.parametrize(
    "params",
    [
        {"status": "archived"},
        {"priority": "urgent"},
        {"priority": "3"},
        {"due_before": "2024-13-01"},
        {"due_after": "yesterday"},
        {"updated_after": "last week"},
        {"ordering": "title"},
        {"ordering": "-owner"},
        {"overdue": "maybe"},
    ],
)
def test_invalid_filters_are_a_400_naming_the_parameter(jwt_client, user, params):
    response = jwt_client.get(TASKS, params)
    assert response.status_code == 400
    assert list(response.json()) == list(params)
    assert isinstance(response.json()[next(iter(params))], list)


@pytest.fixture
def ordered(user):
    """Three tasks whose created, updated, due and priority orders all differ."""
    now = timezone.now()
    rows = {
        "A": {"created": 3, "updated": 1, "due": 3, "priority": Task.Priority.LOW},
        "B": {"created": 2, "updated": 3, "due": None, "priority": Task.Priority.HIGH},
        "C": {"created": 1, "updated": 2, "due": 1, "priority": Task.Priority.MEDIUM},
    }
    for title, row in rows.items():
        due = None if row["due"] is None else _date(row["due"])
        created = task(user, title, due_date=due, priority=row["priority"])
        Task.objects.filter(pk=created.pk).update(
            created_at=now - timedelta(days=row["created"]),
            updated_at=now - timedelta(days=row["updated"]),
        )


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        (None, ["C", "B", "A"]),  # newest first
        ("created_at", ["A", "B", "C"]),
        ("-created_at", ["C", "B", "A"]),
        ("updated_at", ["B", "C", "A"]),
        ("-updated_at", ["A", "C", "B"]),
        ("priority", ["A", "C", "B"]),  # low, medium, high
        ("-priority", ["B", "C", "A"]),  # high, medium, low
        ("due_date", ["C", "A", "B"]),  # no due date last
        ("-due_date", ["A", "C", "B"]),  # no due date last, this way too
    ],
)
def test_list_ordering(jwt_client, ordered, ordering, expected):
    params = {"ordering": ordering} if ordering else {}
    assert titles(jwt_client.get(TASKS, params)) == expected


def test_list_is_paginated_by_20_with_links(jwt_client, user):
    for n in range(25):
        TaskFactory(owner=user, title=f"T{n:02}")
    first = jwt_client.get(TASKS, {"ordering": "created_at"}).json()
    assert first["count"] == 25
    assert len(first["results"]) == 20
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = jwt_client.get(first["next"]).json()
    assert [row["title"] for row in second["results"]] == [f"T{n:02}" for n in range(20, 25)]
    assert second["next"] is None
    assert second["previous"] is not None
    back = jwt_client.get(second["previous"]).json()
    assert back["results"] == first["results"]


@pytest.mark.parametrize(
    ("page_size", "expected"),
    [(None, 20), ("1", 1), ("50", 50), ("100", 100), ("101", 100), ("5000", 100)],
)
def test_page_size_defaults_to_20_and_is_capped_at_100(jwt_client, user, page_size, expected):
    many(user, 105)
    params = {"page_size": page_size} if page_size else {}
    body = jwt_client.get(TASKS, params).json()
    assert body["count"] == 105
    assert len(body["results"]) == expected


@pytest.mark.parametrize("path", [TASKS, NOTES, TAGS])
@pytest.mark.parametrize("page_size", ["x", "null", "0", "-1", "", "1.5", "\u0661"])
def test_a_page_size_that_is_not_a_positive_number_is_a_400(jwt_client, path, page_size):
    response = jwt_client.get(path, {"page_size": page_size})
    assert response.status_code == 400
    assert response.json() == {"page_size": ["Enter a whole number of at least 1."]}


def test_a_cursor_page_size_that_is_not_a_positive_number_is_a_400(jwt_client, user):
    response = jwt_client.get(TASKS, {"cursor": "", "page_size": "0"})
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("route", ["task-list", "note-list", "tag-list"])
def test_a_page_past_the_end_is_a_400_naming_page(jwt_client, user, route):
    TaskFactory(owner=user)
    response = jwt_client.get(reverse(f"tasks-api:{route}"), {"page": 9})
    assert response.status_code == 400
    assert list(response.json()) == ["page"]
    assert "page" in response.json()["page"][0].lower()


@pytest.mark.parametrize("page_size", [1, 20, 100])
def test_note_list_queries_do_not_grow_with_the_page(
    jwt_client, user, django_assert_num_queries, page_size
):
    many(user, 120)
    jwt_client.get(reverse("auth-api:me"))  # caches the signed-in user
    with django_assert_num_queries(NOTE_LIST_QUERIES):
        response = jwt_client.get(NOTES, {"page_size": page_size})
    results = response.json()["results"]
    assert len(results) == page_size
    assert all(row["tags"] == ["c"] and row["task"] is not None for row in results)


# --- create, update, delete ------------------------------------------------------------


def test_create_returns_the_task_its_location_and_etag(jwt_client, user):
    response = jwt_client.post(
        TASKS,
        {
            "title": "  Write report ",
            "description": "Quarterly",
            "status": "in_progress",
            "priority": "high",
            "due_date": "2030-05-01",
            "tags": ["Work", "urgent"],
        },
    )
    assert response.status_code == 201
    created = Task.objects.get()
    assert created.owner == user
    body = response.json()
    assert body["id"] == created.pk
    assert (body["title"], body["description"]) == ("Write report", "Quarterly")
    assert (body["status"], body["priority"], body["due_date"]) == (
        "in_progress",
        "high",
        "2030-05-01",
    )
    assert body["tags"] == ["Work", "urgent"]
    assert body["version"] == 1
    assert created.priority == Task.Priority.HIGH
    assert response["ETag"] == f'"{created.pk}-1"'
    assert response["Location"] == f"http://testserver/api/v1/tasks/{created.pk}/"
    assert jwt_client.get(response["Location"]).json() == body


def test_create_with_only_a_title_takes_the_defaults(jwt_client):
    body = jwt_client.post(TASKS, {"title": "Just this"}).json()
    assert {k: body[k] for k in ("description", "status", "priority", "due_date", "tags")} == {
        "description": "",
        "status": "todo",
        "priority": "medium",
        "due_date": None,
        "tags": [],
    }
    assert body["completed_at"] is None


def test_create_done_stamps_completion(jwt_client):
    body = jwt_client.post(TASKS, {"title": "Already", "status": "done"}).json()
    assert parse_datetime(body["completed_at"]) == Task.objects.get().completed_at
    assert body["completed_at"] is not None


def test_tags_are_created_on_demand_and_reused_in_any_letter_case(jwt_client, user, other_user):
    TagFactory(owner=user, name="Work")
    TagFactory(owner=other_user, name="new")
    response = jwt_client.post(TASKS, {"title": "T", "tags": ["work", "WORK", "New"]})
    assert response.status_code == 201
    assert response.json()["tags"] == ["New", "Work"]
    assert sorted(Tag.objects.filter(owner=user).values_list("name", flat=True)) == [
        "New",
        "Work",
    ]
    assert list(Tag.objects.filter(owner=other_user).values_list("name", flat=True)) == ["new"]
    assert not Task.objects.get().tags.filter(owner=other_user).exists()


INVALID_TASKS = [
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": None}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": 5}, "title"),
    ({"title": ["a"]}, "title"),
    ({"title": "ok", "description": "x" * 10_001}, "description"),
    ({"title": "ok", "description": 5}, "description"),
    ({"title": "ok", "status": "archived"}, "status"),
    ({"title": "ok", "status": None}, "status"),
    ({"title": "ok", "priority": "urgent"}, "priority"),
    ({"title": "ok", "priority": 3}, "priority"),
    ({"title": "ok", "priority": "HIGH"}, "priority"),
    ({"title": "ok", "due_date": "2024-02-30"}, "due_date"),
    ({"title": "ok", "due_date": "tomorrow"}, "due_date"),
    ({"title": "ok", "due_date": 20240101}, "due_date"),
    ({"title": "ok", "due_date": "2024-01-01T10:00:00Z"}, "due_date"),
    ({"title": "ok", "tags": "work"}, "tags"),
    ({"title": "ok", "tags": {"name": "work"}}, "tags"),
    ({"title": "ok", "tags": [1, 2]}, "tags"),
    ({"title": "ok", "tags": [{"name": "work"}]}, "tags"),
    ({"title": "ok", "tags": ["x" * 51]}, "tags"),
    ({"title": "ok", "tags": [""]}, "tags"),
    ({"title": "ok", "tags": [f"t{n}" for n in range(51)]}, "tags"),
    ({"title": "ok", "tags": None}, "tags"),
    ([{"title": "a list"}], "non_field_errors"),
    ("just a string", "non_field_errors"),
]


@pytest.mark.parametrize(("data", "field"), [({}, "title"), *INVALID_TASKS])
def test_create_refuses_invalid_input_with_field_messages(jwt_client, data, field):
    response = jwt_client.post(TASKS, data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert Task.objects.count() == 0
    assert Tag.objects.count() == 0


# A PUT's whole writable representation (a PUT without one of these is refused).
WRITABLE = {
    "title": "ok",
    "description": "",
    "status": "todo",
    "priority": "medium",
    "due_date": None,
    "tags": [],
}


@pytest.mark.parametrize("method", ["put", "patch"])
@pytest.mark.parametrize(("data", "field"), INVALID_TASKS)
def test_update_refuses_invalid_input_and_writes_nothing(jwt_client, user, method, data, field):
    existing = task(user, "Keep", tags=["kept"])
    before = snapshot(existing)
    if method == "put" and isinstance(data, dict):
        data = {**WRITABLE, **data}  # only the invalid field is wrong
    response = getattr(jwt_client, method)(url("task-detail", existing), data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert snapshot(existing) == before


def test_put_without_a_title_is_a_400(jwt_client, user):
    existing = task(user, "Keep")
    body = {name: value for name, value in WRITABLE.items() if name != "title"}
    response = jwt_client.put(url("task-detail", existing), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["title"]


def test_malformed_json_is_a_400_with_a_code(jwt_client):
    response = jwt_client.post(TASKS, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Task.objects.count() == 0


def test_put_replaces_the_whole_task(jwt_client, user):
    existing = task(
        user,
        "Old",
        description="Text",
        status="done",
        priority=Task.Priority.HIGH,
        due_date=_date(2),
        tags=["x"],
    )
    response = jwt_client.put(
        url("task-detail", existing), {**WRITABLE, "title": "New"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("title", "description", "status", "priority", "due_date")} == {
        "title": "New",
        "description": "",
        "status": "todo",
        "priority": "medium",
        "due_date": None,
    }
    assert (body["tags"], body["completed_at"], body["version"]) == ([], None, 2)
    assert response["ETag"] == f'"{existing.pk}-2"'
    existing.refresh_from_db()
    assert (existing.title, existing.status, existing.tags.count()) == ("New", "todo", 0)


def test_patch_changes_only_what_is_sent(jwt_client, user):
    existing = task(user, "Keep", description="Text", due_date=_date(2), tags=["x", "y"])
    response = jwt_client.patch(url("task-detail", existing), {"priority": "low"})
    assert response.status_code == 200
    body = response.json()
    assert (body["title"], body["description"], body["due_date"]) == ("Keep", "Text", day(2))
    assert (body["priority"], body["tags"], body["version"]) == ("low", ["x", "y"], 2)
    assert response["ETag"] == f'"{existing.pk}-2"'
    assert Task.objects.get().priority == Task.Priority.LOW


def test_patch_can_clear_tags_and_the_due_date_and_complete(jwt_client, user):
    existing = task(user, "Keep", due_date=_date(2), tags=["x"])
    body = jwt_client.patch(
        url("task-detail", existing), {"tags": [], "due_date": None, "status": "done"}
    ).json()
    assert (body["tags"], body["due_date"], body["status"]) == ([], None, "done")
    assert body["completed_at"] is not None
    assert Task.objects.get().completed_at is not None


def test_delete_removes_the_task(jwt_client, user):
    existing = task(user, "Gone")
    response = jwt_client.delete(url("task-detail", existing))
    assert response.status_code == 204
    assert response.content == b""
    assert not Task.objects.exists()
    assert jwt_client.get(url("task-detail", existing)).status_code == 404


def test_complete_and_reopen(jwt_client, user):
    existing = task(user, "Do it")
    done = jwt_client.post(url("task-complete", existing))
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["version"]) == ("done", 2)
    assert done.json()["completed_at"] is not None
    assert done["ETag"] == f'"{existing.pk}-2"'
    reopened = jwt_client.post(url("task-reopen", existing))
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["completed_at"]) == ("todo", None)
    assert reopened["ETag"] == f'"{existing.pk}-3"'
    assert Task.objects.get().status == "todo"


def test_writes_that_change_nothing_keep_the_version_and_etag(jwt_client, user):
    existing = services.task_create(owner=user, title="Same", tags=["home"])
    etag, updated_at = f'"{existing.pk}-1"', existing.updated_at
    detail = url("task-detail", existing)
    same = {"title": "Same", "status": "todo", "tags": ["Home"]}
    for response in (
        jwt_client.patch(detail, same, format="json"),
        jwt_client.patch(detail, {"version": 9, "id": 1}, format="json"),  # read-only only
        jwt_client.post(url("task-reopen", existing)),  # not done: nothing to reopen
    ):
        assert response.status_code == 200, response.content
        assert (response["ETag"], response.json()["version"]) == (etag, 1)
    assert Task.objects.get().updated_at == updated_at
    for _ in range(2):  # completing twice makes one new version; its ETag stays valid
        done = jwt_client.post(url("task-complete", existing), headers={"If-Match": etag})
        assert (done.status_code, done["ETag"]) == (200, f'"{existing.pk}-2"')
        etag = done["ETag"]
    assert jwt_client.get(detail)["ETag"] == f'"{existing.pk}-2"'


# --- ETag, If-None-Match, If-Match -------------------------------------------------------


def test_get_carries_the_etag_of_the_version(jwt_client, user):
    existing = task(user, "Tagged", tags=["a"])
    response = jwt_client.get(url("task-detail", existing))
    assert response.status_code == 200
    assert response["ETag"] == f'"{existing.pk}-1"'
    assert response.json() == jwt_client.get(TASKS).json()["results"][0]
    services.task_update(task=existing, title="Changed")
    assert jwt_client.get(url("task-detail", existing))["ETag"] == f'"{existing.pk}-2"'


@pytest.mark.parametrize(
    "header", ['"{pk}-1"', 'W/"{pk}-1"', '"{pk}-0", W/"{pk}-1"', "*", ' "{pk}-1" ']
)
def test_if_none_match_with_the_current_version_is_a_304(jwt_client, user, header):
    existing = task(user, "Same")
    response = jwt_client.get(
        url("task-detail", existing), HTTP_IF_NONE_MATCH=header.format(pk=existing.pk)
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{existing.pk}-1"'


@pytest.mark.parametrize("header", ['"{pk}-0"', '"{pk}-2"', '"999999-1"', "garbage"])
def test_if_none_match_with_another_version_gets_the_task(jwt_client, user, header):
    existing = task(user, "Same")
    response = jwt_client.get(
        url("task-detail", existing), HTTP_IF_NONE_MATCH=header.format(pk=existing.pk)
    )
    assert response.status_code == 200
    assert response.json()["id"] == existing.pk


# Each conditional write: (method, route, body, what the DB shows once it went through).
WRITES = {
    "patch": ("patch", "task-detail", {"title": "Mine"}, lambda t: t.title == "Mine"),
    "put": ("put", "task-detail", {**WRITABLE, "title": "Mine"}, lambda t: t.title == "Mine"),
    "delete": ("delete", "task-detail", None, lambda t: t is None),
    "complete": ("post", "task-complete", None, lambda t: t.status == "done"),
    "reopen": ("post", "task-reopen", None, lambda t: t.status == "todo" and t.version == 3),
}


def conditional(client, write: str, existing: Task, if_match: str | None):
    method, route, body, _ = WRITES[write]
    headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match.format(pk=existing.pk)}
    return getattr(client, method)(url(route, existing), body, format="json", **headers)


def went_through(write: str, existing: Task) -> bool:
    return WRITES[write][3](Task.objects.filter(pk=existing.pk).first())


@pytest.fixture
def at_version_2(user):
    """A done task someone else changed after the client read version 1."""
    existing = task(user, "Theirs now", status="done")
    return services.task_update(task=existing, title="Changed elsewhere")


@pytest.mark.parametrize("write", list(WRITES))
def test_a_stale_if_match_is_a_412_with_the_current_etag_and_writes_nothing(
    jwt_client, at_version_2, write
):
    before = snapshot(at_version_2)
    response = conditional(jwt_client, write, at_version_2, '"{pk}-1"')
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response.json()["detail"]
    assert response["ETag"] == f'"{at_version_2.pk}-2"'
    assert snapshot(at_version_2) == before


@pytest.mark.parametrize("write", list(WRITES))
@pytest.mark.parametrize(
    "if_match", ['"{pk}-2"', 'W/"{pk}-2"', '"{pk}-1", "{pk}-2"', 'W/"{pk}-1",W/"{pk}-2"', "*", None]
)
def test_a_current_if_match_or_none_lets_the_write_through(
    jwt_client, at_version_2, write, if_match
):
    response = conditional(jwt_client, write, at_version_2, if_match)
    assert response.status_code in (200, 204), response.content
    assert went_through(write, at_version_2)
    version = 2 if write == "complete" else 3  # completing a done task changes nothing
    if response.status_code == 200:
        assert response["ETag"] == f'"{at_version_2.pk}-{version}"'


@pytest.mark.parametrize("write", ["patch", "delete"])
@pytest.mark.parametrize(
    "if_match", ["garbage", '"abc"', "{pk}-2", '"{pk}-2', '"{pk}-2", bogus', "", '"99999-2"']
)
def test_a_malformed_or_foreign_if_match_is_a_412(jwt_client, at_version_2, write, if_match):
    before = snapshot(at_version_2)
    response = conditional(jwt_client, write, at_version_2, if_match)
    assert response.status_code == 412
    assert response.json()["code"] == "precondition_failed"
    assert response["ETag"] == f'"{at_version_2.pk}-2"'
    assert snapshot(at_version_2) == before


def test_two_clients_editing_one_version_cannot_both_win(jwt_client, user):
    existing = task(user, "Shared")
    etag = jwt_client.get(url("task-detail", existing))["ETag"]
    first = jwt_client.patch(url("task-detail", existing), {"title": "A"}, HTTP_IF_MATCH=etag)
    second = jwt_client.patch(url("task-detail", existing), {"title": "B"}, HTTP_IF_MATCH=etag)
    assert (first.status_code, second.status_code) == (200, 412)
    assert second["ETag"] == first["ETag"] == f'"{existing.pk}-2"'
    assert Task.objects.get().title == "A"


# --- stats -------------------------------------------------------------------------------


def test_stats_counts_the_callers_tasks(jwt_client, user, other_user):
    task(user, "overdue", priority=Task.Priority.HIGH, due_date=_date(-1))
    task(user, "today", status="in_progress", due_date=_date(0))
    task(user, "this week", priority=Task.Priority.LOW, due_date=_date(6))
    task(user, "next week", due_date=_date(7))
    task(user, "done late", status="done", priority=Task.Priority.HIGH, due_date=_date(-3))
    task(other_user, "theirs", due_date=_date(-1))
    response = jwt_client.get(STATS)
    assert response.status_code == 200
    assert response.json() == {
        "total": 5,
        "by_status": {"todo": 3, "in_progress": 1, "done": 1},
        "by_priority": {"low": 1, "medium": 2, "high": 2},
        "overdue": 1,
        "due_today": 1,
        "due_this_week": 2,
    }


# --- notes -------------------------------------------------------------------------------


def test_note_crud(jwt_client, user):
    on = task(user, "Report")
    created = jwt_client.post(
        NOTES, {"title": " Idea ", "body": "Text", "task": on.pk, "tags": ["Work"]}
    )
    assert created.status_code == 201
    note = Note.objects.get()
    body = created.json()
    assert body == {
        "id": note.pk,
        "title": "Idea",
        "body": "Text",
        "task": on.pk,
        "tags": ["Work"],
        "version": 1,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert (note.owner, note.task) == (user, on)
    assert created["Location"] == f"http://testserver/api/v1/notes/{note.pk}/"
    assert jwt_client.get(url("note-detail", note)).json() == body

    patched = jwt_client.patch(url("note-detail", note), {"body": "More", "tags": ["a", "b"]})
    assert patched.status_code == 200
    assert (patched.json()["title"], patched.json()["body"]) == ("Idea", "More")
    assert (patched.json()["task"], patched.json()["tags"]) == (on.pk, ["a", "b"])

    detached = jwt_client.patch(url("note-detail", note), {"task": None})
    assert detached.json()["task"] is None
    assert Note.objects.get().task is None

    half = jwt_client.put(url("note-detail", note), {"title": "Only"}, format="json")
    assert (half.status_code, set(half.json())) == (400, {"body", "task", "tags"})
    whole = {"title": "Only", "body": "", "task": None, "tags": []}
    replaced = jwt_client.put(url("note-detail", note), whole, format="json")
    assert replaced.status_code == 200
    assert {k: replaced.json()[k] for k in ("title", "body", "task", "tags")} == {
        "title": "Only",
        "body": "",
        "task": None,
        "tags": [],
    }

    deleted = jwt_client.delete(url("note-detail", note))
    assert deleted.status_code == 204
    assert not Note.objects.exists()
    assert Task.objects.filter(pk=on.pk).exists()


def test_a_note_on_another_users_task_is_refused_like_a_missing_one(jwt_client, other_user):
    theirs = task(other_user, "Theirs")
    foreign = jwt_client.post(NOTES, {"title": "Sneaky", "task": theirs.pk})
    missing = jwt_client.post(NOTES, {"title": "Sneaky", "task": theirs.pk + 1000})
    assert foreign.status_code == missing.status_code == 400
    assert list(foreign.json()) == ["task"]
    assert foreign.json() == missing.json()
    assert not Note.objects.exists()


def test_a_note_cannot_be_moved_onto_another_users_task(jwt_client, user, other_user):
    note = NoteFactory(owner=user, title="Mine")
    theirs = task(other_user, "Theirs")
    before = snapshot(note)
    response = jwt_client.patch(url("note-detail", note), {"task": theirs.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["task"]
    assert snapshot(note) == before


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "title"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 7}, "title"),
        ({"title": "ok", "body": "x" * 50_001}, "body"),
        ({"title": "ok", "task": "abc"}, "task"),
        ({"title": "ok", "task": True}, "task"),
        ({"title": "ok", "task": 1.5}, "task"),
        ({"title": "ok", "task": [1]}, "task"),
        ({"title": "ok", "tags": "work"}, "tags"),
        ({"title": "ok", "tags": [3]}, "tags"),
        ([{"title": "ok"}], "non_field_errors"),
    ],
)
def test_note_create_refuses_invalid_input(jwt_client, data, field):
    response = jwt_client.post(NOTES, data, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Note.objects.exists()


def test_note_list_filters(jwt_client, user, other_user):
    report = task(user, "Report")
    services.note_create(owner=user, title="Draft outline", task=report, tags=["work"])
    services.note_create(owner=user, title="Groceries", body="milk and outline paper")
    services.note_create(owner=user, title="Ideas", tags=["Work"])
    services.note_create(owner=other_user, title="Their outline", tags=["work"])
    assert set(titles(jwt_client.get(NOTES))) == {"Draft outline", "Groceries", "Ideas"}
    assert set(titles(jwt_client.get(NOTES, {"search": "outline"}))) == {
        "Draft outline",
        "Groceries",
    }
    assert titles(jwt_client.get(NOTES, {"task": report.pk})) == ["Draft outline"]
    assert set(titles(jwt_client.get(NOTES, {"tag": "WORK"}))) == {"Draft outline", "Ideas"}
    combined = {"tag": "work", "search": "outline", "task": report.pk}
    assert titles(jwt_client.get(NOTES, combined)) == ["Draft outline"]
    invalid = jwt_client.get(NOTES, {"task": "abc"})
    assert invalid.status_code == 400
    assert list(invalid.json()) == ["task"]


def test_note_list_is_paginated(jwt_client, user):
    for n in range(21):
        NoteFactory(owner=user, title=f"N{n}")
    body = jwt_client.get(NOTES).json()
    assert (body["count"], len(body["results"]), body["previous"]) == (21, 20, None)
    assert "page=2" in body["next"]
    assert len(jwt_client.get(NOTES, {"page_size": 5}).json()["results"]) == 5


# --- tags --------------------------------------------------------------------------------


def test_tag_list_counts_usage(jwt_client, user, other_user):
    task(user, "A", tags=["work"])
    task(user, "B", tags=["work", "home"])
    services.note_create(owner=user, title="N", tags=["work", "ideas"])
    TagFactory(owner=user, name="unused")
    task(other_user, "Theirs", tags=["work", "secret"])
    response = jwt_client.get(TAGS)
    assert response.status_code == 200
    assert response.json()["count"] == 4
    rows = [{k: v for k, v in row.items() if k != "id"} for row in response.json()["results"]]
    assert rows == [
        {"name": "home", "task_count": 1, "note_count": 0},
        {"name": "ideas", "task_count": 0, "note_count": 1},
        {"name": "unused", "task_count": 0, "note_count": 0},
        {"name": "work", "task_count": 2, "note_count": 1},
    ]
    mine = Tag.objects.get(owner=user, name="work")
    assert response.json()["results"][3]["id"] == mine.pk


def test_tag_create(jwt_client, user):
    response = jwt_client.post(TAGS, {"name": "  Deep   work "})
    assert response.status_code == 201
    tag = Tag.objects.get()
    assert response.json() == {"id": tag.pk, "name": "Deep work", "task_count": 0, "note_count": 0}
    assert tag.owner == user
    assert response["Location"] == f"http://testserver/api/v1/tags/{tag.pk}/"


def test_tag_create_refuses_a_duplicate_name_in_any_letter_case(jwt_client, user, other_user):
    TagFactory(owner=user, name="Work")
    TagFactory(owner=other_user, name="home")
    duplicate = jwt_client.post(TAGS, {"name": "WORK"})
    assert duplicate.status_code == 400
    assert list(duplicate.json()) == ["name"]
    assert Tag.objects.filter(owner=user).count() == 1
    # Another user's tag of the same name is no obstacle.
    assert jwt_client.post(TAGS, {"name": "Home"}).status_code == 201


@pytest.mark.parametrize(
    "data",
    [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 51}, {"name": 5}, {"name": None}, ["x"]],
)
def test_tag_create_refuses_invalid_input(jwt_client, data):
    response = jwt_client.post(TAGS, data, format="json")
    assert response.status_code == 400
    assert list(response.json()) in (["name"], ["non_field_errors"])
    assert not Tag.objects.exists()


def test_tag_rename_keeps_its_uses(jwt_client, user):
    task(user, "A", tags=["wrok"])
    tag = Tag.objects.get()
    response = jwt_client.patch(url("tag-detail", tag), {"name": "work"})
    assert response.status_code == 200
    assert response.json() == {"id": tag.pk, "name": "work", "task_count": 1, "note_count": 0}
    assert Task.objects.get().tags.get().name == "work"
    # Its own name in another case is no clash; PUT renames too; PATCH {} changes nothing.
    assert jwt_client.patch(url("tag-detail", tag), {"name": "Work"}).json()["name"] == "Work"
    assert jwt_client.put(url("tag-detail", tag), {"name": "Job"}).json()["name"] == "Job"
    assert jwt_client.patch(url("tag-detail", tag), {}).json()["name"] == "Job"
    assert jwt_client.get(url("tag-detail", tag)).json()["task_count"] == 1


def test_tag_rename_refuses_a_name_in_use(jwt_client, user):
    TagFactory(owner=user, name="Home")
    tag = TagFactory(owner=user, name="Garden")
    for data in ({"name": "HOME"}, {"name": ""}, {"name": 1}):
        response = jwt_client.patch(url("tag-detail", tag), data)
        assert response.status_code == 400
        assert list(response.json()) == ["name"]
    assert Tag.objects.get(pk=tag.pk).name == "Garden"


def test_tag_delete_keeps_the_tasks_and_notes(jwt_client, user):
    task(user, "A", tags=["gone", "kept"])
    services.note_create(owner=user, title="N", tags=["gone"])
    tag = Tag.objects.get(name="gone")
    assert jwt_client.delete(url("tag-detail", tag)).status_code == 204
    assert list(Task.objects.get().tags.values_list("name", flat=True)) == ["kept"]
    assert Note.objects.get().tags.count() == 0


# --- ownership and authentication ----------------------------------------------------


@pytest.fixture
def theirs(other_user):
    """Another user's task, note and tag."""
    their_task = task(other_user, "Theirs", tags=["secret"])
    return {
        "task": their_task,
        "note": services.note_create(owner=other_user, title="Theirs", task=their_task),
        "tag": Tag.objects.get(owner=other_user),
    }


OWNED_ROUTES = [
    ("get", "task", "task-detail", None),
    ("put", "task", "task-detail", {"title": "Mine now"}),
    ("patch", "task", "task-detail", {"title": "Mine now"}),
    ("delete", "task", "task-detail", None),
    ("post", "task", "task-complete", None),
    ("post", "task", "task-reopen", None),
    ("get", "note", "note-detail", None),
    ("put", "note", "note-detail", {"title": "Mine now"}),
    ("patch", "note", "note-detail", {"title": "Mine now"}),
    ("delete", "note", "note-detail", None),
    ("get", "tag", "tag-detail", None),
    ("put", "tag", "tag-detail", {"name": "mine now"}),
    ("patch", "tag", "tag-detail", {"name": "mine now"}),
    ("delete", "tag", "tag-detail", None),
]


@pytest.mark.parametrize(("method", "kind", "route", "data"), OWNED_ROUTES)
def test_another_users_objects_are_a_404_and_stay_unchanged(
    jwt_client, theirs, method, kind, route, data
):
    obj = theirs[kind]
    before = snapshot(obj)
    response = getattr(jwt_client, method)(url(route, obj), data, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert snapshot(obj) == before
    # Exactly what a missing object answers: nothing tells that it exists.
    missing = reverse(f"tasks-api:{route}", args=[obj.pk + 1000])
    assert getattr(jwt_client, method)(missing, data, format="json").json() == response.json()


@pytest.mark.parametrize(("method", "kind", "route", "data"), OWNED_ROUTES)
def test_another_users_task_is_a_404_even_with_a_matching_if_match(
    jwt_client, theirs, method, kind, route, data
):
    obj = theirs[kind]
    headers = {"HTTP_IF_MATCH": theirs["task"].etag, "HTTP_IF_NONE_MATCH": theirs["task"].etag}
    response = getattr(jwt_client, method)(url(route, obj), data, format="json", **headers)
    assert response.status_code == 404


@pytest.mark.parametrize(
    "path", ["/api/v1/tasks/abc/", "/api/v1/notes/1.0/", "/api/v1/tasks/99999999999999999999999/"]
)
def test_ids_that_are_not_ours_or_not_numbers_are_a_404(jwt_client, path):
    assert jwt_client.get(path).status_code == 404


ALL_ROUTES = [
    ("get", TASKS),
    ("post", TASKS),
    ("get", STATS),
    ("get", "/api/v1/tasks/1/"),
    ("put", "/api/v1/tasks/1/"),
    ("patch", "/api/v1/tasks/1/"),
    ("delete", "/api/v1/tasks/1/"),
    ("post", "/api/v1/tasks/1/complete/"),
    ("post", "/api/v1/tasks/1/reopen/"),
    ("get", NOTES),
    ("post", NOTES),
    ("get", "/api/v1/notes/1/"),
    ("put", "/api/v1/notes/1/"),
    ("patch", "/api/v1/notes/1/"),
    ("delete", "/api/v1/notes/1/"),
    ("get", TAGS),
    ("post", TAGS),
    ("get", "/api/v1/tags/1/"),
    ("put", "/api/v1/tags/1/"),
    ("patch", "/api/v1/tags/1/"),
    ("delete", "/api/v1/tags/1/"),
]


@pytest.mark.parametrize(("method", "path"), ALL_ROUTES)
def test_every_route_needs_a_token(api_client, user, method, path):
    existing = task(user, "Private")
    before = snapshot(existing)
    path = path.replace("/1/", f"/{existing.pk}/")
    response = getattr(api_client, method)(path, {"title": "x", "name": "x"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(existing) == before
    assert (Task.objects.count(), Note.objects.count(), Tag.objects.count()) == (1, 0, 0)


@pytest.mark.parametrize(
    ("method", "route", "body"),
    [
        ("patch", "task-detail", {"title": "Renamed"}),
        ("put", "task-detail", {**WRITABLE, "title": "Renamed"}),
        ("delete", "task-detail", None),
        ("post", "task-complete", None),
        ("post", "task-restore", None),
    ],
)
def test_a_write_to_a_task_deleted_meanwhile_is_a_404(
    jwt_client, user, monkeypatch, method, route, body
):
    existing = task(user, "Doomed")
    read = selectors.task_get

    def read_then_lose_the_race(**kwargs):
        found = read(**kwargs)
        Task.objects.filter(pk=found.pk).delete()  # another request deletes it now
        return found

    monkeypatch.setattr(selectors, "task_get", read_then_lose_the_race)
    response = getattr(jwt_client, method)(url(route, existing), body, format="json")
    assert response.status_code == 404
    assert response.json() == {"detail": "No Task matches the given query.", "code": "not_found"}


def test_updated_after_with_an_offset_postgresql_cannot_store_is_not_a_500(jwt_client, user):
    """Python accepts offsets up to 24 h, PostgreSQL up to 16: the filter compares in UTC."""
    TaskFactory(owner=user)
    response = jwt_client.get(
        reverse("tasks-api:task-list"), {"updated_after": "2030-01-01T00:00:00+20:11"}
    )
    assert response.status_code == 200
    assert response.json()["count"] == 0  # 2029-12-31 03:49 UTC is still ahead of every task
