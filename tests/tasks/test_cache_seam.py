"""A write through any door is seen at once by the next API list, task page and dashboard.

Every view below is read twice first, so each is served from the cache (tasks.cache)
when the write lands. CI runs this module on the defaults and on PostgreSQL + Redis.
"""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services
from tasks import cache, counts, services
from tasks.models import Tag, Task, TaskCounts

pytestmark = pytest.mark.django_db

TASKS = reverse("tasks-api:task-list")
LIST = reverse("tasks:list")
DASHBOARD = reverse("tasks:dashboard")
API_IMPORT = reverse("tasks-api:data-import")


class Views:
    """What one user sees: the API list, the task page and the dashboard."""

    def __init__(self, user):
        self.user = user
        self.api = APIClient()
        self.api.credentials(
            HTTP_AUTHORIZATION=f"Bearer {account_services.token_pair_issue(user=user)['access']}"
        )
        self.pages = Client()
        self.pages.force_login(user)

    def api_titles(self) -> list[str]:
        return sorted(task["title"] for task in self.api.get(TASKS).json()["results"])

    def api_tags(self) -> list[str]:
        return sorted(
            name for task in self.api.get(TASKS).json()["results"] for name in task["tags"]
        )

    def page(self) -> str:
        """The task page's results (the rest differs per response: its CSRF tokens)."""
        html = self.pages.get(LIST).content.decode()
        return html[
            html.index('id="task-results"') : html.index(
                "</section>", html.index('id="task-results"')
            )
        ]

    def dashboard_total(self) -> int:
        html = self.pages.get(DASHBOARD).content.decode()
        return int(re.search(r"You have (\d+) task", html)[1])

    def seen(self) -> tuple:
        return (self.api_titles(), self.api_tags(), self.page(), self.dashboard_total())

    def warm(self) -> tuple:
        """Every view read twice: the second answer comes from the cache."""
        self.seen()
        return self.seen()


@pytest.fixture
def ann(user):
    for title, tags in [("Pay rent", ["home"]), ("Write report", ["work"]), ("Call Bob", [])]:
        services.task_create(owner=user, title=title, tags=tags)
    return Views(user)


@pytest.fixture
def bob(other_user):
    services.task_create(owner=other_user, title="Bob's own", tags=["work"])
    return Views(other_user)


def test_the_views_are_served_from_the_cache_once_warm(ann):
    before = ann.warm()
    Task.objects.filter(owner=ann.user).update(title="Changed behind the seam")
    assert ann.seen() == before  # .update() sends no signal: this is what the seam saves


