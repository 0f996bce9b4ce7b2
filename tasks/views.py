"""Task and note pages: the whole page for a normal request, a fragment for an htmx one.

Every action is first a plain link or form (POST, then redirect back), so each works with
JavaScript off; htmx then does the same requests in place and swaps the fragment returned.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from tasks import cache, calendar, charts, exchange, forms, merge, selectors, services
from tasks.filters import DUE_CHOICES, PRIORITY_CHOICES, TaskFilter
from tasks.models import Task

PAGE_SIZE = 20
CHART_DAYS = 14
NEW_TASK_IDS = "new-task-%s"  # auto_id: the create form shares its page with filters and rows
NEW_NOTE_IDS = "new-note-%s"
DUE_STATS = {"overdue": "overdue", "today": "due_today", "week": "due_this_week"}
TASK_LIST = "tasks/task_list.html"


@dataclass(frozen=True)
class Listing:
    """One list page: its template tasks/<kind>_list.html, selector, URL and filter form.

    The template defines the partials <kind>-results, <kind>-create-form, <kind>-created.
    """

    kind: str
    select: Callable
    url_name: str
    filter_form: Callable  # (data, *, url) -> the list's filter form (tasks.forms)
    blank_form: Callable  # (user) -> an empty create form
    count: Callable | None = None  # a cheaper count of select's rows
    # The query parameters of a list whose results fragment may be cached (tasks.cache);
    # None: never cached. The fragment holds no CSRF token: its rows' buttons submit the
    # page's one #row-actions form (the `form` attribute).
    cached_params: frozenset | None = None

    @property
    def template(self) -> str:
        return f"tasks/{self.kind}_list.html"


TASKS = Listing(
    "task",
    selectors.task_list,
    "tasks:list",
    forms.task_filter_form,
    lambda user: forms.TaskCreateForm(auto_id=NEW_TASK_IDS),
    count=selectors.task_count,
    cached_params=frozenset(TaskFilter.base_filters) | {"page"},
)
NOTES = Listing(
    "note",
    selectors.note_list,
    "tasks:note-list",
    forms.note_filter_form,
    lambda user: forms.NoteForm(user=user, auto_id=NEW_NOTE_IDS),
)


# --- helpers -------------------------------------------------------------------------


def _fragment(request) -> bool:
    """An htmx swap wants a fragment; a history restore after a cache miss wants the page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _safe_next(request, fallback: str) -> str:
    """The page an action came from (its `next` field), if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(fallback)


def _back(request, fallback: str):
    return redirect(_safe_next(request, fallback))


def _current_page(request, fallback: str) -> str:
    """The page an htmx request was made from: the `next` of the fragments it returns."""
    return request.htmx.current_url_abs_path or reverse(fallback)


def _current_count(request, listing: Listing) -> int | None:
    """How many rows the list the user is looking at holds now, under its filters."""
    filters = QueryDict(urlsplit(request.htmx.current_url or "").query)
    try:
        return _count(request, listing, filters, listing.select(user=request.user, filters=filters))
    except ValidationError:
        return None


def _count(request, listing: Listing, filters, rows) -> int:
    if listing.count is None:
        return rows.count()
    return listing.count(user=request.user, filters=filters, tasks=rows)


def _save(form, save):
    """Call a service with the form's cleaned data; its ValidationError becomes form errors."""
    if not form.is_valid():
        return None
    try:
        return save(form.cleaned_data)
    except ValidationError as error:
        form.add_error(None, error)
        return None


def _filter_messages(error: ValidationError, form) -> list[str]:
    return [
        f"{form[name].label if name in form.fields else name}: {message}"
        for name, field_messages in error.message_dict.items()
        for message in field_messages
    ]


def _tagged(what: str, signature: tuple | None) -> tuple | None:
    return None if signature is None else (what, *signature)


def _list_page(request, listing: Listing, **context):
    """A filtered, paginated list: the whole page, or only its results for an htmx GET.

    The task list's forms and results come from the owner's cache when its query string
    can be cached (tasks.cache): then neither its rows' query nor its forms are built.
    The header around them is rendered for each request.
    """
    context = context | {"filter_errors": []}
    context.setdefault("next", request.get_full_path())
    try:
        return _list_response(request, listing, context)
    except ValidationError as error:  # from listing.select: invalid filters, nothing stored
        form = listing.filter_form(request.GET, url=reverse(listing.url_name))
        context |= {"filter_form": form, "filter_errors": _filter_messages(error, form)}
        return _list_response(request, listing, context)


