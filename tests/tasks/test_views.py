import re
from datetime import timedelta

import pytest
import yaml
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks import forms, services
from tasks.models import Note, Task
from tests.tasks.factories import NoteFactory, TaskFactory

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
LIST = reverse("tasks:list")
CREATE = reverse("tasks:create")
DASHBOARD = reverse("tasks:dashboard")
NOTES = reverse("tasks:note-list")
NOTE_CREATE = reverse("tasks:note-create")
LOGIN = reverse("accounts:login")


def url(name, obj):
    return reverse(name, args=[obj.pk])


def html(response) -> str:
    return response.content.decode()


def fragment(response, status=200) -> str:
    """An htmx answer: the given status and a piece of a page, never a whole document."""
    assert response.status_code == status
    text = html(response)
    assert "<html" not in text
    return text


def row_ids(response) -> list[int]:
    """Task or note ids of the rows shown, in page order."""
    return [int(pk) for pk in re.findall(r'<li id="(?:task|note)-(\d+)"', html(response))]


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def task(user):
    return TaskFactory(owner=user, title="Buy milk", tags=["home"])


@pytest.fixture
def others_task(other_user):
    return TaskFactory(owner=other_user, title="Bob's secret plan")


@pytest.fixture
def note(user, task):
    return NoteFactory(owner=user, title="Milk brands", body="Oat or soy", task=task)


@pytest.fixture
def others_note(other_user):
    return NoteFactory(owner=other_user, title="Bob's diary")


def task_data(**overrides):
    return {"title": "Write report", "priority": "high", "due_date": "", "tags": "", **overrides}


def edit_data(task, **overrides):
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority_name,
        "due_date": "",
        "tags": "",
        "expected_version": task.version,
        **overrides,
    }


# --- every page, and who may see it ------------------------------------------------


def test_every_page_renders_for_its_owner(owner, task, note):
    pages = [
        DASHBOARD,
        LIST,
        url("tasks:detail", task),
        url("tasks:delete", task),
        NOTES,
        url("tasks:note-detail", note),
        url("tasks:note-delete", note),
    ]
    for page in pages:
        response = owner.get(page)
        assert response.status_code == 200, page
        assert "<html" in html(response), page


def test_base_navigation_links_to_dashboard_tasks_and_notes(owner):
    page = html(owner.get(LIST))
    for target in (DASHBOARD, LIST, NOTES):
        assert f'href="{target}"' in page
    assert f'href="{LIST}" aria-current="page"' in page


ROUTES = [
    ("get", "tasks:dashboard", None),
    ("get", "tasks:list", None),
    ("post", "tasks:create", None),
    ("get", "tasks:detail", "task"),
    ("post", "tasks:detail", "task"),
    ("get", "tasks:row", "task"),
    ("get", "tasks:row-edit", "task"),
    ("post", "tasks:row-edit", "task"),
    ("post", "tasks:set-done", "task"),
    ("get", "tasks:delete", "task"),
    ("post", "tasks:delete", "task"),
    ("get", "tasks:note-list", None),
    ("post", "tasks:note-create", None),
    ("get", "tasks:note-detail", "note"),
    ("post", "tasks:note-detail", "note"),
    ("get", "tasks:note-delete", "note"),
    ("post", "tasks:note-delete", "note"),
]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("method", "name", "kind"), ROUTES)
def test_anonymous_visitors_are_sent_to_the_login_page(
    client, task, note, method, name, kind, htmx
):
    target = reverse(name, args=[{"task": task, "note": note}[kind].pk] if kind else [])
    data = task_data() if method == "post" else None
    response = getattr(client, method)(target, data, headers=HX if htmx else {})
    if htmx:  # the whole page navigates to the login form instead of swapping it in
        assert response["HX-Redirect"] == f"{LOGIN}?next={target}"
    else:
        assert response.status_code == 302
        assert response.url == f"{LOGIN}?next={target}"
    assert Task.objects.filter(pk=task.pk, title="Buy milk").exists()
    assert Note.objects.filter(pk=note.pk).exists()


