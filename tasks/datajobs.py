"""Import and export as background jobs: a request records a DataJob and queues it; a
worker runs it (tasks.jobs.run_data_job), reporting progress, and keeps the outcome.

No web request reads a whole file into the database or writes a whole export: a large
one takes longer than gunicorn's timeout. Run eagerly (no broker: `make run`, the test
suite) a job runs in the request that starts it, as before there were jobs.

A job runs once, however often it is delivered: the worker locks its row, and a finished
job is left alone. An import's rows, its counts and its "done" commit together, so a
worker that dies mid-import leaves nothing half written, and the redelivered job starts
again from the file.
"""

import logging
import tempfile
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404
from django.utils import timezone
from kombu.exceptions import OperationalError

from accounts.models import User
from core import ratelimit
from tasks import exchange, services
from tasks.models import DataJob

logger = logging.getLogger(__name__)

PROGRESS_KEY = "tasks:data-job-progress:{}"
PROGRESS_SECONDS = 3600
PROGRESS_EVERY = 500  # an export tells its progress after this many rows
ROW_ERRORS_KEPT = 1000  # an invalid import keeps the first errors, and their count
SPOOL_BYTES = 8 * 1024 * 1024  # an export is held in memory up to this size, then on disk
# A job queued or running this long was lost (its worker and redeliveries gone).
LOST_AFTER = timedelta(hours=2)
FAILED_TO_QUEUE = "The job could not be started: the job queue is unreachable. Try again soon."


class JobRefused(Exception):
    """A job that cannot be started now: `message` for the user, `status` for HTTP."""

    def __init__(self, message: str, *, code: str, status: int, retry_after: int | None = None):
        super().__init__(message)
        self.message, self.code, self.status, self.retry_after = message, code, status, retry_after


def _active(owner: User, kind: str):
    return DataJob.objects.filter(
        owner=owner, kind=kind, status__in=[DataJob.Status.QUEUED, DataJob.Status.RUNNING]
    )


def _count_start(owner: User) -> None:
    try:
        ratelimit.consume("data-job", owner.pk, settings.RATE_DATA_JOBS_PER_USER)
    except ratelimit.RateLimited as error:
        raise JobRefused(
            str(error), code="throttled", status=429, retry_after=error.retry_after
        ) from None


def export_start(*, owner: User, fmt: str) -> DataJob:
    """Queue an export of everything the owner has, as `fmt` (json or csv).

    Asked again while one of that format is waiting or running, it answers that one: a
    double click or a retry starts nothing new.
    """
    running = _active(owner, DataJob.Kind.EXPORT).filter(format=fmt).first()
    if running is not None:
        return running
    _count_start(owner)
    job = DataJob.objects.create(owner=owner, kind=DataJob.Kind.EXPORT, format=fmt)
    _enqueue(job)
    return job


def import_start(*, owner: User, upload, fmt: str | None = None, existing: str = "skip") -> DataJob:
    """Keep the uploaded file and queue its import (exchange.import_content).

    The checks a request can make at once (size, empty, UTF-8) raise
    exchange.ImportFileError; the file's rows are read by the job. One import at a time:
    a second one while the first runs is refused, so a resubmitted form adds nothing twice.
    """
    if _active(owner, DataJob.Kind.IMPORT).exists():
        raise JobRefused(
            "Your previous import is still running: wait until it has finished.",
            code="import_running",
            status=409,
        )
    data = exchange.upload_content(upload)
    _count_start(owner)
    job = DataJob(
        owner=owner,
        kind=DataJob.Kind.IMPORT,
        format=fmt or exchange.detect_format(upload.name, data),
        existing=existing,
        file_name=(upload.name or "")[-255:],
    )
    job.file.save(f"{job.pk}.{job.format}", ContentFile(data), save=False)
    job.save()
    _enqueue(job)
    return job


def _enqueue(job: DataJob) -> None:
    from tasks import jobs  # tasks.jobs calls back into this module

    if jobs.run_data_job.app.conf.task_always_eager:
        jobs.run_data_job.delay(str(job.pk))
        job.refresh_from_db()
        return

    def send():
        try:
            jobs.run_data_job.delay(str(job.pk))
        except OperationalError:
            logger.exception("Could not queue data job %s", job.pk)
            _fail(job.pk, {"detail": FAILED_TO_QUEUE, "code": "queue_unreachable"})

    transaction.on_commit(send)


# --- running --------------------------------------------------------------------------


def progress(job: DataJob) -> dict:
    """{"done", "total"}: rows so far, of the rows to go (both 0 until it is known)."""
    if job.status == DataJob.Status.DONE:
        rows = job.rows or 0
        return {"done": rows, "total": rows}
    return cache.get(PROGRESS_KEY.format(job.pk)) or {"done": 0, "total": 0}


def _tell(job_id, done: int, total: int) -> None:
    cache.set(PROGRESS_KEY.format(job_id), {"done": done, "total": total}, PROGRESS_SECONDS)


def job_run(job_id: str) -> None:
    """Run a queued job to its end; a finished or unknown one is left alone."""
    started = DataJob.objects.filter(pk=job_id, status=DataJob.Status.QUEUED)
    started.update(status=DataJob.Status.RUNNING, started_at=timezone.now())
    try:
        with transaction.atomic():
            job = DataJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.finished:
                return
            (_run_import if job.kind == DataJob.Kind.IMPORT else _run_export)(job)
    except Exception:
        logger.exception("Data job %s failed", job_id)
        _fail(job_id, {"detail": "Something went wrong; nothing was changed.", "code": "error"})
        raise
    finally:
        _delete_upload(job_id)


