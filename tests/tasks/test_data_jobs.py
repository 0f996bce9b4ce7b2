"""Import and export as background jobs (issue 14 §4): 202 and a job URL, progress,
an authenticated download that expires, one run per job, and refusals that say why."""

import json
import re
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from tasks import datajobs, jobs, services
from tasks.models import DataJob, Task
from tests.tasks.data_helpers import (
    API_EXPORT,
    API_IMPORT,
    EXPORT,
    IMPORT,
    api_export,
    body,
    jwt_for,
    upload,
)

pytestmark = pytest.mark.django_db

CSV = "kind,title,tags\ntask,First,home\ntask,Second,\nnote,A note,\n"


def job_url(job) -> str:
    return reverse("tasks-api:data-job", kwargs={"pk": job.pk})


def start_import(client, content=CSV, name="tasks.csv", **fields):
    return client.post(API_IMPORT, {"file": upload(content, name), **fields}, format="multipart")


# --- the API: 202, the job, the download ----------------------------------------------------


def test_an_api_export_answers_202_with_the_job_and_its_file(user):
    for n in range(3):
        services.task_create(owner=user, title=f"Task {n}")
    services.note_create(owner=user, title="Note")
    client = jwt_for(user)

    response = client.post(API_EXPORT, {"format": "csv"}, format="json")

    assert response.status_code == 202
    job = response.json()
    assert (
        response["Location"] == job["url"] == f"http://testserver{job_url(DataJob.objects.get())}"
    )
    assert (job["kind"], job["format"], job["status"], job["error"]) == (
        "export",
        "csv",
        "done",
        None,
    )
    assert job["progress"] == {"done": 4, "total": 4}
    assert job["result"]["tasks"] == 3 and job["result"]["notes"] == 1
    assert job["started_at"] and job["finished_at"]
    stored = DataJob.objects.get()
    hours = (stored.expires_at - stored.finished_at) / timedelta(hours=1)
    assert round(hours) == 24
    download = client.get(job["download_url"])
    content = body(download)
    assert len(content) == job["result"]["bytes"]
    assert content.decode().count("\ntask,") == 3
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Disposition"].startswith('attachment; filename="taskflow-export-')


def test_an_api_import_answers_202_and_the_job_reports_the_counts(user):
    client = jwt_for(user)

    response = start_import(client)

    assert response.status_code == 202
    job = client.get(response["Location"]).json()
    assert job["status"] == "done"
    assert job["result"]["tasks"] == 2 and job["result"]["notes"] == 1
    assert job["progress"] == {"done": 3, "total": 3}
    assert job["download_url"] is None
    assert sorted(Task.objects.filter(owner=user).values_list("title", flat=True)) == [
        "First",
        "Second",
    ]


def test_the_uploaded_file_is_deleted_once_the_import_has_run(user, monkeypatch):
    kept = []
    keep = datajobs._run_import
    monkeypatch.setattr(
        datajobs, "_run_import", lambda job: (kept.append(job.file.name), keep(job))
    )

    start_import(jwt_for(user))

    stored = DataJob.objects.get()
    assert kept == [f"data-jobs/{stored.pk}.csv"]  # the job read it from storage
    assert stored.file.name == ""
    assert not storages["data"].exists(kept[0])


def test_an_upload_the_worker_cannot_find_fails_the_job_with_a_clear_message(user, monkeypatch):
    """Web and worker on separate disks (a misconfigured deploy): said, not a crash."""
    keep = datajobs._run_import

    def elsewhere(job):
        job.file.storage.delete(job.file.name)  # as if written on another machine
        keep(job)

    monkeypatch.setattr(datajobs, "_run_import", elsewhere)
    job = jwt_for(user).get(start_import(jwt_for(user))["Location"]).json()
    assert job["status"] == "failed"
    assert job["error"] == {"detail": datajobs.FILE_MISSING, "code": "file_missing"}


def test_an_export_file_the_web_cannot_find_is_a_404(user):
    client = jwt_for(user)
    job = client.get(client.post(API_EXPORT, {}, format="json")["Location"]).json()
    stored = DataJob.objects.get()
    stored.file.storage.delete(stored.file.name)
    response = client.get(job["download_url"])
    assert response.status_code == 404


def test_someone_elses_job_and_download_are_404(user, other_user):
    export = api_export(jwt_for(user), "json")
    assert export.status_code == 200
    job = DataJob.objects.get(owner=user)
    stranger = jwt_for(other_user)
    assert stranger.get(job_url(job)).status_code == 404
    download = reverse("tasks-api:data-job-download", kwargs={"pk": job.pk})
    assert stranger.get(download).status_code == 404
    assert stranger.get("/api/v1/jobs/not-a-uuid/").status_code == 404