OWNED_ROUTES = [route for route in ROUTES if route[2]]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
@pytest.mark.parametrize(("method", "name", "kind"), OWNED_ROUTES)
def test_another_users_task_or_note_is_not_found(
    owner, others_task, others_note, method, name, kind, htmx
):
    obj = {"task": others_task, "note": others_note}[kind]
    data = {**edit_data(others_task, title="Hijacked"), "body": "Hijacked"}
    response = getattr(owner, method)(url(name, obj), data, headers=HX if htmx else {})
    assert response.status_code == 404
    others_task.refresh_from_db()
    others_note.refresh_from_db()
    assert others_task.title == "Bob's secret plan"
    assert others_task.status == Task.Status.TODO
    assert others_note.title == "Bob's diary"


def test_another_users_tasks_and_notes_are_never_listed(
    owner, task, note, others_task, others_note
):
    assert "Bob's secret plan" not in html(owner.get(LIST))
    assert "Bob's diary" not in html(owner.get(NOTES))
    assert "Bob's secret plan" not in html(owner.get(DASHBOARD))


# --- task list: full page and fragments ------------------------------------------


def test_task_list_page_has_the_elements_the_browser_tests_use(owner, task):
    page = html(owner.get(LIST))
    for marker in (
        'id="task-list"',
        f'id="task-{task.pk}"',
        'id="task-create-form"',
        'id="task-search"',
        'type="search"',
        'name="search"',
        'hx-trigger="input changed delay:300ms, search"',
        'hx-push-url="true"',
    ):
        assert marker in page
    # Every visible input of the page has a label.
    for input_id in re.findall(
        r'<(?:input|select|textarea)(?![^>]*type="hidden")[^>]*id="([^"]+)"', page
    ):
        assert f'<label for="{input_id}">' in page, input_id


def test_the_filter_form_offers_exactly_the_values_the_api_documents(owner, client):
    """One filter set (TaskFilter) makes the page's form and the API's parameters."""
    schema = yaml.safe_load(client.get(reverse("api-schema")).content)
    parameters = schema["paths"]["/api/v1/tasks/"]["get"]["parameters"]
    documented = {p["name"]: set(p["schema"].get("enum", ())) for p in parameters}
    page = html(owner.get(LIST))
    for name in ("status", "priority", "due", "ordering", "archived"):
        select = re.search(rf'<select name="{name}".*?</select>', page, re.DOTALL)[0]
        offered = set(re.findall(r'<option value="([^"]*)"', select)) - {""}
        assert offered == documented[name], name


def test_the_page_has_no_inline_script_style_or_event_attribute(owner, task, note):
    for page in (LIST, NOTES, DASHBOARD, url("tasks:detail", task)):
        text = html(owner.get(page))
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), page
        assert " style=" not in text, page
        assert "hx-on" not in text, page
        assert "javascript:" not in text, page


def test_an_htmx_request_gets_only_the_results_fragment(owner, task):
    response = owner.get(LIST, headers=HX)
    page = fragment(response)
    assert 'id="task-list"' in page
    assert "Buy milk" in page
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(owner, task):
    response = owner.get(LIST, headers={**HX, "HX-History-Restore-Request": "true"})
    assert "<html" in html(response)


def test_live_search_narrows_the_list(owner, user, task):
    TaskFactory(owner=user, title="Write quarterly report", description="")
    page = fragment(owner.get(LIST, {"search": "quarterly"}, headers=HX))
    assert "Write quarterly report" in page
    assert "Buy milk" not in page


def test_the_full_page_keeps_the_search_in_the_form(owner, user, task):
    TaskFactory(owner=user, title="Write quarterly report", description="")
    response = owner.get(LIST, {"search": "quarterly"})
    page = html(response)
    assert re.search(r'<input type="search" name="search" value="quarterly"', page)
    assert "Buy milk" not in page
    assert "1 task" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "done"}, {"done"}),
        ({"status": "in_progress"}, {"started"}),
        ({"priority": "high"}, {"urgent"}),
        ({"priority": "low"}, {"done"}),
        ({"tag": "WORK"}, {"urgent", "started"}),
        ({"due": "overdue"}, {"late"}),
        ({"due": "today"}, {"today"}),
        ({"due": "week"}, {"today", "in five days"}),
    ],
)
def test_each_filter_narrows_the_list(owner, user, params, expected):
    today = timezone.localdate()
    TaskFactory(owner=user, title="urgent", priority=Task.Priority.HIGH, tags=["work"])
    TaskFactory(owner=user, title="started", status=Task.Status.IN_PROGRESS, tags=["work"])
    TaskFactory(owner=user, title="done", status=Task.Status.DONE, priority=Task.Priority.LOW)
    TaskFactory(owner=user, title="late", due_date=today - timedelta(days=2))
    TaskFactory(owner=user, title="today", due_date=today)
    TaskFactory(owner=user, title="in five days", due_date=today + timedelta(days=5))
    TaskFactory(owner=user, title="next month", due_date=today + timedelta(days=30))
    response = owner.get(LIST, params)
    shown = set(Task.objects.filter(pk__in=row_ids(response)).values_list("title", flat=True))
    assert shown == expected
    # The form shows the filter that is applied.
    field, value = next(iter(params.items()))
    if field == "tag":
        assert f'name="tag" value="{value}"' in html(response)
    else:
        assert f'<option value="{value}" selected>' in html(response)


