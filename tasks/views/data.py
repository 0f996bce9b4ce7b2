"""Your data: export and import (as background jobs), and the calendar feed."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers

from tasks import calendar, datajobs, exchange, selectors, services
from tasks.models import DataJob
from tasks.views.common import _fragment

IMPORT_PAGE = "tasks/data_import.html"
IMPORT_ERRORS_SHOWN = 100


EXPORT_PAGE = "tasks/data_export.html"
JOB_PAGE = "tasks/data_job.html"
JOB_STATUS = "tasks/data_job_status.html"
JOBS_LISTED = 5


@login_required
@require_http_methods(["GET", "POST"])
def data_export(request):
    """The export page; a POST queues an export (`format`: json or csv) and shows its job."""
    fmt = request.POST.get("format") if request.method == "POST" else None
    if request.method == "POST" and fmt not in exchange.FORMATS:
        return _export_page(request, error="Choose JSON or CSV.", status=400)
    if request.method == "GET":
        return _export_page(request)
    try:
        job = datajobs.export_start(owner=request.user, fmt=fmt)
    except datajobs.JobRefused as error:
        return _export_page(request, error=error.message, status=error.status)
    return redirect("tasks:data-job", pk=job.pk)


def _export_page(request, *, error: str = "", status: int = 200):
    jobs = selectors.data_jobs_recent(
        user=request.user, kind=DataJob.Kind.EXPORT, limit=JOBS_LISTED
    )
    context = {"error": error, "jobs": jobs, "keep_hours": settings.DATA_EXPORT_KEEP_HOURS}
    return render(request, EXPORT_PAGE, context, status=status)


def _import_page(request, *, file_error: str = "", status: int = 200):
    jobs = selectors.data_jobs_recent(
        user=request.user, kind=DataJob.Kind.IMPORT, limit=JOBS_LISTED
    )
    context = {"file_error": file_error, "max_bytes": exchange.max_bytes(), "jobs": jobs}
    return render(request, IMPORT_PAGE, context, status=status)


# CSRF is checked in _data_import, once the declared size is known to be acceptable: a
# checked POST reads the whole body first (Django's documented pattern for upload limits).
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def data_import(request):
    """The import page; a POSTed export file is queued for import, all or nothing."""
    if request.method == "POST" and exchange.declared_too_large(request):
        error = exchange.too_large()
        return _import_page(request, file_error=error.message, status=error.status)
    return _data_import(request)


@csrf_protect
def _data_import(request):
    if request.method == "GET":
        return _import_page(request)
    upload = request.FILES.get("file")
    if upload is None:
        return _import_page(request, file_error="Choose a file to import.", status=400)
    existing = request.POST.get("existing", "skip")
    if existing not in services.EXISTING_CHOICES:
        error = "Choose what to do with rows already in your account."
        return _import_page(request, file_error=error, status=400)
    try:
        job = datajobs.import_start(owner=request.user, upload=upload, existing=existing)
    except exchange.ImportFileError as error:
        return _import_page(request, file_error=error.message, status=error.status)
    except datajobs.JobRefused as error:
        return _import_page(request, file_error=error.message, status=error.status)
    return redirect("tasks:data-job", pk=job.pk)


@never_cache
@login_required
@require_GET
@vary_on_headers("HX-Request")
def data_job(request, pk):
    """An import's or export's progress and outcome. htmx polls the status part until the
    job has finished; without JavaScript the page refreshes itself (a <noscript> meta)."""
    job = selectors.data_job_get(user=request.user, pk=pk)
    result = job.result or {}
    rows = result.get("rows", [])
    context = {
        "job": job,
        "progress": datajobs.progress(job),
        "summary": import_summary(result)
        if job.kind == job.Kind.IMPORT and job.status == job.Status.DONE
        else "",
        "invalid_rows": rows[:IMPORT_ERRORS_SHOWN],
        "invalid_count": result.get("invalid_count", 0),
        "invalid_more": max(result.get("invalid_count", 0) - IMPORT_ERRORS_SHOWN, 0),
    }
    template = JOB_STATUS if _fragment(request) else JOB_PAGE
    return render(request, template, context)


@never_cache
@login_required
@require_GET
def data_job_download(request, pk):
    """A finished export's file, to its owner, until it expires (then a 404)."""
    job = selectors.data_job_get(user=request.user, pk=pk)
    if not job.downloadable:
        raise Http404("This export is not ready, or it has expired.")
    return datajobs.download_response(job)


def import_summary(result: dict) -> str:
    """ "Imported 2 tasks and 1 note; updated 3 tasks and 0 notes; 4 rows already as in
    the file." from an import job's counts."""
    tasks, notes = result.get("tasks", 0), result.get("notes", 0)
    said = [f"Imported {tasks} task{pluralize(tasks)} and {notes} note{pluralize(notes)}"]
    updated_tasks, updated_notes = result.get("updated_tasks", 0), result.get("updated_notes", 0)
    if updated_tasks + updated_notes:
        said.append(
            f"updated {updated_tasks} task{pluralize(updated_tasks)} "
            f"and {updated_notes} note{pluralize(updated_notes)}"
        )
    if unchanged := result.get("unchanged", 0):
        said.append(f"{unchanged} row{pluralize(unchanged)} already as in the file")
    if skipped := result.get("skipped", 0):
        said.append(f"skipped {skipped} already in your account")
    return "; ".join(said) + "."


@require_safe
def calendar_feed(request, token):
    """The private .ics feed: no login, the secret token in the URL is the key."""
    owner = selectors.calendar_owner(token=token)
    ical = calendar.calendar_feed(tasks=selectors.task_calendar(user=owner), request=request)
    response = HttpResponse(ical, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="taskflow.ics"'
    # The URL is a secret: no shared cache may keep the feed, or serve it once revoked.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
@require_POST
def calendar_reset(request):
    """Reset calendar link: a new secret; the old feed URL answers 404 from now on."""
    services.calendar_token_regenerate(user=request.user)
    messages.success(
        request, "Your calendar link was reset. Subscribe again with the new link below."
    )
    return redirect("accounts:profile")
