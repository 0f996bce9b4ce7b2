"""Archiving done tasks (the nightly job), the archived list and restoring, API and pages."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from tasks import cache as task_cache
from tasks import counts, jobs, selectors, services
from tasks.models import Task
from tests.tasks.factories import TaskFactory

pytestmark = pytest.mark.django_db

API_TASKS = reverse("tasks-api:task-list")
API_STATS = reverse("tasks-api:task-stats")
LIST = reverse("tasks:list")
DASHBOARD = reverse("tasks:dashboard")
HX = {"HX-Request": "true"}


def done(owner, days_ago: int, title: str = "", **fields) -> Task:
    """A task completed (and last changed) `days_ago` days ago."""
    moment = timezone.now() - timedelta(days=days_ago)
    fields = {"status": Task.Status.DONE, "completed_at": moment, "updated_at": moment} | fields
    return TaskFactory(owner=owner, title=title or f"done {days_ago} days ago", **fields)


def archived(owner, title="Old and archived") -> Task:
    task = done(owner, 60, title)
    services.tasks_archive_done(older_than=timezone.now() - timedelta(days=30))
    task.refresh_from_db()
    assert task.archived_at is not None
    return task


def api_titles(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["title"] for row in response.json()["results"]]


def page_rows(response) -> list[int]:
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<li id="task-(\d+)"', response.content.decode())]


# --- the job and the service ---------------------------------------------------------


def test_the_job_archives_only_tasks_done_longer_ago_than_the_setting(user, settings):
    settings.ARCHIVE_AFTER_DAYS = 30
    old = done(user, 31, version=4)
    recent = done(user, 29)
    open_old = TaskFactory(
        owner=user, updated_at=timezone.now() - timedelta(days=90), title="still to do"
    )
    edited = done(user, 60, updated_at=timezone.now() - timedelta(days=2))
    before = timezone.now()

    assert jobs.archive_done_tasks.delay().get() == 1

    old.refresh_from_db()
    assert old.archived_at >= before
    assert old.updated_at == old.archived_at  # sync clients (updated_after) see the change
    assert old.version == 5
    assert old.status == Task.Status.DONE
    for task in (recent, open_old, edited):
        task.refresh_from_db()
        assert task.archived_at is None


def test_archiving_twice_changes_nothing_more(user):
    old = done(user, 40)
    assert jobs.archive_done_tasks.delay().get() == 1
    old.refresh_from_db()
    first = (old.archived_at, old.version)
    assert jobs.archive_done_tasks.delay().get() == 0
    old.refresh_from_db()
    assert (old.archived_at, old.version) == first


def test_archiving_works_in_batches(user, monkeypatch):
    monkeypatch.setattr(services, "ARCHIVE_BATCH", 2)
    for _ in range(5):
        done(user, 40)
    assert services.tasks_archive_done(older_than=timezone.now()) == 5
    assert not Task.objects.filter(archived_at__isnull=True).exists()


def test_archiving_moves_the_counts_and_retires_only_the_owners_cached_copies(
    user, other_user, django_capture_on_commit_callbacks
):
    def stats(owner, build=None):
        return task_cache.remembered(
            owner_id=owner.pk,
            kind="dashboard",
            signature=("stats",),
            build=build or (lambda: selectors.task_stats(user=owner)),
        )

    done(user, 40)
    assert stats(user)["total"] == 1
    stats(other_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.tasks_archive_done(older_than=timezone.now() - timedelta(days=30))
    assert stats(user)["total"] == 0  # .update() sends no signal: the service retired it
    kept = stats(other_user, build=lambda: pytest.fail("another owner's copy was retired"))
    assert kept["total"] == 0
    counted = counts.counts_of(user.pk)
    assert (counted.done, counted.archived) == (0, 1)


def test_restore_brings_a_task_back_and_it_waits_the_whole_delay_again(
    user, django_capture_on_commit_callbacks
):
    task = archived(user)
    with django_capture_on_commit_callbacks(execute=True):
        restored = services.task_restore(task=task)
    assert restored.archived_at is None
    assert restored.status == Task.Status.DONE  # still done, just listed again
    assert restored.version == task.version + 1
    assert list(selectors.task_list(user=user)) == [restored]
    assert services.tasks_archive_done(older_than=timezone.now() - timedelta(days=30)) == 0
    again = services.task_restore(task=restored)  # restoring twice changes nothing
    assert again.version == restored.version


def test_restore_refuses_a_stale_version(user):
    task = archived(user)
    with pytest.raises(services.VersionConflict):
        services.task_restore(task=task, expected_version=task.version - 1)


def test_reopening_an_archived_task_unarchives_it(user):
    task = archived(user)
    reopened = services.task_reopen(task=task)
    assert (reopened.status, reopened.archived_at) == (Task.Status.TODO, None)


# --- what lists and counts show ---------------------------------------------------------


def test_archived_tasks_are_hidden_from_lists_and_figures_unless_asked_for(user):
    old = archived(user)
    current = done(user, 1, "Recently done")
    TaskFactory(owner=user, title="To do")
    assert old not in selectors.task_list(user=user)
    assert old not in selectors.task_list(user=user, filters={"status": "done"})
    assert list(selectors.task_list(user=user, filters={"archived": "true"})) == [old]
    assert old not in selectors.task_list(user=user, filters={"archived": "false"})
    stats = selectors.task_stats(user=user)
    assert (stats["total"], stats["by_status"]["done"]) == (2, 1)
    assert list(selectors.task_recently_completed(user=user)) == [current]
    assert selectors.task_get(user=user, pk=old.pk) == old  # still found by its id


def test_an_unknown_archived_value_is_an_error(user):
    with pytest.raises(ValidationError) as error:
        selectors.task_list(user=user, filters={"archived": "maybe"})
    assert set(error.value.message_dict) == {"archived"}


# --- API ---------------------------------------------------------------------------


def test_api_lists_archived_tasks_only_with_archived_true(jwt_client, user):
    old = archived(user)
    TaskFactory(owner=user, title="Current")
    assert api_titles(jwt_client.get(API_TASKS)) == ["Current"]
    assert api_titles(jwt_client.get(API_TASKS, {"archived": "false"})) == ["Current"]
    response = jwt_client.get(API_TASKS, {"archived": "true"})
    assert api_titles(response) == ["Old and archived"]
    assert response.json()["results"][0]["archived_at"] is not None
    assert jwt_client.get(API_STATS).json()["total"] == 1
    detail = jwt_client.get(reverse("tasks-api:task-detail", args=[old.pk]))
    assert detail.status_code == 200
    bad = jwt_client.get(API_TASKS, {"archived": "maybe"})
    assert bad.status_code == 400
    assert "archived" in bad.json()


def test_api_restore(jwt_client, user):
    old = archived(user)
    url = reverse("tasks-api:task-restore", args=[old.pk])
    response = jwt_client.post(url, HTTP_IF_MATCH=old.etag)
    assert response.status_code == 200
    body = response.json()
    assert (body["archived_at"], body["status"], body["version"]) == (None, "done", old.version + 1)
    assert response["ETag"] == f'"{old.pk}-{old.version + 1}"'
    assert api_titles(jwt_client.get(API_TASKS)) == ["Old and archived"]
    stale = jwt_client.post(url, HTTP_IF_MATCH=old.etag)
    assert stale.status_code == 412


def test_api_restore_of_another_users_task_is_a_404(jwt_client, other_user):
    theirs = archived(other_user)
    response = jwt_client.post(reverse("tasks-api:task-restore", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.archived_at is not None


def test_api_archived_list_queries_do_not_grow(jwt_client, user, django_assert_num_queries):
    for n in range(30):
        done(user, 60, f"old {n}", tags=["a"])
    services.tasks_archive_done(older_than=timezone.now() - timedelta(days=30))
    jwt_client.get(API_TASKS, {"archived": "true"})  # caches the user and the count
    # The page and its tags (another URL: not cached yet); PostgreSQL reads both at once.
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        response = jwt_client.get(API_TASKS, {"archived": "true", "page": 1})
    assert len(response.json()["results"]) == 20


# --- pages -------------------------------------------------------------------------


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


def test_the_page_hides_archived_tasks_unless_shown(owner, user):
    old = archived(user)
    current = TaskFactory(owner=user, title="Current")
    assert page_rows(owner.get(LIST)) == [current.pk]
    response = owner.get(LIST, {"archived": "true"})
    assert page_rows(response) == [old.pk]
    page = response.content.decode()
    assert '<option value="true" selected>Archived tasks</option>' in page
    assert f'action="{reverse("tasks:restore", args=[old.pk])}"' in page
    assert f'id="task-{old.pk}-done"' not in page  # restore, not reopen
    assert "Archived <time" in page
    assert f'id="task-{current.pk}-restore"' not in owner.get(LIST).content.decode()


def test_the_filter_form_offers_the_archive(owner):
    page = owner.get(LIST).content.decode()
    assert '<label for="filter-archived">Show</label>' in page
    assert '<option value="true">Archived tasks</option>' in page


def test_restore_without_javascript_redirects_back(owner, user):
    old = archived(user)
    back = f"{LIST}?archived=true"
    response = owner.post(reverse("tasks:restore", args=[old.pk]), {"next": back})
    assert response.status_code == 302
    assert response.url == back
    old.refresh_from_db()
    assert old.archived_at is None
    assert "restored from the archive" in owner.get(back).content.decode()


def test_restore_with_htmx_removes_the_row_and_updates_the_count(owner, user):
    old = archived(user)
    archived(user, "Another old one")
    response = owner.post(
        reverse("tasks:restore", args=[old.pk]),
        headers={**HX, "HX-Current-URL": f"http://testserver{LIST}?archived=true"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert "<li" not in page  # the row swaps to nothing
    assert 'id="task-count"' in page
    assert "1 task<" in page
    assert 'hx-swap-oob="true"' in page


def test_restore_of_another_users_task_is_a_404(owner, other_user):
    theirs = archived(other_user)
    assert owner.post(reverse("tasks:restore", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.archived_at is not None


def test_restore_is_post_only(owner, user):
    old = archived(user)
    assert owner.get(reverse("tasks:restore", args=[old.pk])).status_code == 405


def test_the_dashboard_leaves_archived_tasks_out(owner, user):
    archived(user)
    done(user, 1, "Recently done")
    page = owner.get(DASHBOARD).content.decode()
    assert "Recently done" in page
    assert "Old and archived" not in page


def test_the_archived_page_uses_a_constant_number_of_queries(
    owner, user, django_assert_num_queries
):
    for n in range(30):
        done(user, 60, f"old {n}", tags=["a", "b"])
    services.tasks_archive_done(older_than=timezone.now() - timedelta(days=30))
    owner.get(LIST, {"archived": "true"})  # caches the user and the count
    # Another path (page=1), so rendered: session, page of rows, their tags, as the list.
    with django_assert_num_queries(4):  # ... and the counts row
        response = owner.get(LIST, {"archived": "true", "page": 1})
    assert len(page_rows(response)) == 20