def test_sorting_orders_the_rows(owner, user):
    low = TaskFactory(owner=user, priority=Task.Priority.LOW)
    high = TaskFactory(owner=user, priority=Task.Priority.HIGH)
    medium = TaskFactory(owner=user, priority=Task.Priority.MEDIUM)
    assert row_ids(owner.get(LIST, {"ordering": "-priority"})) == [high.pk, medium.pk, low.pk]
    assert row_ids(owner.get(LIST, {"ordering": "priority"})) == [low.pk, medium.pk, high.pk]
    assert row_ids(owner.get(LIST)) == [medium.pk, high.pk, low.pk]  # newest first


def test_invalid_filters_are_shown_as_messages_not_a_server_error(owner, task):
    response = owner.get(LIST, {"status": "bogus", "due_before": "not-a-date"})
    assert response.status_code == 200
    page = html(response)
    assert "Status: Select a valid choice. bogus is not one of the available choices." in page
    assert "due_before: Enter a valid date." in page
    assert row_ids(response) == []


def test_pagination_keeps_the_filters(owner, user):
    for n in range(25):
        TaskFactory(owner=user, title=f"work item {n}", tags=["work"])
    TaskFactory(owner=user, title="unrelated")
    first = owner.get(LIST, {"tag": "work"})
    assert len(row_ids(first)) == 20
    assert "25 tasks" in html(first)
    assert 'href="?tag=work&amp;page=2"' in html(first)
    second = owner.get(LIST, {"tag": "work", "page": 2}, headers=HX)
    assert len(row_ids(second)) == 5
    assert "unrelated" not in html(second)
    assert 'href="?tag=work&amp;page=1"' in html(second)


# --- creating tasks ----------------------------------------------------------------


def test_create_without_javascript_redirects_back_to_the_list(owner, user):
    back = f"{LIST}?status=todo"
    response = owner.post(CREATE, task_data(tags="Work, urgent", next=back))
    assert response.status_code == 302
    assert response.url == back
    task = Task.objects.get(owner=user)
    assert task.title == "Write report"
    assert task.priority == Task.Priority.HIGH
    assert sorted(tag.name for tag in task.tags.all()) == ["Work", "urgent"]
    assert "Write report" in html(owner.get(back))


def test_create_refuses_a_redirect_to_another_site(owner):
    response = owner.post(CREATE, task_data(next="https://evil.example.com/"))
    assert response.url == LIST


def test_create_without_javascript_shows_errors_and_keeps_the_input(owner, user):
    response = owner.post(CREATE, task_data(title="", tags="keep, these"))
    assert response.status_code == 200
    page = html(response)
    assert "<html" in page
    assert "This field is required." in page
    assert 'value="keep, these"' in page
    assert not Task.objects.exists()


def test_create_with_htmx_returns_the_new_row_a_blank_form_and_the_count(owner, user):
    TaskFactory(owner=user, priority=Task.Priority.HIGH)
    TaskFactory(owner=user, priority=Task.Priority.LOW)
    # The list on screen shows high-priority tasks: its count now includes the new one.
    headers = {**HX, "HX-Current-URL": f"http://testserver{LIST}?priority=high"}
    page = fragment(owner.post(CREATE, task_data(tags="work"), headers=headers))
    task = Task.objects.get(owner=user, title="Write report")
    assert task.priority == Task.Priority.HIGH
    assert page.lstrip().startswith(f'<li id="task-{task.pk}"')
    assert f'<input type="hidden" name="next" value="{LIST}?priority=high">' in page
    assert re.search(r'<form id="task-create-form"[^>]*hx-swap-oob="true"', page)
    assert 'value="Write report"' not in page  # the form was emptied
    assert 'hx-swap-oob="true">2 tasks</p>' in page