def test_a_task_deleted_by_staff_in_the_admin(ann, bob, staff_client):
    ann.warm()
    theirs = bob.warm()
    task = Task.objects.get(title="Pay rent")
    response = staff_client.post(f"/admin/tasks/task/{task.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert ann.api_titles() == ["Call Bob", "Write report"]
    assert "Pay rent" not in ann.page()
    assert "2 tasks" in ann.page()
    assert ann.dashboard_total() == 2
    assert bob.seen() == theirs


def test_tasks_deleted_with_the_admins_bulk_action(ann, staff_client):
    ann.warm()
    chosen = Task.objects.filter(title__in=["Pay rent", "Call Bob"]).values_list("pk", flat=True)
    staff_client.post(
        "/admin/tasks/task/",
        {"action": "delete_selected", "_selected_action": list(chosen), "post": "yes"},
    )
    assert ann.api_titles() == ["Write report"]
    assert ann.dashboard_total() == 1
    assert "Call Bob" not in ann.page()


def test_a_tag_edited_in_the_admin(ann, bob, staff_client):
    ann.warm()
    theirs = bob.warm()
    tag = Tag.objects.get(owner=ann.user, name="work")
    response = staff_client.post(
        f"/admin/tasks/tag/{tag.pk}/change/", {"name": "office", "owner": ann.user.pk}
    )
    assert response.status_code == 302
    assert ann.api_tags() == ["home", "office"]
    assert "#office" in ann.page()
    assert "#work" not in ann.page()
    assert bob.seen() == theirs  # Bob's own "work" tag is another tag


def test_a_tag_deleted_in_the_admin(ann, staff_client):
    ann.warm()
    tag = Tag.objects.get(owner=ann.user, name="home")
    staff_client.post(f"/admin/tasks/tag/{tag.pk}/delete/", {"post": "yes"})
    assert ann.api_tags() == ["work"]
    assert "#home" not in ann.page()


def test_a_queryset_bulk_delete(ann, bob):
    ann.warm()
    theirs = bob.warm()
    Task.objects.filter(owner=ann.user, title__startswith="W").delete()
    assert ann.api_titles() == ["Call Bob", "Pay rent"]
    assert ann.dashboard_total() == 2
    assert "Write report" not in ann.page()
    assert bob.seen() == theirs


def test_a_write_from_the_shell(ann):
    ann.warm()
    task = Task.objects.get(title="Call Bob")
    task.title = "Call Bob back"
    task.save()
    assert "Call Bob back" in ann.api_titles()
    assert "Call Bob back" in ann.page()


def test_a_user_deleted_with_everything_they_own(ann, bob, staff_client):
    ann.warm()
    theirs = bob.warm()
    response = staff_client.post(f"/admin/accounts/user/{ann.user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert ann.api.get(TASKS).status_code == 401  # the cached user went with the row
    assert ann.pages.get(LIST).status_code == 302  # to the login page
    assert ann.pages.get(DASHBOARD).status_code == 302
    assert not Task.objects.filter(owner_id=ann.user.pk).exists()
    assert not TaskCounts.objects.filter(owner_id=ann.user.pk).exists()
    assert bob.seen() == theirs


def test_an_import_shows_at_once_and_another_users_view_is_unchanged(ann, bob):
    ann.warm()
    theirs = bob.warm()
    file = SimpleUploadedFile(
        "tasks.csv", b"kind,title,tags\ntask,Imported one,garden\ntask,Imported two,\n"
    )
    response = ann.api.post(API_IMPORT, {"file": file}, format="multipart")
    assert response.status_code == 202, response.content
    assert ann.api.get(response["Location"]).json()["status"] == "done"
    assert "Imported one" in ann.api_titles()
    assert "garden" in ann.api_tags()
    assert "Imported two" in ann.page()
    assert ann.dashboard_total() == 5
    assert bob.seen() == theirs


def test_the_counts_row_matches_a_recount_after_writes_through_every_door(ann, staff_client):
    user = ann.user
    task = services.task_create(owner=user, title="Counted")
    services.task_complete(task=task)
    services.task_reopen(task=Task.objects.get(pk=task.pk))
    services.task_update(task=Task.objects.get(pk=task.pk), status=Task.Status.IN_PROGRESS)
    services.task_delete(task=Task.objects.get(title="Pay rent"))
    staff_client.post(
        f"/admin/tasks/task/{Task.objects.get(title='Call Bob').pk}/delete/", {"post": "yes"}
    )
    shell = Task.objects.get(title="Write report")
    shell.status = Task.Status.DONE
    shell.save()
    kept = counts.counts_of(user.pk)
    counts.counts_rebuild(owner_ids=[user.pk])
    recounted = counts.counts_of(user.pk)
    assert [getattr(kept, b) for b in TaskCounts.BUCKETS] == [
        getattr(recounted, b) for b in TaskCounts.BUCKETS
    ]
    assert (recounted.todo, recounted.in_progress, recounted.done) == (0, 1, 1)


def test_a_thousand_requests_with_junk_parameters_add_no_cache_entries(ann):
    held = cache.entries_held(owner_id=ann.user.pk)
    for n in range(500):
        assert ann.api.get(TASKS, {"_": n}).status_code == 200
        assert ann.pages.get(LIST, {"utm_source": f"junk{n}"}).status_code == 200
    assert cache.entries_held(owner_id=ann.user.pk) == held
    ann.warm()  # known parameters are stored
    assert cache.entries_held(owner_id=ann.user.pk) > held


def test_a_parameter_given_twice_is_answered_but_not_stored(ann):
    held = cache.entries_held(owner_id=ann.user.pk)
    response = ann.api.get(f"{TASKS}?status=todo&status=done")
    assert response.status_code == 200
    assert cache.entries_held(owner_id=ann.user.pk) == held


def test_one_owner_can_make_the_cache_hold_only_so_many_entries(ann):
    for search in range(300):  # each a valid, different filter
        ann.api.get(TASKS, {"search": f"word{search}"})
        ann.pages.get(LIST, {"search": f"word{search}"})
    assert cache.entries_held(owner_id=ann.user.pk) <= sum(cache.SLOTS.values())
