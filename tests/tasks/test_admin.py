import pytest
from django.contrib.auth.models import Permission

from tasks.models import Task
from tests.accounts.factories import UserFactory
from tests.conftest import sign_in_verified
from tests.tasks.factories import NoteFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_task_changelist_searches_titles_and_owner_emails(staff_client, user, other_user):
    TaskFactory(owner=user, title="Ann's groceries")
    TaskFactory(owner=other_user, title="Bob's taxes")
    html = staff_client.get("/admin/tasks/task/?q=groceries").content.decode()
    assert "groceries" in html
    assert "taxes" not in html
    html = staff_client.get("/admin/tasks/task/?q=bob@example.com").content.decode()
    assert "taxes" in html
    assert "groceries" not in html


def test_task_changelist_filters_by_status_and_priority(staff_client, user):
    TaskFactory(owner=user, title="finished thing", status="done", priority=3)
    TaskFactory(owner=user, title="open thing", status="todo", priority=1)
    html = staff_client.get("/admin/tasks/task/?status__exact=done").content.decode()
    assert "finished thing" in html
    assert "open thing" not in html
    html = staff_client.get("/admin/tasks/task/?priority__exact=1").content.decode()
    assert "open thing" in html
    assert "finished thing" not in html


def test_mark_done_action_goes_through_the_service(staff_client, user):
    open_task = TaskFactory(owner=user, status="todo")
    response = staff_client.post(
        "/admin/tasks/task/",
        {"action": "mark_done", "_selected_action": [open_task.pk]},
        follow=True,
    )
    assert "1 task(s) marked as done" in response.content.decode()
    open_task.refresh_from_db()
    assert open_task.status == Task.Status.DONE
    assert open_task.completed_at is not None  # stamped by services.task_complete
    assert open_task.version == 2


def test_owner_autocomplete_finds_users_by_email(staff_client, user):
    response = staff_client.get(
        "/admin/autocomplete/",
        {"app_label": "tasks", "model_name": "task", "field_name": "owner", "term": "ann"},
    )
    assert [row["text"] for row in response.json()["results"]] == ["ann@example.com"]


def test_content_pages_are_read_only_for_staff(staff_client, user):
    task = TaskFactory(owner=user, title="Keep as is")
    note = NoteFactory(owner=user)
    assert staff_client.get(f"/admin/tasks/task/{task.pk}/change/").status_code == 200
    staff_client.post(f"/admin/tasks/task/{task.pk}/change/", {"title": "Changed by staff"})
    task.refresh_from_db()
    assert task.title == "Keep as is"
    assert staff_client.get("/admin/tasks/task/add/").status_code == 403
    assert staff_client.get(f"/admin/tasks/note/{note.pk}/change/").status_code == 200
    assert staff_client.get("/admin/tasks/tag/").status_code == 200


def _staff_who_may_only_view_tasks(client):
    viewer = UserFactory(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_task"))
    return sign_in_verified(client, viewer)


def test_mark_done_needs_the_change_permission(client, user):
    viewer = _staff_who_may_only_view_tasks(client)
    open_task = TaskFactory(owner=user, status="todo")
    page = viewer.get("/admin/tasks/task/")
    assert page.status_code == 200
    assert 'value="mark_done"' not in page.content.decode()
    viewer.post("/admin/tasks/task/", {"action": "mark_done", "_selected_action": [open_task.pk]})
    open_task.refresh_from_db()
    assert (open_task.status, open_task.version) == ("todo", 1)