def _list_response(request, listing: Listing, context: dict):
    def results() -> str:
        if context["filter_errors"]:
            paginator = Paginator([], PAGE_SIZE)
        else:
            rows = listing.select(user=request.user, filters=request.GET)
            paginator = Paginator(rows, PAGE_SIZE)
            paginator.count = _count(request, listing, request.GET, rows)  # a cached_property
        page = {"page_obj": paginator.get_page(request.GET.get("page"))}
        return render_to_string(
            f"{listing.template}#{listing.kind}-results", context | page, request
        )

    def controls() -> str:
        shown = context | {
            "filter_form": context.get("filter_form")
            or listing.filter_form(request.GET or None, url=reverse(listing.url_name)),
            "create_form": context.get("create_form") or listing.blank_form(request.user),
        }
        return render_to_string(f"{listing.template}#{listing.kind}-controls", shown, request)

    create_form = context.get("create_form")
    cacheable = (
        request.method == "GET"
        and listing.cached_params
        and not context["filter_errors"]
        and not (create_form and create_form.is_bound)
    )
    signature = cache.signature_of(request.GET, known=listing.cached_params) if cacheable else None
    if _fragment(request) and request.method == "GET":
        return HttpResponse(
            cache.remembered(
                owner_id=request.user.pk,
                kind="rows",
                signature=_tagged("results", signature),
                build=results,
            )
        )
    # A whole page also caches its create and filter forms (they hold no CSRF token).
    controls_html, results_html = cache.remembered(
        owner_id=request.user.pk,
        kind="rows",
        signature=_tagged("page", signature),
        build=lambda: (controls(), results()),
    )
    context |= {"controls": mark_safe(controls_html), "results": mark_safe(results_html)}  # noqa: S308 (templates' output)
    return render(request, listing.template, context)


def _created(request, listing: Listing, obj, form, blank_form):
    """After a create form: the new row, a blank form and the new count (htmx), or redirect.

    Invalid input re-renders the form with its errors: in place for htmx (status 200, so
    htmx swaps it), or as the whole list page.
    """
    kind = listing.kind
    if not _fragment(request):
        if obj is None:
            back = _safe_next(request, listing.url_name)
            return _list_page(request, listing, create_form=form, next=back)
        messages.success(request, f"{kind.capitalize()} “{obj}” added.")
        return _back(request, listing.url_name)
    context = {"next": _current_page(request, listing.url_name)}
    if obj is None:
        context["create_form"] = form
        response = render(request, f"{listing.template}#{kind}-create-form", context)
        return reswap(retarget(response, f"#{kind}-create-form"), "outerHTML")
    context |= {
        kind: obj,
        "create_form": forms.with_autofocus(blank_form),
        "count": _current_count(request, listing),
        "oob": True,
    }
    return render(request, f"{listing.template}#{kind}-created", context)


def _delete(request, listing: Listing, obj, delete):
    """GET asks for confirmation (the no-JS path); POST deletes, then redirects back, or
    for htmx answers only the list's new count (out of band), so the row swaps to nothing."""
    kind = listing.kind
    if request.method == "GET":
        context = {"object": obj, "kind": kind, "next": _safe_next(request, listing.url_name)}
        return render(request, "tasks/confirm_delete.html", context)
    delete()
    if _fragment(request):
        return _row_removed(request, listing)
    messages.success(request, f"{kind.capitalize()} “{obj}” deleted.")
    return _back(request, listing.url_name)


def _row_removed(request, listing: Listing):
    """For htmx: only the list's new count (out of band), so the row swaps to nothing."""
    context = {"kind": listing.kind, "count": _current_count(request, listing), "oob": True}
    return render(request, "tasks/count.html", context)


# --- dashboard -----------------------------------------------------------------------


