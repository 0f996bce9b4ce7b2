import csv
import io
import json
import math
from datetime import date, timedelta

import pytest
import yaml
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tasks import exchange, services
from tasks.models import Note, Tag, Task
from tests.accounts.factories import UserFactory
from tests.tasks.data_helpers import (
    API_EXPORT,
    API_IMPORT,
    EXPORT,
    IMPORT,
    api_export,
    api_import,
    body,
    jwt_for,
    page_export,
    page_import,
    upload,
)

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
LOGIN = reverse("accounts:login")
HEADER = ",".join(exchange.CSV_COLUMNS)


# --- helpers ------------------------------------------------------------------------


def export_json(client, api=False) -> dict:
    response = api_export(client, "json") if api else page_export(client, "json")
    document = json.loads(body(response))
    assert response["Content-Type"] == "application/json"
    return document


def export_csv(client, api=False) -> list[dict]:
    response = api_export(client, "csv") if api else page_export(client, "csv")
    text = body(response).decode()
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(text, newline="")))


def account(user) -> dict:
    """Everything an import must reproduce, ids and updated_at aside, in a stable order."""
    tasks = Task.objects.filter(owner=user).order_by("created_at", "title")
    notes = Note.objects.filter(owner=user).select_related("task").order_by("created_at", "title")
    return {
        "tasks": [
            {
                "title": t.title,
                "description": t.description,
                "status": t.status,
                "priority": t.priority,
                "due_date": t.due_date,
                "tags": sorted(t.tags.values_list("name", flat=True)),
                "created_at": t.created_at,
                "completed_at": t.completed_at,
                "archived_at": t.archived_at,
            }
            for t in tasks
        ],
        "notes": [
            {
                "title": n.title,
                "body": n.body,
                "task": n.task.title if n.task else None,
                "tags": sorted(n.tags.values_list("name", flat=True)),
                "created_at": n.created_at,
            }
            for n in notes
        ],
    }


def counts() -> tuple[int, int, int]:
    return Task.objects.count(), Note.objects.count(), Tag.objects.count()


def rich_account(owner) -> dict:
    """Tasks and notes with every field the formats carry, awkward characters included."""
    before = timezone.now() - timedelta(days=30)
    plain = services.task_create(owner=owner, title="Plain task")
    done = services.task_create(
        owner=owner,
        title='Quote "this", then; that',
        description='Two lines,\nwith, commas and "quotes"\r\nand ünïcode ✓',
        status=Task.Status.DONE,
        priority=Task.Priority.HIGH,
        due_date=date(2025, 2, 28),
        tags=["work", "a, b", 'say "hi"', "été"],
    )
    archived = services.task_create(
        owner=owner,
        title="Old and archived",
        status=Task.Status.DONE,
        priority=Task.Priority.LOW,
        due_date=date(2024, 12, 31),
        tags=["work"],
    )
    Task.objects.filter(pk=archived.pk).update(
        archived_at=timezone.now(), created_at=before, completed_at=before + timedelta(days=1)
    )
    services.task_create(
        owner=owner, title="In progress", status=Task.Status.IN_PROGRESS, due_date=date.today()
    )
    services.note_create(owner=owner, title="On the done task", body="Body, with\nlines", task=done)
    services.note_create(owner=owner, title="On the archived task", task=archived, tags=["a, b"])
    services.note_create(owner=owner, title="Loose note", body="", tags=["idea"])
    return {"plain": plain, "done": done, "archived": archived}


# --- export -------------------------------------------------------------------------


