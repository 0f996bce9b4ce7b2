"""Note pages: the list, create, the detail page, delete, and the task picker's search."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)
from django.views.decorators.vary import vary_on_headers

from core import ratelimit
from tasks import forms, selectors, services
from tasks.views.common import (
    NEW_NOTE_IDS,
    NOTES,
    _created,
    _delete,
    _fragment,
    _list_page,
    _save,
    _save_edit,
    _saved_message,
)


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


PICK_SUGGESTED = 10  # suggestions under the picker as the user types
PICK_LISTED = 50  # matches on the search page


@login_required
@require_GET
@vary_on_headers("HX-Request")
def task_pick(request):
    """The note form's task picker: with htmx, the <option>s of its suggestions; without,
    a search page listing matching tasks as the picker spells them ("Title #id")."""
    text = (request.GET.get("task") or request.GET.get("q") or "").strip()[:300]
    fragment = _fragment(request)
    try:
        ratelimit.consume("task-pick", request.user.pk, settings.RATE_TASK_PICK_PER_USER)
    except ratelimit.RateLimited as error:
        if fragment:
            return render(request, "tasks/task_pick_options.html", {"tasks": []}, status=429)
        context = {"q": text, "error": str(error), "tasks": []}
        return render(request, "tasks/task_pick.html", context, status=429)
    limit = PICK_SUGGESTED if fragment else PICK_LISTED
    tasks = (
        selectors.task_titles_matching(user=request.user, text=text, exact=False, limit=limit)
        if text
        else []
    )
    labels = [forms.task_label(task) for task in tasks]
    if fragment:
        return render(request, "tasks/task_pick_options.html", {"labels": labels})
    context = {"q": text, "tasks": list(zip(tasks, labels, strict=True)), "limit": limit}
    return render(request, "tasks/task_pick.html", context)
