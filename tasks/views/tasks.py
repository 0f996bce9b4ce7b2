"""Task pages: the list, create, the detail page, inline edit, mark done, delete, restore."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
)
from django.views.decorators.vary import vary_on_headers

from tasks import forms, selectors, services
from tasks.views.common import (
    NEW_TASK_IDS,
    TASK_LIST,
    TASKS,
    _back,
    _created,
    _current_page,
    _delete,
    _fragment,
    _list_page,
    _row_removed,
    _save,
    _save_edit,
    _saved_message,
)


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