def test_jobs_need_a_signed_in_user(api_client, client, user):
    job = DataJob.objects.create(owner=user, kind="export", format="json")
    assert api_client.get(job_url(job)).status_code == 401
    page = client.get(reverse("tasks:data-job", kwargs={"pk": job.pk}))
    assert page.status_code == 302 and page["Location"].startswith(reverse("accounts:login"))


# --- repeats, one at a time, limits -------------------------------------------------------------


def test_asking_again_while_an_export_waits_answers_that_export(user):
    waiting = DataJob.objects.create(owner=user, kind="export", format="json")
    client = jwt_for(user)

    response = client.post(API_EXPORT, {"format": "json"}, format="json")

    assert response.status_code == 202
    assert response.json()["id"] == str(waiting.pk)
    assert DataJob.objects.count() == 1
    # Another format is another export.
    assert client.post(API_EXPORT, {"format": "csv"}, format="json").json()["id"] != str(waiting.pk)


def test_a_second_import_while_one_runs_is_refused_and_adds_nothing(client, user):
    DataJob.objects.create(owner=user, kind="import", format="csv", status="running")

    response = start_import(jwt_for(user))

    assert response.status_code == 409
    assert response.json()["code"] == "import_running"
    client.force_login(user)
    page = client.post(IMPORT, {"file": upload(CSV, "tasks.csv")})
    assert page.status_code == 409
    assert "Your previous import is still running" in page.content.decode()
    assert not Task.objects.exists()
    assert DataJob.objects.count() == 1


def test_starting_jobs_is_rate_limited_per_user(settings, user, other_user):
    settings.RATE_DATA_JOBS_PER_USER = "2/h"
    client = jwt_for(user)
    assert start_import(client).status_code == 202
    assert client.post(API_EXPORT, {"format": "json"}, format="json").status_code == 202

    response = client.post(API_EXPORT, {"format": "csv"}, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0
    assert start_import(jwt_for(other_user)).status_code == 202


# --- running: once, all or nothing, failures said -------------------------------------------------


def test_a_job_runs_once_however_often_it_is_delivered(user):
    start_import(jwt_for(user))
    job = DataJob.objects.get()
    finished_at = job.finished_at

    jobs.run_data_job(str(job.pk))  # a redelivery
    jobs.run_data_job("7a1c6e0e-0000-4000-8000-000000000000")  # an unknown job

    assert Task.objects.filter(owner=user).count() == 2
    assert DataJob.objects.get().finished_at == finished_at


def test_a_job_a_dead_worker_left_running_runs_again_from_its_file(user, monkeypatch):
    monkeypatch.setattr(datajobs, "_enqueue", lambda job: None)  # queued, never sent
    client = jwt_for(user)
    assert start_import(client).status_code == 202
    job = DataJob.objects.get()
    DataJob.objects.filter(pk=job.pk).update(status="running")  # its worker died mid-way

    jobs.run_data_job(str(job.pk))

    job.refresh_from_db()
    assert job.status == "done"
    assert Task.objects.filter(owner=user).count() == 2


def test_invalid_rows_fail_the_job_with_every_row_and_write_nothing(client, user):
    content = "kind,title,priority\ntask,Fine,low\ntask,Bad,urgent\n"
    response = start_import(jwt_for(user), content)

    job = jwt_for(user).get(response["Location"]).json()

    assert job["status"] == "failed"
    assert job["result"] is None
    assert job["error"]["code"] == "invalid_rows"
    assert job["error"]["invalid_count"] == 1
    assert job["error"]["rows"][0]["title"] == "Bad"
    assert not Task.objects.exists()


def test_an_unexpected_error_fails_the_job_and_writes_nothing(user, monkeypatch):
    def broken(**kwargs):
        Task.objects.create(owner=user, title="Half written")
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "data_import", broken)
    with pytest.raises(RuntimeError):
        start_import(jwt_for(user))

    job = DataJob.objects.get()
    assert job.status == "failed"
    assert job.result == {"detail": "Something went wrong; nothing was changed.", "code": "error"}
    assert not Task.objects.exists()