def test_the_json_export_holds_exactly_the_users_tasks_and_notes(client, user, other_user):
    tasks = rich_account(user)
    services.task_create(owner=other_user, title="Bob's secret task")
    services.note_create(owner=other_user, title="Bob's secret note")
    client.force_login(user)

    response = page_export(client, "json")
    filename = f"taskflow-export-{timezone.localdate().isoformat()}.json"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    document = json.loads(body(response))

    assert document["version"] == 1
    assert set(document) == {"version", "exported_at", "tasks", "notes"}
    assert [t["title"] for t in document["tasks"]] == list(
        Task.objects.filter(owner=user).order_by("id").values_list("title", flat=True)
    )
    assert {n["title"] for n in document["notes"]} == {
        "On the done task",
        "On the archived task",
        "Loose note",
    }
    assert "Bob" not in json.dumps(document)
    done = next(t for t in document["tasks"] if t["id"] == tasks["done"].pk)
    assert done["status"] == "done"
    assert done["priority"] == "high"
    assert done["due_date"] == "2025-02-28"
    assert sorted(done["tags"]) == sorted(["work", "a, b", 'say "hi"', "été"])
    assert done["completed_at"] is not None
    archived = next(t for t in document["tasks"] if t["id"] == tasks["archived"].pk)
    assert archived["archived_at"] is not None
    note = next(n for n in document["notes"] if n["title"] == "On the done task")
    assert note["task_id"] == tasks["done"].pk


def test_the_csv_export_has_one_row_per_task_and_note_of_the_user(client, user, other_user):
    tasks = rich_account(user)
    services.task_create(owner=other_user, title="Bob's secret task")
    client.force_login(user)

    response = page_export(client, "csv")
    filename = f"taskflow-export-{timezone.localdate().isoformat()}.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    text = body(response).decode()
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text, newline="")))

    assert [r["kind"] for r in rows] == ["task"] * 4 + ["note"] * 3
    assert "Bob" not in text
    done = next(r for r in rows if r["id"] == str(tasks["done"].pk))
    assert done["description"] == tasks["done"].description
    assert done["priority"] == "high"
    assert done["tags"] == '"a, b", "say ""hi""", work, été'
    assert done["body"] == done["task_id"] == done["archived_at"] == ""
    archived = next(r for r in rows if r["id"] == str(tasks["archived"].pk))
    assert archived["archived_at"].startswith(str(timezone.now().year))
    note = next(r for r in rows if r["title"] == "On the done task")
    assert note["task_id"] == str(tasks["done"].pk)
    assert note["body"] == "Body, with\nlines"
    assert note["status"] == note["priority"] == note["description"] == ""


def test_the_api_exports_json_or_csv_by_the_format_field(user, other_user):
    rich_account(user)
    services.task_create(owner=other_user, title="Bob's secret task")
    client = jwt_for(user)

    document = export_json(client, api=True)
    assert len(document["tasks"]) == 4
    assert len(document["notes"]) == 3
    rows = export_csv(client, api=True)
    assert len(rows) == 7
    # An Accept the API has no renderer for does not get in the way (406) either.
    response = api_export(client, "csv", HTTP_ACCEPT="text/csv")
    assert body(response).decode().startswith(HEADER)
    # Without a format the export is JSON.
    assert json.loads(body(api_export(client, None)))["version"] == 1