def _finish(job: DataJob, *, status: str, result: dict, **fields) -> None:
    for name, value in {"status": status, "result": result, **fields}.items():
        setattr(job, name, value)
    job.finished_at = timezone.now()
    job.save()


def _fail(job_id, result: dict) -> None:
    DataJob.objects.filter(pk=job_id).exclude(status__in=DataJob.FINISHED).update(
        status=DataJob.Status.FAILED, result=result, finished_at=timezone.now()
    )


FILE_MISSING = (
    "The job could not read the file. Try again; if it happens again, tell the site's team."
)


def _run_import(job: DataJob) -> None:
    try:
        with job.file.open("rb") as stored:
            data = stored.read()
    except FileNotFoundError:
        # Web and worker write to different disks: the operator's mistake, said plainly.
        logger.error(
            "Data job %s: the upload %s is not in the worker's STORAGES['data']; web and "
            "worker must share it (docs/operations.md)", job.pk, job.file.name,
        )  # fmt: skip
        _finish(
            job,
            status=DataJob.Status.FAILED,
            result={"detail": FILE_MISSING, "code": "file_missing"},
        )
        return
    try:
        result = exchange.import_content(
            owner=job.owner,
            data=data,
            fmt=job.format,
            existing=job.existing or "skip",
            progress=lambda done, total: _tell(job.pk, done, total),
        )
    except exchange.ImportFileError as error:
        _finish(
            job, status=DataJob.Status.FAILED, result={"detail": error.message, "code": error.code}
        )
        return
    except services.ImportInvalid as error:
        rows = exchange.row_errors(error.rows)
        failure = {"detail": str(error), "code": "invalid_rows", "invalid_count": len(rows)}
        _finish(
            job, status=DataJob.Status.FAILED, result={**failure, "rows": rows[:ROW_ERRORS_KEPT]}
        )
        return
    counts = {
        "tasks": result.tasks,
        "notes": result.notes,
        "updated_tasks": result.updated_tasks,
        "updated_notes": result.updated_notes,
        "unchanged": result.unchanged,
        "skipped": result.skipped,
    }
    _finish(job, status=DataJob.Status.DONE, result=counts, rows=sum(counts.values()))


def _run_export(job: DataJob) -> None:
    owner = job.owner
    total = owner.tasks.count() + owner.notes.count()
    written = {"task": 0, "note": 0}

    def counted(kind: str) -> None:
        written[kind] += 1
        done = written["task"] + written["note"]
        if done % PROGRESS_EVERY == 0:
            _tell(job.pk, done, total)

    _tell(job.pk, 0, total)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        for chunk in exchange.export_chunks(user=owner, fmt=job.format, counted=counted):
            spool.write(chunk.encode())
        size = spool.tell()
        spool.seek(0)
        job.file_name = exchange.export_filename(job.format)
        job.file.save(f"{job.pk}/{job.file_name}", File(spool), save=False)
    keep = timedelta(hours=settings.DATA_EXPORT_KEEP_HOURS)
    result = {"tasks": written["task"], "notes": written["note"], "bytes": size}
    _finish(
        job,
        status=DataJob.Status.DONE,
        result=result,
        rows=written["task"] + written["note"],
        expires_at=timezone.now() + keep,
    )


def _delete_upload(job_id) -> None:
    """An import's file is not kept once the job has run (it holds the user's data)."""
    job = DataJob.objects.filter(pk=job_id, kind=DataJob.Kind.IMPORT).first()
    if job is not None and job.finished and job.file:
        job.file.delete(save=True)


def download_response(job: DataJob) -> FileResponse:
    """The export's file as an attachment, read from storage as it is sent (404 if the
    storage does not have it: see _run_import)."""
    try:
        stored = job.file.open("rb")
    except FileNotFoundError:
        logger.error("Data job %s: the export %s is not in STORAGES['data']", job.pk, job.file.name)
        raise Http404("This export's file cannot be found.") from None
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=job.file_name,
        content_type=exchange.CONTENT_TYPES[job.format],
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- housekeeping ------------------------------------------------------------------------


def jobs_prune(*, now=None) -> int:
    """Delete expired export files and old finished jobs; mark lost jobs failed.

    Returns how many files were deleted.
    """
    now = now or timezone.now()
    keep_days = timedelta(days=settings.DATA_JOB_KEEP_DAYS)
    old = DataJob.objects.filter(status__in=DataJob.FINISHED, created_at__lte=now - keep_days)
    with_files = DataJob.objects.filter(Q(expires_at__lte=now) | Q(pk__in=old.values("pk")))
    deleted = 0
    for job in with_files.exclude(file=""):
        job.file.delete(save=True)
        deleted += 1
    old.delete()
    lost = DataJob.objects.exclude(status__in=DataJob.FINISHED).filter(
        created_at__lte=now - LOST_AFTER
    )
    lost.update(
        status=DataJob.Status.FAILED,
        finished_at=now,
        result={"detail": "The job did not finish. Start it again.", "code": "lost"},
    )
    return deleted