def test_create_with_htmx_and_bad_input_swaps_the_form_with_its_errors(owner):
    response = owner.post(CREATE, task_data(title="  ", priority="urgent"), headers=HX)
    assert response["HX-Retarget"] == "#task-create-form"
    assert response["HX-Reswap"] == "outerHTML"
    page = fragment(response)
    assert page.lstrip().startswith('<form id="task-create-form"')
    assert "This field is required." in page
    assert "Select a valid choice. urgent is not one of the available choices." in page
    assert not Task.objects.exists()


def test_a_rule_the_service_enforces_becomes_a_form_error(owner):
    response = owner.post(CREATE, task_data(tags="x" * 51))
    assert response.status_code == 200
    assert "Tag names have at most 50 characters" in html(response)
    assert not Task.objects.exists()


# --- row actions: mark done or reopen, inline edit, delete --------------------------------------


def test_mark_done_and_reopen_without_javascript(owner, task):
    response = owner.post(
        url("tasks:set-done", task), {"done": "true", "next": f"{LIST}?search=milk"}
    )
    assert response.status_code == 302
    assert response.url == f"{LIST}?search=milk"
    task.refresh_from_db()
    assert task.status == Task.Status.DONE
    assert task.completed_at is not None
    owner.post(url("tasks:set-done", task), {"done": "false"})
    task.refresh_from_db()
    assert task.status == Task.Status.TODO
    assert task.completed_at is None


def test_mark_done_with_htmx_returns_the_updated_row(owner, task):
    response = owner.post(url("tasks:set-done", task), {"done": "true"}, headers=HX)
    page = fragment(response)
    assert page.lstrip().startswith(f'<li id="task-{task.pk}" class="row task-row is-done"')
    assert ">Reopen</button>" in page
    task.refresh_from_db()
    assert task.is_done


def test_a_stale_mark_done_leaves_a_done_task_done(owner, task):
    # Two tabs show "Mark done"; the second click must not reopen what the first closed.
    for _ in range(2):
        assert owner.post(url("tasks:set-done", task), {"done": "true"}).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.version) == (Task.Status.DONE, 2)


def test_a_stale_reopen_leaves_a_task_in_progress_as_it_is(owner, task):
    services.task_update(task=task, status=Task.Status.IN_PROGRESS)
    response = owner.post(url("tasks:set-done", task), {"done": "false"}, headers=HX)
    assert "Mark done" in fragment(response)
    task.refresh_from_db()
    assert (task.status, task.version) == (Task.Status.IN_PROGRESS, 2)


@pytest.mark.parametrize("data", [{}, {"done": "yes"}, {"done": ""}])
def test_mark_done_without_a_clear_done_answers_400(owner, task, data):
    response = owner.post(url("tasks:set-done", task), data)
    assert response.status_code == 400
    assert b"done=true" in response.content
    task.refresh_from_db()
    assert (task.status, task.version) == (Task.Status.TODO, 1)


def test_inline_edit_swaps_the_row_for_a_form_with_the_version(owner, task):
    response = owner.get(url("tasks:row-edit", task), headers=HX)
    page = fragment(response)
    assert page.lstrip().startswith(f'<li id="task-{task.pk}" class="row task-row editing"')
    assert f'name="expected_version" value="{task.version}"' in page
    assert 'value="Buy milk"' in page
    assert 'value="home"' in page
    assert f'hx-get="{url("tasks:row", task)}"' in page  # Cancel


def test_inline_edit_without_javascript_is_the_detail_page(owner, task):
    response = owner.get(url("tasks:row-edit", task))
    assert response.status_code == 302
    assert response.url == url("tasks:detail", task)
    assert owner.get(url("tasks:row", task)).url == url("tasks:detail", task)


def test_cancelling_an_inline_edit_returns_the_row(owner, task):
    response = owner.get(url("tasks:row", task), headers=HX)
    assert html(response).lstrip().startswith(f'<li id="task-{task.pk}" class="row task-row"')
    assert "Mark done" in html(response)


def test_saving_an_inline_edit_returns_the_row(owner, task):
    data = edit_data(task, title="Buy oat milk", priority="low", tags="home, shop")
    response = owner.post(url("tasks:row-edit", task), data, headers=HX)
    page = fragment(response)
    assert "Buy oat milk" in page
    assert "#shop" in page
    task.refresh_from_db()
    assert (task.title, task.priority, task.version) == ("Buy oat milk", Task.Priority.LOW, 2)


