"""What the task and note pages share: their lists, forms, fragments and redirects.

Every action is first a plain link or form (POST, then redirect back), so each works with
JavaScript off; htmx then does the same requests in place and swaps the fragment returned.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_htmx.http import reswap, retarget

from tasks import cache, forms, merge, selectors, services
from tasks.filters import TaskFilter

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