def test_an_unreachable_queue_fails_the_job_with_a_message(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setitem(jobs.run_data_job.app.conf, "task_always_eager", False)

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(jobs.run_data_job, "delay", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        response = jwt_for(user).post(API_EXPORT, {"format": "json"}, format="json")

    assert response.status_code == 202
    job = DataJob.objects.get()
    assert job.status == "failed"
    assert job.result["code"] == "queue_unreachable"
    assert "job queue is unreachable" in jwt_for(user).get(job_url(job)).json()["error"]["detail"]


def test_the_import_tells_its_progress_stage_by_stage(user):
    told = []
    rows = [services.ImportRow("task", n, {"title": f"T{n}"}) for n in range(1, 5)]
    rows.append(services.ImportRow("note", 1, {"title": "N"}))

    services.data_import(owner=user, rows=rows, progress=lambda done, total: told.append(done))

    assert told == sorted(told)
    assert told[0] == 4 and told[-1] == 10  # every row checked, then every row written


def test_a_running_jobs_progress_is_read_from_the_cache(user):
    job = DataJob.objects.create(owner=user, kind="export", format="json", status="running")
    datajobs._tell(job.pk, 500, 2000)
    assert datajobs.progress(job) == {"done": 500, "total": 2000}


# --- expiry and housekeeping -------------------------------------------------------------------


def test_an_expired_export_is_not_downloaded_and_its_file_is_pruned(client, user):
    api_export(jwt_for(user), "json")
    job = DataJob.objects.get()
    name = job.file.name
    assert storages["data"].exists(name)
    DataJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    download = reverse("tasks-api:data-job-download", kwargs={"pk": job.pk})

    assert jwt_for(user).get(download).status_code == 404
    assert jwt_for(user).get(job_url(job)).json()["download_url"] is None
    client.force_login(user)
    page = client.get(reverse("tasks:data-job", kwargs={"pk": job.pk})).content.decode()
    assert "The file has expired." in page
    assert client.get(reverse("tasks:data-job-download", kwargs={"pk": job.pk})).status_code == 404

    assert jobs.prune_data_jobs() == 1
    assert not storages["data"].exists(name)
    assert DataJob.objects.get().file.name == ""


def test_old_jobs_are_deleted_and_lost_ones_marked_failed(settings, user):
    now = timezone.now()
    old = DataJob.objects.create(owner=user, kind="import", format="csv", status="done")
    lost = DataJob.objects.create(owner=user, kind="import", format="csv", status="running")
    recent = DataJob.objects.create(owner=user, kind="export", format="csv", status="queued")
    DataJob.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=8))
    DataJob.objects.filter(pk=lost.pk).update(created_at=now - timedelta(hours=3))

    datajobs.jobs_prune(now=now)

    assert not DataJob.objects.filter(pk=old.pk).exists()
    lost.refresh_from_db()
    assert lost.status == "failed" and lost.result["code"] == "lost"
    recent.refresh_from_db()
    assert recent.status == "queued"


def test_beat_prunes_data_jobs_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-data-jobs"]
    assert entry["task"] == jobs.prune_data_jobs.name == "tasks.jobs.prune_data_jobs"


# --- pages ---------------------------------------------------------------------------------------


def test_the_export_page_starts_a_job_and_its_page_offers_the_file(client, user):
    services.task_create(owner=user, title="Mine")
    client.force_login(user)
    assert "Export as CSV" in client.get(EXPORT).content.decode()

    response = client.post(EXPORT, {"format": "json"})

    job = DataJob.objects.get()
    assert response["Location"] == reverse("tasks:data-job", kwargs={"pk": job.pk})
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "Your export is ready: 1 task and 0 notes" in html
    assert "hx-trigger" not in html and 'http-equiv="refresh"' not in html
    assert page["Cache-Control"].startswith("max-age=0")
    link = re.search(r'href="([^"]+/download/)"', html).group(1)
    assert json.loads(body(client.get(link)))["tasks"][0]["title"] == "Mine"
    # The export page lists it.
    assert f'href="{response["Location"]}"' in client.get(EXPORT).content.decode()


def test_a_running_jobs_page_polls_with_htmx_and_refreshes_without_it(client, user):
    job = DataJob.objects.create(owner=user, kind="import", format="csv", file_name="mine.csv")
    url = reverse("tasks:data-job", kwargs={"pk": job.pk})
    client.force_login(user)

    html = client.get(url).content.decode()

    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html
    assert f'hx-get="{url}" hx-trigger="every 1s"' in html
    assert "Waiting to start" in html and "mine.csv" in html
    datajobs._tell(job.pk, 40, 100)
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'value="40" max="100"' in fragment
    assert "40 of 100" in fragment


def test_the_import_page_redirects_to_the_job_which_says_what_it_did(client, user):
    client.force_login(user)

    response = client.post(IMPORT, {"file": upload(CSV, "tasks.csv")})

    job = DataJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("tasks:data-job", kwargs={"pk": job.pk})
    page = client.get(response["Location"]).content.decode()
    assert "Imported 2 tasks and 1 note." in page
    assert "tasks.csv" in client.get(IMPORT).content.decode()  # listed as a recent import