def test_an_invalid_inline_edit_keeps_the_form_and_changes_nothing(owner, task):
    response = owner.post(url("tasks:row-edit", task), edit_data(task, title=""), headers=HX)
    assert response.status_code == 200
    assert "This field is required." in html(response)
    assert 'name="expected_version"' in html(response)
    task.refresh_from_db()
    assert task.title == "Buy milk"


def test_an_inline_edit_posted_without_javascript_redirects_back(owner, task):
    data = edit_data(task, title="Buy bread", next=f"{LIST}?tag=home")
    response = owner.post(url("tasks:row-edit", task), data)
    assert response.status_code == 302
    assert response.url == f"{LIST}?tag=home"
    task.refresh_from_db()
    assert task.title == "Buy bread"


def test_an_invalid_inline_edit_posted_without_javascript_shows_the_detail_page(owner, task):
    response = owner.post(url("tasks:row-edit", task), edit_data(task, title="", tags="kept"))
    assert response.status_code == 200
    page = html(response)
    assert "<html" in page
    assert 'id="task-edit-form"' in page
    assert "This field is required." in page
    assert 'value="kept"' in page
    task.refresh_from_db()
    assert task.title == "Buy milk"


def test_delete_with_htmx_removes_the_row_and_updates_the_count(owner, user, task):
    TaskFactory(owner=user)
    page = fragment(owner.post(url("tasks:delete", task), headers=HX))
    # Nothing replaces the row; only the count changes, out of band.
    assert "<li" not in page
    assert (
        '<p id="task-count" class="result-count" role="status" hx-swap-oob="true">1 task</p>'
        in page
    )
    assert not Task.objects.filter(pk=task.pk).exists()


def test_delete_without_javascript_asks_for_confirmation_then_redirects(owner, task):
    back = f"{LIST}?search=milk"
    confirm = owner.get(url("tasks:delete", task), {"next": back})
    page = html(confirm)
    assert "Delete this task?" in page
    assert "“Buy milk”" in page
    assert f'<input type="hidden" name="next" value="{back}">' in page
    assert Task.objects.filter(pk=task.pk).exists()  # a GET deletes nothing
    response = owner.post(url("tasks:delete", task), {"next": back})
    assert response.status_code == 302
    assert response.url == back
    assert not Task.objects.filter(pk=task.pk).exists()


def test_rows_carry_an_htmx_confirmation_and_a_no_js_fallback(owner, task):
    page = html(owner.get(LIST))
    assert 'hx-confirm="Delete the task “Buy milk”?"' in page
    assert f'<form class="inline-form" method="get" action="{url("tasks:delete", task)}">' in page
    assert f'formaction="{url("tasks:set-done", task)}"' in page
    assert 'name="done" value="true"' in page
    assert f'<a href="{url("tasks:detail", task)}" hx-get="{url("tasks:row-edit", task)}"' in page


# --- task detail and the version check ---------------------------------------------


def test_detail_page_edits_every_field(owner, task):
    data = edit_data(
        task,
        title="Buy oat milk",
        description="Two litres",
        status="in_progress",
        priority="high",
        due_date="2030-01-31",
        tags="shop, Home",
    )
    response = owner.post(url("tasks:detail", task), data)
    assert response.status_code == 302
    assert response.url == url("tasks:detail", task)
    task.refresh_from_db()
    assert task.title == "Buy oat milk"
    assert task.description == "Two litres"
    assert task.status == Task.Status.IN_PROGRESS
    assert task.priority == Task.Priority.HIGH
    assert task.due_date.isoformat() == "2030-01-31"
    assert sorted(tag.name for tag in task.tags.all()) == ["home", "shop"]
    assert task.version == 2


def test_detail_page_shows_the_task_and_its_notes(owner, task, note, others_note):
    page = html(owner.get(url("tasks:detail", task)))
    assert 'value="Buy milk"' in page
    assert 'value="home"' in page
    assert '<option value="medium" selected>' in page
    assert f'name="expected_version" value="{task.version}"' in page
    assert "Milk brands" in page
    assert "Bob's diary" not in page


