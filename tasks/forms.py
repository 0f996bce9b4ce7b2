"""Page forms for tasks and notes: they check shape; tasks.services applies the rules.

Field names match the services' keyword arguments, so a view can call
`services.task_create(owner=request.user, **form.cleaned_data)`.
"""

from django import forms

from tasks import merge, selectors
from tasks.filters import PRIORITY_CHOICES, NoteFilter, TaskFilter
from tasks.models import MAX_TAGS_PER_ITEM, Note, Task


class TagsField(forms.CharField):
    """Comma-separated tag names in, a list of names out (the services want an iterable)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", MAX_TAGS_PER_ITEM * 52)  # names of 50, ", " between
        kwargs.setdefault("help_text", "Separate tags with commas.")
        super().__init__(**kwargs)

    def clean(self, value) -> list[str]:
        text = super().clean(value)
        names = [name.strip() for name in text.split(",") if name.strip()]
        if len({name.lower() for name in names}) > MAX_TAGS_PER_ITEM:
            raise forms.ValidationError(f"At most {MAX_TAGS_PER_ITEM} tags.")
        return names


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


class TaskForm(TaskCreateForm, merge.VersionedEditForm):
    """Every editable field, plus the version the user saw (see services.task_update) and
    the values they started from (tasks.merge)."""

    description = forms.CharField(
        required=False, max_length=10_000, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(choices=Task.Status.choices)

    field_order = ["title", "description", "status", "priority", "due_date", "tags"]
    kind = "task"

    @staticmethod
    def values_of(task: Task) -> dict[str, str]:
        return {
            "title": task.title,
            "description": task.description,
            "status": task.status,
            "priority": task.priority_name,
            "due_date": task.due_date.isoformat() if task.due_date else "",
            "tags": ", ".join(tag.name for tag in task.tags.all()),
        }

    def edited_values(self) -> dict[str, str]:
        cleaned, due = self.cleaned_data, self.cleaned_data["due_date"]
        return {
            "title": cleaned["title"].strip(),
            "description": cleaned["description"],
            "status": cleaned["status"],
            "priority": Task.Priority(cleaned["priority"]).name.lower(),
            "due_date": due.isoformat() if due else "",
            "tags": ", ".join(cleaned["tags"]),
        }


def task_form_data(task: Task) -> dict:
    """A task's stored values as the edit form's data, with its version and base."""
    return merge.edit_data(TaskForm, task)


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


class NoteEditForm(NoteForm, merge.VersionedEditForm):
    """A note's page form: NoteForm, the version the user saw and their starting values."""

    kind = "note"

    @staticmethod
    def values_of(note: Note) -> dict[str, str]:
        return {
            "title": note.title,
            "body": note.body,
            "task": str(note.task_id or ""),
            "tags": ", ".join(tag.name for tag in note.tags.all()),
        }

    def edited_values(self) -> dict[str, str]:
        cleaned = self.cleaned_data
        return {
            "title": cleaned["title"].strip(),
            "body": cleaned["body"],
            "task": str(cleaned["task"].pk if cleaned["task"] else ""),
            "tags": ", ".join(cleaned["tags"]),
        }

    def shown(self, current: Note, field: str, value: str) -> str:
        if field == "task":  # its title, not the id (and no walk through every choice)
            return current.task.title if current.task else "No task"
        return super().shown(current, field, value)


def note_form_data(note: Note) -> dict:
    """A note's stored values as its edit form's data, with its version and base."""
    return merge.edit_data(NoteEditForm, note)


def note_filter_form(data, *, url: str) -> forms.Form:
    """The note list's search box (NoteFilter's)."""
    return filter_form(NoteFilter, data, url=url, fields=("search",))
