"""Your data: export, import and the calendar feed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from tasks import calendar, exchange, selectors, services

IMPORT_PAGE = "tasks/data_import.html"
IMPORT_ERRORS_SHOWN = 100


@login_required
@require_GET
def data_export(request):
    """Download every task and note as one JSON or CSV file (`?format=`)."""
    fmt = request.GET.get("format", "json")
    if fmt not in exchange.FORMATS:
        return HttpResponseBadRequest("Unknown format: ask for json or csv.")
    return exchange.export_response(user=request.user, fmt=fmt)


def _import_page(request, *, file_error: str = "", invalid=(), status: int = 200):
    context = {
        "file_error": file_error,
        "invalid_rows": invalid[:IMPORT_ERRORS_SHOWN],
        "invalid_count": len(invalid),
        "invalid_more": max(len(invalid) - IMPORT_ERRORS_SHOWN, 0),
        "max_bytes": exchange.max_bytes(),
    }
    return render(request, IMPORT_PAGE, context, status=status)


# CSRF is checked in _data_import, once the declared size is known to be acceptable: a
# checked POST reads the whole body first (Django's documented pattern for upload limits).
@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def data_import(request):
    """The import page; a POSTed export file adds its tasks and notes, all or nothing."""
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
        result = exchange.import_file(owner=request.user, upload=upload, existing=existing)
    except exchange.ImportFileError as error:
        return _import_page(request, file_error=error.message, status=error.status)
    except services.ImportInvalid as error:
        return _import_page(request, invalid=error.rows, status=400)
    messages.success(request, import_summary(result))
    return redirect("accounts:profile")


def import_summary(result: services.ImportResult) -> str:
    """ "Imported 2 tasks and 1 note; updated 3 tasks; 4 rows unchanged." """
    said = [
        f"Imported {result.tasks} task{pluralize(result.tasks)} "
        f"and {result.notes} note{pluralize(result.notes)}"
    ]
    updated = result.updated_tasks + result.updated_notes
    if updated:
        said.append(
            f"updated {result.updated_tasks} task{pluralize(result.updated_tasks)} "
            f"and {result.updated_notes} note{pluralize(result.updated_notes)}"
        )
    if result.unchanged:
        said.append(f"{result.unchanged} row{pluralize(result.unchanged)} already as in the file")
    if result.skipped:
        said.append(f"skipped {result.skipped} already in your account")
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