@pytest.mark.parametrize("fmt", ["xml", ""])
def test_an_unknown_or_empty_export_format_is_refused_by_the_api(jwt_client, fmt):
    response = jwt_client.post(API_EXPORT, {"format": fmt}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["format"]


def test_an_unknown_export_format_is_refused(client, user, jwt_client):
    response = jwt_client.post(API_EXPORT, {"format": "xml"}, format="json")
    assert response.status_code == 400
    assert "format" in response.json()
    client.force_login(user)
    response = client.post(EXPORT, {"format": "xml"})
    assert response.status_code == 400
    assert "Choose JSON or CSV." in response.content.decode()


def test_export_needs_a_signed_in_user(client, api_client):
    response = client.post(EXPORT, {"format": "json"})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    response = api_client.post(API_EXPORT, {"format": "json"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_an_empty_account_exports_empty_lists(client, user):
    client.force_login(user)
    document = export_json(client)
    assert document["tasks"] == [] and document["notes"] == []
    assert export_csv(client) == []


def test_export_queries_grow_per_chunk_not_per_row(client, user, monkeypatch):
    monkeypatch.setattr(exchange, "EXPORT_CHUNK", 5)
    for n in range(12):
        task = services.task_create(owner=user, title=f"T{n}", tags=["a", "b"])
        if n < 7:
            services.note_create(owner=user, title=f"N{n}", task=task, tags=["c"])
    client.force_login(user)
    for fmt in exchange.FORMATS:
        chunks = exchange.export_chunks(user=user, fmt=fmt)
        with CaptureQueriesContext(connection) as queries:
            content = "".join(chunks)
        # Per kind: the rows, read as one cursor, and one tag query per chunk of 5.
        expected = (1 + math.ceil(12 / 5)) + (1 + math.ceil(7 / 5))
        assert len(queries) == expected, [q["sql"] for q in queries]
        assert content.count("T1") >= 1


# --- round trips -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", exchange.FORMATS)
def test_export_then_import_into_an_empty_account_gives_the_same_data(user, fmt):
    rich_account(user)
    exported = body(api_export(jwt_for(user), fmt))
    newcomer = UserFactory()

    response = api_import(jwt_for(newcomer), exported, name=f"taskflow.{fmt}")

    assert response.status_code == 201, response.content
    assert response.json() == {
        "tasks": 4,
        "notes": 3,
        "updated_tasks": 0,
        "updated_notes": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert account(newcomer) == account(user)
    assert account(newcomer)["tasks"]  # the comparison is not between two empty lists
    # Exporting the copy gives the same file but for ids and update times.
    again = body(api_export(jwt_for(newcomer), fmt))
    assert _without_ids(again, fmt) == _without_ids(exported, fmt)


FORMULAS = ['=HYPERLINK("http://evil.example")', "+1", "-2", "@SUM(A1)", "'quoted", "'=x"]


def test_the_csv_export_guards_formulas_and_the_import_restores_them(user):
    for title in FORMULAS:
        services.task_create(owner=user, title=title, description=title, tags=["-minus"])
    rows = export_csv(jwt_for(user), api=True)
    for row in rows:
        assert row["title"][0] == "'"  # no cell a spreadsheet would run
        assert row["tags"] == "'-minus"
    exported = body(api_export(jwt_for(user), "csv"))
    newcomer = UserFactory()
    assert api_import(jwt_for(newcomer), exported, name="t.csv").status_code == 201
    imported = Task.objects.filter(owner=newcomer)
    assert sorted(imported.values_list("title", flat=True)) == sorted(FORMULAS)
    assert {t.description for t in imported} == set(FORMULAS)
    assert {tag.name for t in imported for tag in t.tags.all()} == {"-minus"}


def test_a_hand_made_csv_keeps_a_quote_that_guards_nothing(user):
    content = f"{HEADER}\n" + ",".join(
        {"kind": "task", "title": "'tis the season"}.get(c, "") for c in exchange.CSV_COLUMNS
    )
    assert api_import(jwt_for(user), content, name="t.csv").status_code == 201
    assert Task.objects.get(owner=user).title == "'tis the season"


def _without_ids(content: bytes, fmt: str) -> list:
    if fmt == "json":
        document = json.loads(content)
        records = [("task", t) for t in document["tasks"]] + [
            ("note", n) for n in document["notes"]
        ]
    else:
        records = [(r["kind"], r) for r in csv.DictReader(io.StringIO(content.decode()))]
    ids = {str(r["id"]): n for n, (kind, r) in enumerate(records) if kind == "task"}
    normal = []
    for kind, record in records:
        record = {k: v for k, v in record.items() if k not in ("id", "updated_at")}
        if record.get("task_id") not in (None, ""):
            record["task_id"] = ids[str(record["task_id"])]
        normal.append((kind, record))
    return normal


def test_the_page_imports_an_export_and_says_how_much(client, user, other_user):
    rich_account(other_user)
    client.force_login(other_user)
    exported = body(page_export(client, "csv"))
    client.force_login(user)

    response = page_import(client, exported, name="export.csv")

    assert response.status_code == 200
    assert "Imported 4 tasks and 3 notes." in response.content.decode()
    assert account(user) == account(other_user)


def test_importing_into_the_same_account_adds_copies_linked_to_the_copies(user):
    tasks = rich_account(user)
    client = jwt_for(user)
    exported = body(api_export(client, "json"))

    assert api_import(client, exported, existing="add").status_code == 201

    assert Task.objects.filter(owner=user).count() == 8
    copies = Note.objects.filter(owner=user, title="On the done task").order_by("id")
    assert copies[0].task_id == tasks["done"].pk
    assert copies[1].task_id != tasks["done"].pk
    assert copies[1].task.title == tasks["done"].title
    # Tags are the owner's, whatever the letter case: no duplicates.
    assert Tag.objects.filter(owner=user, name__iexact="work").count() == 1


def test_a_hand_written_csv_needs_only_kind_and_title(user):
    content = 'kind,title,tags,due_date\ntask,Buy milk,"home, ""errands, misc"""\n'
    content += "note,Shopping list,,\n\ntask, Call mum ,,2025-03-01\n"

    response = api_import(jwt_for(user), content, name="mine.csv")

    assert response.status_code == 201, response.content
    milk = Task.objects.get(owner=user, title="Buy milk")
    assert milk.status == "todo"
    assert milk.priority == Task.Priority.MEDIUM
    assert sorted(milk.tags.values_list("name", flat=True)) == ["errands, misc", "home"]
    assert Task.objects.get(owner=user, title="Call mum").due_date == date(2025, 3, 1)
    assert Note.objects.get(owner=user).title == "Shopping list"


def test_a_note_may_point_at_one_of_the_users_own_tasks(user):
    mine = services.task_create(owner=user, title="Existing")
    content = json.dumps({"notes": [{"title": "About it", "task_id": mine.pk}]})

    response = api_import(jwt_for(user), content, name="notes.json")

    assert response.status_code == 201, response.content
    assert Note.objects.get(owner=user).task == mine


def test_done_tasks_without_a_completion_time_get_the_import_time(user):
    content = json.dumps({"tasks": [{"title": "Finished", "status": "done"}]})
    started = timezone.now()

    assert api_import(jwt_for(user), content).status_code == 201

    task = Task.objects.get(owner=user)
    assert task.completed_at >= started
    assert task.updated_at >= started


def test_the_format_comes_from_the_field_the_extension_or_the_content(user):
    client = jwt_for(user)
    as_json = json.dumps({"tasks": [{"title": "From JSON"}]})
    assert api_import(client, as_json, name="noextension").status_code == 201
    assert api_import(client, "kind,title\ntask,From CSV\n", name="data.txt").status_code == 201
    response = api_import(client, as_json, name="data.csv", format="json")
    assert response.status_code == 201
    assert Task.objects.filter(owner=user, title="From JSON").count() == 2
    response = api_import(client, as_json, name="data.json", format="yaml")
    assert response.status_code == 400
    assert "format" in response.json()


# --- invalid rows: nothing changes and each bad row is named ------------------------------


def test_one_invalid_csv_row_imports_nothing_and_the_api_names_it(user):
    existing = services.task_create(owner=user, title="Keep me", tags=["old"])
    before = counts()
    content = "\n".join(
        [
            "kind,id,title,priority,tags,task_id",
            "task,1,Fine task,high,brand new tag,",
            f"task,2,{'x' * 201},medium,,",
            "note,,Fine note,,,1",
            "note,,Orphan,,,999999",
        ]
    )

    response = api_import(jwt_for(user), content, name="bad.csv")

    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid_rows"
    assert data["rows"] == [
        {
            "row": 3,
            "kind": "task",
            "title": "x" * 100,  # shortened: it only helps to find the row
            "errors": {"title": ["Ensure this value has at most 200 characters (it has 201)."]},
        },
        {
            "row": 5,
            "kind": "note",
            "title": "Orphan",
            "errors": {"task_id": ["No task has id 999999, in this file or in your account."]},
        },
    ]
    assert counts() == before
    assert not Tag.objects.filter(name="brand new tag").exists()
    assert list(Task.objects.filter(owner=user)) == [existing]


def test_one_invalid_json_row_imports_nothing_and_the_page_lists_it(client, user):
    before = counts()
    document = {
        "version": 1,
        "tasks": [
            {"id": 1, "title": "Good", "priority": "low"},
            {"id": 2, "title": "Bad priority", "priority": "urgent", "due_date": "31/01/2025"},
            {"id": 3, "title": "Bad status", "status": "finished"},
        ],
        "notes": [{"title": "Fine", "task_id": 1}, "not an object"],
    }
    client.force_login(user)

    response = page_import(client, json.dumps(document))

    assert response.status_code == 200  # the job's page
    page = response.content.decode()
    assert "3 rows of the file have errors, so nothing was imported." in page
    assert "Row 2 (task “Bad priority”)" in page
    assert "priority: Use low, medium or high." in page
    assert "due_date: Use a date like 2025-01-31." in page
    assert "Row 3 (task “Bad status”)" in page
    assert "status: Value &#x27;finished&#x27; is not a valid choice." in page
    assert "Row 2 (note)" in page
    assert "Expected a note object." in page
    assert f'href="{IMPORT}"' in page  # the form, to try again
    assert counts() == before


def test_the_rules_of_the_services_apply_to_every_row(user, other_user):
    theirs = services.task_create(owner=other_user, title="Bob's")
    future = (timezone.now() + timedelta(days=2)).isoformat()
    tasks = [
        {"id": 101, "title": "   "},
        {"id": 101, "title": "Same id"},
        {"title": "Not done", "status": "todo", "completed_at": "2025-01-01T10:00:00Z"},
        {"title": "From the future", "created_at": future},
        {"title": "Long tag", "tags": ["x" * 51]},
        {"title": "Null\x00char"},
        {"title": "Typo", "tilte": "oops"},
        {"title": 5, "tags": "not a list", "id": -3},
        {"title": "Bad time", "archived_at": "yesterday"},
        {"title": "Too long text", "description": "d" * 10_001},
        {"title": "Too many tags", "tags": [f"t{n}" for n in range(51)]},
        {"title": "Archived yet open", "archived_at": "2025-01-01T10:00:00Z"},
    ]
    notes = [{"title": "Bob's task", "task_id": theirs.pk}, {"title": "Task field", "status": "x"}]
    document = json.dumps({"tasks": tasks, "notes": notes})

    response = api_import(jwt_for(user), document)

    assert response.status_code == 400
    errors = {(r["kind"], r["row"]): r["errors"] for r in response.json()["rows"]}
    assert errors == {
        ("task", 1): {"title": ["This field is required."]},
        ("task", 2): {"id": ["Another task in this file has id 101."]},
        ("task", 3): {"completed_at": ["Only a done task has a completion time."]},
        ("task", 4): {"created_at": ["This time is in the future."]},
        ("task", 5): {"tags": [f"Tag names have at most 50 characters: {'x' * 51!r}."]},
        ("task", 6): {"title": ["Null characters are not allowed."]},
        ("task", 7): {"tilte": ["A task has no tilte."]},
        ("task", 8): {
            "title": ["Expected text."],
            "tags": ["Expected a list of tag names."],
            "id": ["Expected a positive whole number."],
        },
        ("task", 9): {"archived_at": ["Use a date and time like 2025-01-31T09:30:00+00:00."]},
        ("task", 10): {
            "description": ["Ensure this value has at most 10000 characters (it has 10001)."]
        },
        ("task", 11): {"tags": ["At most 50 tags."]},
        ("task", 12): {"archived_at": ["Only a done task can be archived."]},
        ("note", 1): {"task_id": [f"No task has id {theirs.pk}, in this file or in your account."]},
        ("note", 2): {"status": ["A note has no status."]},
    }
    assert not Task.objects.filter(owner=user).exists()


def test_csv_rows_too_wide_or_of_no_kind_are_named_short_ones_are_padded(user):
    content = "kind,title,status\ntask,Fine,todo\ntask,Too wide,todo,extra\nevent,What,\n"
    content += "task,Short\ntask,Nul\x00,todo\n"

    response = api_import(jwt_for(user), content, name="x.csv")

    assert response.status_code == 400
    assert response.json()["rows"] == [
        {
            "row": 3,
            "kind": "task",
            "title": "Too wide",
            "errors": {"non_field_errors": ["This row has 4 cells; the header has 3."]},
        },
        {"row": 4, "kind": "event", "title": None, "errors": {"kind": ["Use task or note."]}},
        {
            "row": 6,
            "kind": "task",
            "title": None,  # the title itself was refused
            "errors": {"title": ["Null characters are not allowed."]},
        },
    ]


def test_titles_in_import_errors_stay_escaped(client, user):
    script = "<script>alert(1)</script>"
    client.force_login(user)

    response = page_import(client, f"kind,title,priority\ntask,{script},urgent\n", "x.csv")

    page = response.content.decode()
    assert "nothing was imported" in page
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_shows_at_most_a_hundred_invalid_rows(client, user):
    content = "kind,title,priority\n" + "task,T,urgent\n" * 130
    client.force_login(user)

    page = page_import(client, content, "x.csv").content.decode()

    assert "130 rows of the file have errors" in page
    assert "Row 101 (task" in page
    assert "Row 102 (task" not in page
    assert "… and 30 more." in page


# --- malformed files ------------------------------------------------------------------------

MALFORMED = [
    ("latin1.csv", "kind,title\ntask,Café\n".encode("latin-1"), "The file is not UTF-8 text"),
    ("broken.json", b'{"tasks": [{"title": "x"},]}', "The file is not valid JSON"),
    ("list.json", b'[{"title": "x"}]', 'Expected a JSON object with "tasks" and "notes"'),
    ("other.json", b'{"name": "package"}', 'Expected a JSON object with "tasks" and "notes"'),
    ("tasks.json", b'{"tasks": {"title": "x"}}', '"tasks" must be a list.'),
    ("future.json", b'{"version": 2, "tasks": []}', "This is not a version 1 TaskFlow export."),
    ("deep.json", b"[" * 100_000 + b"]" * 100_000, "The file is not valid JSON"),
    ("header.csv", b"name,done\nx,1\n", "The first row must name the columns"),
    ("empty.csv", b"  \n", "The file is empty."),
]


@pytest.mark.parametrize(("name", "content", "message"), MALFORMED)
def test_a_malformed_file_is_a_clear_400_in_the_api(user, name, content, message):
    before = counts()

    response = api_import(jwt_for(user), content, name=name)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_file"
    assert response.json()["detail"].startswith(message)
    assert counts() == before


@pytest.mark.parametrize(("name", "content", "message"), MALFORMED[:4] + MALFORMED[7:])
def test_a_malformed_file_is_a_clear_error_on_the_page(client, user, name, content, message):
    """An empty or non-UTF-8 file is a form error at once; the job finds the rest."""
    client.force_login(user)

    response = page_import(client, content, name=name)

    page = response.content.decode()
    assert message.replace('"', "&quot;") in page
    assert 'role="alert"' in page
    at_once = name in ("latin1.csv", "empty.csv")
    assert response.status_code == (400 if at_once else 200)
    assert ('name="file"' in page) == at_once


def test_an_import_without_a_file_is_refused(client, user, jwt_client):
    response = jwt_client.post(API_IMPORT, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    client.force_login(user)
    response = client.post(IMPORT, {})
    assert response.status_code == 400
    assert "Choose a file to import." in response.content.decode()


def test_the_size_limit_refuses_larger_files(client, user, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = json.dumps({"tasks": [{"title": "x" * 100}] * 12})
    assert 1000 < len(content) < exchange.MULTIPART_SLACK  # read, then measured

    response = api_import(jwt_for(user), content)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The file is too large: at most 1000\xa0bytes.",
        "code": "file_too_large",
    }
    client.force_login(user)
    response = page_import(client, content)
    assert response.status_code == 413
    assert "The file is too large: at most 1000\xa0bytes." in response.content.decode()
    assert not Task.objects.exists()


def test_a_body_declared_too_large_is_refused_before_it_is_read(client, user, settings):
    settings.IMPORT_MAX_BYTES = 1000
    content = "kind,title\n" + "task,x\n" * 20_000  # beyond the limit plus multipart slack

    response = api_import(jwt_for(user), content, name="big.csv")

    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    client.force_login(user)
    assert page_import(client, content, name="big.csv").status_code == 413
    assert not Task.objects.exists()


def test_the_row_limit_refuses_files_with_more_rows(user, settings):
    settings.IMPORT_MAX_ROWS = 3
    client = jwt_for(user)

    response = api_import(client, "kind,title\n" + "task,x\n" * 4, name="x.csv")
    assert response.status_code == 400
    assert response.json()["detail"] == "The file has more than 3 tasks and notes."
    document = json.dumps({"tasks": [{"title": "x"}] * 2, "notes": [{"title": "y"}] * 2})
    assert api_import(client, document).status_code == 400
    assert api_import(client, "kind,title\n" + "task,x\n" * 3, name="x.csv").status_code == 201


def test_import_needs_a_signed_in_user(client, api_client):
    response = client.post(IMPORT, {"file": upload("kind,title\ntask,x\n", "x.csv")})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    response = api_client.post(API_IMPORT, {"file": upload("{}")}, format="multipart")
    assert response.status_code == 401
    assert not Task.objects.exists()


def test_the_import_page_still_checks_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.post(IMPORT, {"file": upload("kind,title\ntask,x\n", "x.csv")})

    assert response.status_code == 403
    assert not Task.objects.exists()


# --- pages -------------------------------------------------------------------------------


def test_the_profile_offers_exports_and_an_import_form(client, user):
    client.force_login(user)

    page = client.get(PROFILE).content.decode()

    assert f'action="{EXPORT}"' in page
    assert 'name="format" value="json"' in page
    assert "Export as JSON" in page
    assert 'name="format" value="csv"' in page
    assert "Export as CSV" in page
    assert f'action="{IMPORT}"' in page
    assert 'enctype="multipart/form-data"' in page
    assert '<label for="import-file">' in page
    assert 'id="import-file" name="file"' in page


def test_the_import_page_shows_the_form_and_the_size_limit(client, user):
    client.force_login(user)

    response = client.get(IMPORT)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="file"' in page
    assert "At most 5.0\xa0MB." in page


# --- schema ------------------------------------------------------------------------------


def test_the_schema_describes_the_data_endpoints(client):
    schema = yaml.safe_load(client.get(reverse("api-schema")).content)
    paths = schema["paths"]
    export = paths["/api/v1/export/"]["post"]
    assert export["tags"] == ["data"]
    assert {"jwtAuth": []} in export["security"]
    assert {"202", "400", "401"} <= set(export["responses"])
    assert "Location" in export["responses"]["202"]["headers"]
    body = export["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body == "#/components/schemas/DataExportRequest"
    components = schema["components"]["schemas"]
    fmt = components["DataExportRequest"]["properties"]["format"]["allOf"][0]["$ref"]
    assert components[fmt.rsplit("/", 1)[1]]["enum"] == ["json", "csv"]
    imported = paths["/api/v1/import/"]["post"]
    assert "multipart/form-data" in imported["requestBody"]["content"]
    assert {"202", "400", "401", "409", "413"} <= set(imported["responses"])
    job = paths["/api/v1/jobs/{id}/"]["get"]
    assert {"200", "401", "404"} <= set(job["responses"])
    download = paths["/api/v1/jobs/{id}/download/"]["get"]
    assert {"application/json", "text/csv"} <= set(download["responses"]["200"]["content"])
    assert "Content-Disposition" in download["responses"]["200"]["headers"]
    for path in ("/api/v1/calendar/", "/api/v1/calendar/reset/"):
        for operation in paths[path].values():
            assert operation["tags"] == ["calendar"]
            assert "401" in operation["responses"]
