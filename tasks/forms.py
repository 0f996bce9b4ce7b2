"""Page forms for tasks and notes: they check shape; tasks.services applies the rules.

Field names match the services' keyword arguments, so a view can call
`services.task_create(owner=request.user, **form.cleaned_data)`.
"""

from django import forms

from tasks import selectors
from tasks.filters import PRIORITY_CHOICES, NoteFilter, TaskFilter
from tasks.models import Note, Task

CONFLICT_MESSAGE = (
    "Someone changed this task while you were editing it. The form now shows the saved "
    "version: check it and make your changes again."
)


class TagsField(forms.CharField):
    """Comma-separated tag names in, a list of names out (the services want an iterable)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 1000)
        kwargs.setdefault("help_text", "Separate tags with commas.")
        super().__init__(**kwargs)

    def clean(self, value) -> list[str]:
        text = super().clean(value)
        return [name.strip() for name in text.split(",") if name.strip()]


class PriorityField(forms.ChoiceField):
    """Spelled low/medium/high on the page, as in URLs and the API; cleaned to Task.Priority."""

    def __init__(self, **kwargs):
        super().__init__(choices=PRIORITY_CHOICES, **kwargs)

    def clean(self, value) -> Task.Priority:
        return Task.Priority[super().clean(value).upper()]


def with_autofocus(form: forms.Form, field: str = "title") -> forms.Form:
    """Focus the first field when htmx swaps the form in (htmx honours `autofocus`)."""
    form.fields[field].widget.attrs["autofocus"] = True
    return form


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TaskCreateForm(forms.Form):
    """The short form at the top of the task list."""

    title = forms.CharField(max_length=200)
    priority = PriorityField(initial="medium")
    due_date = forms.DateField(required=False, widget=_date_input())
    tags = TagsField()


class TaskForm(TaskCreateForm):
    """Every editable field, plus the version the user saw (see services.task_update)."""

    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(choices=Task.Status.choices)
    expected_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    field_order = ["title", "description", "status", "priority", "due_date", "tags"]


def task_form_data(task: Task) -> dict:
    """A task's stored values in TaskForm's spelling, as initial values or as bound data."""
    return {
        "title": task.title,
        "description": task.description,
        "status": task.status,
        "priority": task.priority_name,
        "due_date": task.due_date.isoformat() if task.due_date else "",
        "tags": ", ".join(tag.name for tag in task.tags.all()),
        "expected_version": task.version,
    }


def task_conflict_form(task: Task, **kwargs) -> TaskForm:
    """The edit form refilled with the stored task, explaining why the save was refused."""
    form = TaskForm(task_form_data(task), **kwargs)
    form.add_error(None, CONFLICT_MESSAGE)
    return form


def filter_form(filterset, data, *, url: str, fields: tuple[str, ...]) -> forms.Form:
    """The filter set's own form as a list page shows it: `fields`, in that order."""
    # Unbound, showing `data`: the selector's filter set validates the values and reports
    # errors in the results, which htmx swaps, so the form never shows a stale error state.
    form = filterset().form
    form.initial = data or {}
    form.fields = {name: form.fields[name] for name in fields}
    for field in form.fields.values():
        # Each control reloads the list itself; the <form> supplies the target and includes
        # every value, so the query string is the same with or without JavaScript.
        field.widget.attrs["hx-get"] = url
    return form


def task_filter_form(data, *, url: str) -> forms.Form:
    """The task list's filters (TaskFilter's), those a person sets; the API takes them all."""
    shown = ("search", "status", "priority", "tag", "due", "ordering", "archived")
    return filter_form(TaskFilter, data, url=url, fields=shown)


class NoteForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        required=False, max_length=50_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    task = forms.ModelChoiceField(queryset=None, required=False, empty_label="No task")
    tags = TagsField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the user's own tasks are offered, and only those are accepted.
        self.fields["task"].queryset = selectors.task_choices(user=user)


def note_form_data(note: Note) -> dict:
    """A note's stored values in NoteForm's spelling."""
    return {
        "title": note.title,
        "body": note.body,
        "task": note.task_id,
        "tags": ", ".join(tag.name for tag in note.tags.all()),
    }


def note_filter_form(data, *, url: str) -> forms.Form:
    """The note list's search box (NoteFilter's)."""
    return filter_form(NoteFilter, data, url=url, fields=("search",))