def _stat_groups(stats: dict) -> list[tuple[str, list[dict]]]:
    """The dashboard's figures, each linking to the task list filtered the same way."""
    list_url = reverse("tasks:list")

    def figure(label, count, param, value):
        url = f"{list_url}?{urlencode({param: value})}"
        return {"key": value, "label": label, "count": count, "url": url}

    return [
        (
            "By status",
            [figure(s.label, stats["by_status"][s.value], "status", s.value) for s in Task.Status],
        ),
        (
            "By priority",
            [
                figure(label, stats["by_priority"][name], "priority", name)
                for name, label in PRIORITY_CHOICES
            ],
        ),
        ("Due", [figure(label, stats[DUE_STATS[due]], "due", due) for due, label in DUE_CHOICES]),
    ]


@login_required
@require_GET
def dashboard(request):
    def figures() -> str:
        data = selectors.task_dashboard(user=request.user, days=CHART_DAYS)
        context = {
            "stats": data["stats"],
            "stat_groups": _stat_groups(data["stats"]),
            "chart": charts.bar_chart(data["completions"]),
            "recently_completed": data["recent"],
        }
        return render_to_string("tasks/dashboard.html#dashboard-figures", context, request)

    # The figures fragment holds nothing of the user but their tasks (and no CSRF token).
    html = cache.remembered(
        owner_id=request.user.pk, kind="dashboard", signature=("page", CHART_DAYS), build=figures
    )
    return render(request, "tasks/dashboard.html", {"figures_html": mark_safe(html)})  # noqa: S308 (rendered above)


# --- tasks ---------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_list(request):
    return _list_page(request, TASKS)


@login_required
@require_POST
def task_create(request):
    form = forms.TaskCreateForm(request.POST, auto_id=NEW_TASK_IDS)
    task = _save(form, lambda data: services.task_create(owner=request.user, **data))
    return _created(request, TASKS, task, form, TASKS.blank_form(request.user))


def _update_task(task, form):
    """Save the task edit form: (saved task or None, form to show, status); see _save_edit."""

    def save(obj, data):
        return services.task_update(task=obj, **data)

    def rebind(data):
        return forms.TaskForm(data, auto_id=form.auto_id)

    return _save_edit(form, task, save, rebind)


def _save_edit(form, obj, update: Callable, make_form: Callable):
    """Save an edit form (tasks.merge.VersionedEditForm) with update(obj, cleaned data):
    (saved or None, form to show, status). make_form(data) binds a form like `form`.

    A save that lost a race (a stale `expected_version`) is merged: fields only one side
    changed are saved at once; if both changed one, nothing is saved and the 409 form
    keeps the user's values, with the stored ones shown under them.
    """
    try:
        return _save(form, lambda data: update(obj, data)), form, 200
    except services.VersionConflict as conflict:
        current = conflict.current
    merged, clashes = merge.edit_merge(form, current)
    if not clashes:
        again = make_form(merge.merged_data(type(form), current, merged))
        try:
            saved = _save(again, lambda data: update(current, data))
        except services.VersionConflict as conflict:  # a third save landed meanwhile
            current = conflict.current
            merged, clashes = merge.edit_merge(form, current)
        else:
            if saved is not None:
                saved.merged = True
                return saved, again, 200
    shown = make_form(merge.merged_data(type(form), current, merged))
    return None, merge.show_clashes(shown, current, clashes), 409


def _saved_message(obj) -> str:
    kind = type(obj)._meta.verbose_name.capitalize()
    if getattr(obj, "merged", False):
        return f"{kind} saved, merged with changes saved meanwhile."
    return f"{kind} saved."