def test_a_stale_edit_that_clashes_is_refused_with_409_keeping_what_was_typed(owner, task):
    seen = forms.task_form_data(task)  # what the edit page was rendered with
    services.task_update(task=task, title="Buy milk and eggs")  # someone else saves first
    response = owner.post(url("tasks:detail", task), {**seen, "title": "My stale title"})
    assert response.status_code == 409
    page = html(response)
    assert "Someone saved this task while you were editing it." in page
    assert 'value="My stale title"' in page
    assert "Saved meanwhile: <q>Buy milk and eggs</q>" in page
    assert 'name="expected_version" value="2"' in page
    assert ">Keep mine</button>" in page and ">Use theirs</a>" in page
    task.refresh_from_db()
    assert (task.title, task.version) == ("Buy milk and eggs", 2)


def test_a_stale_inline_edit_that_clashes_is_refused_with_409(owner, task):
    seen = forms.task_form_data(task)
    services.task_update(task=task, title="Buy milk and eggs")
    data = {**seen, "title": "My stale title"}
    response = owner.post(url("tasks:row-edit", task), data, headers=HX)
    page = fragment(response, 409)
    assert "Someone saved this task" in page
    assert 'value="My stale title"' in page
    assert "Saved meanwhile: <q>Buy milk and eggs</q>" in page
    assert ">Keep mine</button>" in page and ">Use theirs</a>" in page
    task.refresh_from_db()
    assert task.title == "Buy milk and eggs"


def test_an_edit_without_a_version_is_refused(owner, task):
    data = edit_data(task, title="No version")
    del data["expected_version"]
    response = owner.post(url("tasks:detail", task), data)
    assert response.status_code == 200
    assert "This field is required." in html(response)
    task.refresh_from_db()
    assert task.title == "Buy milk"


# --- notes -------------------------------------------------------------------------


def note_data(**overrides):
    return {"title": "Meeting notes", "body": "Agenda", "task": "", "tags": "", **overrides}


def test_note_list_has_the_elements_the_browser_tests_use(owner, note):
    page = html(owner.get(NOTES))
    for marker in ('id="note-list"', f'id="note-{note.pk}"', 'id="note-create-form"'):
        assert marker in page
    assert 'id="note-search"' in page
    assert "Milk brands" in page
    assert "Buy milk" in page  # the linked task


def test_note_search_narrows_the_list(owner, user, note):
    NoteFactory(owner=user, title="Holiday ideas", body="Lisbon")
    results = fragment(owner.get(NOTES, {"search": "lisbon"}, headers=HX))
    assert "Holiday ideas" in results
    assert "Milk brands" not in results
    assert 'value="lisbon"' in html(owner.get(NOTES, {"search": "lisbon"}))


def test_the_notes_page_lists_no_tasks_its_picker_asks_as_the_user_types(owner, task):
    page = html(owner.get(NOTES))
    assert "Buy milk" not in page
    assert 'list="new-note-task-options"' in page
    assert '<datalist id="new-note-task-options"></datalist>' in page


def test_create_note_without_javascript(owner, user, task):
    response = owner.post(NOTE_CREATE, note_data(task=forms.task_label(task), tags="meetings"))
    assert response.status_code == 302
    assert response.url == NOTES
    note = Note.objects.get(owner=user)
    assert (note.title, note.body, note.task) == ("Meeting notes", "Agenda", task)
    assert [tag.name for tag in note.tags.all()] == ["meetings"]


def test_create_note_with_htmx(owner, user):
    page = fragment(owner.post(NOTE_CREATE, note_data(), headers=HX))
    note = Note.objects.get(owner=user)
    assert page.lstrip().startswith(f'<li id="note-{note.pk}"')
    assert 'hx-swap-oob="true"' in page


def test_create_note_with_bad_input(owner):
    response = owner.post(NOTE_CREATE, note_data(title="", body="keep me"), headers=HX)
    assert response["HX-Retarget"] == "#note-create-form"
    assert "This field is required." in html(response)
    assert "keep me" in html(response)
    response = owner.post(NOTE_CREATE, note_data(title="", body="keep me"))
    assert "<html" in html(response)
    assert "keep me" in html(response)
    assert not Note.objects.exists()


def test_a_note_cannot_be_linked_to_another_users_task(owner, note, others_task):
    theirs = forms.task_label(others_task)
    response = owner.post(NOTE_CREATE, note_data(task=theirs))
    assert response.status_code == 200
    assert "None of your tasks is called" in html(response)
    response = owner.post(url("tasks:note-detail", note), note_data(task=theirs))
    assert response.status_code == 200
    assert "None of your tasks is called" in html(response)
    assert not Note.objects.filter(task=others_task).exists()
    note.refresh_from_db()
    assert note.title == "Milk brands"