def _render_detail(request, task, form, status=200):
    context = {
        "task": task,
        "form": form,
        "notes": selectors.note_list(user=request.user, filters={"task": task.pk}),
    }
    return render(request, "tasks/task_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk):
    """The task's page: every field in a plain form, and its notes."""
    task = selectors.task_get(user=request.user, pk=pk)
    form = forms.TaskForm(request.POST or None, initial=forms.task_form_data(task))
    status = 200
    if request.method == "POST":
        saved, form, status = _update_task(task, form)
        if saved:
            messages.success(request, _saved_message(saved))
            return redirect("tasks:detail", pk=task.pk)
    return _render_detail(request, task, form, status)


def _render_row(request, task):
    context = {"task": task, "next": _current_page(request, "tasks:list")}
    return render(request, f"{TASK_LIST}#task-row", context)


@login_required
@require_GET
def task_row(request, pk):
    """One row of the list (htmx: cancelling an inline edit)."""
    task = selectors.task_get(user=request.user, pk=pk)
    if not _fragment(request):
        return redirect("tasks:detail", pk=task.pk)
    return _render_row(request, task)


@login_required
@require_http_methods(["GET", "POST"])
def task_row_edit(request, pk):
    """The row's inline edit form (htmx). Without JS the row links to the detail page."""
    task = selectors.task_get(user=request.user, pk=pk)
    if request.method == "GET" and not _fragment(request):
        return redirect("tasks:detail", pk=task.pk)
    form = forms.TaskForm(
        request.POST or None, initial=forms.task_form_data(task), auto_id=f"edit-task-{task.pk}-%s"
    )
    status = 200
    if request.method == "POST":
        saved, form, status = _update_task(task, form)
        if saved and _fragment(request):
            return _render_row(request, saved)
        if saved:
            messages.success(request, _saved_message(saved))
            return _back(request, "tasks:list")
        if not _fragment(request):
            return _render_detail(request, task, form, status)
    context = {
        "task": task,
        "form": forms.with_autofocus(form),
        "next": _current_page(request, "tasks:list"),
    }
    return render(request, f"{TASK_LIST}#task-edit-row", context, status=status)


@login_required
@require_POST
def task_set_done(request, pk):
    """The row's Mark done / Reopen button. It names the state it asks for (`done`), so a
    stale tab or a second click leaves the task as the user meant."""
    task = selectors.task_get(user=request.user, pk=pk)  # someone else's: 404 first
    done = {"true": True, "false": False}.get(request.POST.get("done", ""))
    if done is None:
        return HttpResponseBadRequest("Say done=true (mark done) or done=false (reopen).")
    task = services.task_set_done(task=task, done=done)
    if _fragment(request):
        return _render_row(request, task)
    messages.success(request, f"“{task}” {'marked done' if task.is_done else 'reopened'}.")
    return _back(request, "tasks:list")


@login_required
@require_http_methods(["GET", "POST"])
def task_delete(request, pk):
    task = selectors.task_get(user=request.user, pk=pk)
    return _delete(request, TASKS, task, lambda: services.task_delete(task=task))


@login_required
@require_POST
def task_restore(request, pk):
    """An archived row's Restore button: the task goes back to the list, so leaves this one."""
    task = services.task_restore(task=selectors.task_get(user=request.user, pk=pk))
    if _fragment(request):
        return _row_removed(request, TASKS)
    messages.success(request, f"“{task}” restored from the archive.")
    return _back(request, "tasks:list")


# --- notes ---------------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers("HX-Request")
def note_list(request):
    return _list_page(request, NOTES)


@login_required
@require_POST
def note_create(request):
    form = forms.NoteForm(request.POST, user=request.user, auto_id=NEW_NOTE_IDS)
    note = _save(form, lambda data: services.note_create(owner=request.user, **data))
    return _created(request, NOTES, note, form, NOTES.blank_form(request.user))


@login_required
@require_http_methods(["GET", "POST"])
def note_detail(request, pk):
    """The note's page: a plain edit form."""
    note = selectors.note_get(user=request.user, pk=pk)

    def edit_form(data=None, **kwargs):
        return forms.NoteEditForm(data, user=request.user, **kwargs)

    def save(obj, data):
        return services.note_update(note=obj, **data)

    form = edit_form(request.POST or None, initial=forms.note_form_data(note))
    status = 200
    if request.method == "POST":
        saved, form, status = _save_edit(form, note, save, edit_form)
        if saved:
            messages.success(request, _saved_message(saved))
            return redirect("tasks:note-detail", pk=note.pk)
    context = {"note": note, "form": form}
    return render(request, "tasks/note_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def note_delete(request, pk):
    note = selectors.note_get(user=request.user, pk=pk)
    return _delete(request, NOTES, note, lambda: services.note_delete(note=note))


# --- your data: export, import, calendar feed ----------------------------------------

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
    try:
        result = exchange.import_file(owner=request.user, upload=upload)
    except exchange.ImportFileError as error:
        return _import_page(request, file_error=error.message, status=error.status)
    except services.ImportInvalid as error:
        return _import_page(request, invalid=error.rows, status=400)
    messages.success(
        request,
        f"Imported {result.tasks} task{pluralize(result.tasks)} "
        f"and {result.notes} note{pluralize(result.notes)}.",
    )
    return redirect("accounts:profile")


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