def test_edit_note(owner, note):
    page = html(owner.get(url("tasks:note-detail", note)))
    assert 'value="Milk brands"' in page
    assert f'value="{forms.task_label(note.task)}"' in page
    data = note_data(title="Milk", tags="a, b", expected_version=note.version)
    response = owner.post(url("tasks:note-detail", note), data)
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.title, note.body, note.task) == ("Milk", "Agenda", None)
    assert sorted(tag.name for tag in note.tags.all()) == ["a", "b"]


def test_delete_note_with_and_without_javascript(owner, user, note):
    other = NoteFactory(owner=user, title="Second")
    assert "Delete this note?" in html(owner.get(url("tasks:note-delete", note)))
    response = owner.post(url("tasks:note-delete", note))
    assert response.status_code == 302
    assert response.url == NOTES
    page = fragment(owner.post(url("tasks:note-delete", other), headers=HX))
    assert "<li" not in page
    assert 'hx-swap-oob="true">0 notes</p>' in page
    assert not Note.objects.exists()


# --- dashboard ---------------------------------------------------------------------


def stat(page, key) -> int:
    return int(re.search(rf'<dd data-stat="{key}">(\d+)</dd>', page).group(1))


def test_dashboard_figures(owner, user, other_user):
    today = timezone.localdate()
    TaskFactory(owner=user, priority=Task.Priority.HIGH, due_date=today - timedelta(days=1))
    TaskFactory(owner=user, due_date=today)
    TaskFactory(owner=user, status=Task.Status.IN_PROGRESS, due_date=today + timedelta(days=3))
    TaskFactory(owner=user, status=Task.Status.DONE, priority=Task.Priority.LOW)
    TaskFactory(owner=other_user, due_date=today)
    page = html(owner.get(DASHBOARD))
    expected = {
        "todo": 2,
        "in_progress": 1,
        "done": 1,
        "high": 1,
        "medium": 2,
        "low": 1,
        "overdue": 1,
        "today": 1,
        "week": 2,
    }
    assert {key: stat(page, key) for key in expected} == expected
    assert f'href="{LIST}?due=overdue"' in page
    assert f'href="{LIST}?priority=high"' in page


def test_dashboard_chart_has_a_bar_per_day_with_the_right_counts(owner, user):
    now = timezone.now()
    for days_ago in (0, 0, 0, 2, 13, 14):
        TaskFactory(owner=user, status=Task.Status.DONE, completed_at=now - timedelta(days_ago))
    page = html(owner.get(DASHBOARD))
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-title chart-desc"' in svg
    assert '<title id="chart-title">Tasks completed per day, last 14 days</title>' in svg
    assert "5 tasks completed" in svg
    counts = [int(n) for n in re.findall(r'<rect class="bar"[^>]*data-count="(\d+)"', svg)]
    assert len(counts) == 14
    assert counts[-1] == 3  # today
    assert counts[-3] == 1  # two days ago
    assert counts[0] == 1  # 13 days ago; 14 days ago is outside the chart
    assert sum(counts) == 5
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', svg)]
    assert heights[-1] == max(heights) > heights[-3] > 0
    assert heights[1] == 0


def test_dashboard_chart_with_nothing_completed_has_fourteen_empty_bars(owner, user):
    TaskFactory(owner=user)
    svg = re.search(r"<svg.*?</svg>", html(owner.get(DASHBOARD)), re.S).group(0)
    assert re.findall(r'<rect class="bar"[^>]*height="([\d.]+)"', svg) == ["0.0"] * 14
    assert "0 tasks completed" in svg
    assert "Busiest day" not in svg


def test_dashboard_lists_recently_completed_tasks(owner, user):
    TaskFactory(
        owner=user, title="Filed taxes", status=Task.Status.DONE, completed_at=timezone.now()
    )
    TaskFactory(owner=user, title="Still open")
    recent = re.search(r'<ul id="recently-completed">.*?</ul>', html(owner.get(DASHBOARD)), re.S)
    assert "Filed taxes" in recent.group(0)
    assert "Still open" not in recent.group(0)


# --- query counts ------------------------------------------------------------------


def _make_tasks(user, count):
    for n in range(count):
        TaskFactory(owner=user, tags=[f"tag{n % 3}", "shared"])


def _make_notes(user, count):
    task = TaskFactory(owner=user)
    for _ in range(count):
        note = NoteFactory(owner=user, task=task)
        note.tags.set(services.tags_resolve(owner=user, names=["a", "b"]))


# Once the user is cached by a first visit, rendering a page takes: the session, the
# owner's counts row, the page of rows, their tags; the notes page counts its rows (its
# task picker lists no task). (`?page=1` is another query string, so it is rendered.)
@pytest.mark.parametrize(
    ("page", "make", "queries"),
    [(LIST, _make_tasks, 4), (NOTES, _make_notes, 4)],
    ids=["tasks", "notes"],
)
@pytest.mark.parametrize("rows", [1, 30])
def test_list_pages_use_a_constant_number_of_queries(
    owner, user, django_assert_num_queries, page, make, queries, rows
):
    make(user, rows)
    owner.get(page)
    with django_assert_num_queries(queries):
        response = owner.get(page, {"page": 1})
    assert len(row_ids(response)) == min(rows, 20)


def test_a_task_list_page_seen_before_takes_only_the_session(
    owner, user, django_assert_num_queries
):
    _make_tasks(user, 30)
    first = main_content(owner.get(LIST, {"priority": "medium"}))
    with django_assert_num_queries(1):
        again = owner.get(LIST, {"priority": "medium"})
    assert main_content(again) == first
    assert len(row_ids(again)) == 20


def test_a_cached_task_list_page_carries_this_responses_csrf_token(client, user):
    client.force_login(user)
    _make_tasks(user, 2)
    client.get(LIST)
    page = client.get(LIST).content.decode()
    results = page[page.index('id="task-results"') :]
    assert "csrfmiddlewaretoken" not in results  # the cached rows hold no token
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    task = Task.objects.filter(owner=user).first()
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.cookies = client.cookies
    toggled = csrf_client.post(
        reverse("tasks:set-done", args=[task.pk]), {"csrfmiddlewaretoken": token, "done": "true"}
    )
    assert toggled.status_code == 302
    task.refresh_from_db()
    assert task.is_done


@pytest.mark.parametrize(
    ("write", "dashboard_changes"),
    [
        (
            lambda user, task: services.task_update(
                task=task, title="Changed", due_date=timezone.localdate()
            ),
            True,
        ),
        (lambda user, task: services.task_create(owner=user, title="Changed"), True),
        (lambda user, task: services.tag_rename(tag=task.tags.get(), name="Changed"), False),
        (lambda user, task: services.task_complete(task=task), True),
    ],
    ids=["task-update", "task-create", "tag-rename", "task-complete"],
)
def test_every_task_or_tag_write_retires_the_cached_pages(owner, user, write, dashboard_changes):
    task = services.task_create(owner=user, title="Before", tags=["t"])
    list_before, dashboard_before = (
        main_content(owner.get(LIST)),
        main_content(owner.get(DASHBOARD)),
    )
    write(user, task)
    assert main_content(owner.get(LIST)) != list_before
    if dashboard_changes:  # a tag name appears nowhere on the dashboard
        assert main_content(owner.get(DASHBOARD)) != dashboard_before


def test_other_users_never_get_my_cached_page(client, user, other_user):
    services.task_create(owner=user, title="Mine only")
    client.force_login(user)
    assert "Mine only" in client.get(LIST).content.decode()
    client.force_login(other_user)
    assert "Mine only" not in client.get(LIST).content.decode()


def test_a_page_with_a_message_is_never_served_from_the_cache(owner, user):
    owner.get(LIST)
    response = owner.post(CREATE, task_data(title="Fresh"), follow=True)
    assert "“Fresh” added" in response.content.decode()
    assert "“Fresh” added" not in owner.get(LIST).content.decode()  # shown once


def main_content(response) -> str:
    """The page's <main> with CSRF tokens blanked (they change with each response)."""
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)


@pytest.mark.parametrize("rows", [1, 30])
def test_dashboard_uses_a_constant_number_of_queries(owner, user, django_assert_num_queries, rows):
    for _ in range(rows):
        TaskFactory(owner=user, status=Task.Status.DONE, completed_at=timezone.now())
    first = main_content(owner.get(DASHBOARD))
    with django_assert_num_queries(1):  # the session: user and figures are cached
        assert main_content(owner.get(DASHBOARD)) == first
    assert first.count("<time datetime=") == min(rows, 5)  # recently completed
