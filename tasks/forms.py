"""Page forms for tasks and notes: they check shape; tasks.services applies the rules.

Field names match the services' keyword arguments, so a view can call
`services.task_create(owner=request.user, **form.cleaned_data)`.
"""

import re

from django import forms
from django.urls import reverse
from django.utils.html import format_html

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


# "Pay rent #12": how the picker spells a task, so a title needn't be unique.
TASK_LABEL = re.compile(r"^(?P<title>.*?)\s*#(?P<id>\d{1,18})\s*$", re.DOTALL)
PICK_NAMED = 5  # tasks an ambiguous pick names in its error


def task_label(task: Task | None) -> str:
    return f"{task.title} #{task.pk}" if task is not None else ""


class TaskPickerWidget(forms.TextInput):
    """A text field whose suggestions (a <datalist>) htmx fills from tasks:task-pick as the
    user types; without JavaScript it is a plain text field."""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        options = self._options_id(name, context["widget"]["attrs"])
        context["widget"]["attrs"].update(
            {
                "list": options,
                "autocomplete": "off",
                "hx-get": reverse("tasks:task-pick"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{options}",
                "hx-swap": "innerHTML",  # not the create form's afterbegin
                "hx-sync": "this:replace",
            }
        )
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        options = self._options_id(name, self.build_attrs(self.attrs, attrs))
        return html + format_html(
            '<datalist id="{}"></datalist> <a class="picker-search" href="{}" target="_blank" '
            'rel="noopener">Find a task (opens a new tab)</a>',
            options,
            reverse("tasks:task-pick"),
        )

    @staticmethod
    def _options_id(name, attrs) -> str:
        return f"{attrs.get('id') or name}-options"


class TaskPickerField(forms.CharField):
    """One of the user's tasks, typed: its title or part of one, or "Title #id" as the
    suggestions spell it; empty for none. Not a <select>: an account may hold 100,000."""

    widget = TaskPickerWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 300)
        kwargs.setdefault(
            "help_text",
            "Type part of its title and pick a suggestion, or add its number: Pay rent #12.",
        )
        super().__init__(**kwargs)
        self.user = None  # set by the form: only this user's tasks can be picked

    def clean(self, value) -> Task | None:
        text = super().clean(value).strip()
        if not text:
            return None
        # A title first ("Fix bug #12" may be one), then the number the suggestions add
        # (it still finds a task renamed since the page was loaded), then part of a title.
        titled = self._matching(text, exact=True)
        if len(titled) == 1:
            return titled[0]
        labelled = TASK_LABEL.match(text)
        if labelled:
            task = selectors.task_choices(user=self.user).filter(pk=labelled["id"]).first()
            if task is not None:
                return task
        found = titled or self._matching(text, exact=False)
        if len(found) == 1:
            return found[0]
        if found:
            raise forms.ValidationError(self._ambiguous(text, found))
        raise forms.ValidationError(
            f"None of your tasks is called “{text}”. Type part of its title and pick a suggestion."
        )

    def _matching(self, text: str, *, exact: bool) -> list[Task]:
        return selectors.task_titles_matching(
            user=self.user, text=text, exact=exact, limit=PICK_NAMED + 1
        )

    @staticmethod
    def _ambiguous(text: str, found: list[Task]) -> str:
        many = "More than " + str(PICK_NAMED) if len(found) > PICK_NAMED else str(len(found))
        named = "; ".join(task_label(task) for task in found[:PICK_NAMED])
        return (
            f"{many} of your tasks match “{text}”: {named}. "
            f"Type the one you mean with its number, e.g. {task_label(found[0])}."
        )


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
    task = TaskPickerField()
    tags = TagsField()

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].user = user  # only the user's own tasks are accepted


class NoteEditForm(NoteForm, merge.VersionedEditForm):
    """A note's page form: NoteForm, the version the user saw and their starting values."""

    kind = "note"

    @staticmethod
    def values_of(note: Note) -> dict[str, str]:
        return {
            "title": note.title,
            "body": note.body,
            "task": task_label(note.task),
            "tags": ", ".join(tag.name for tag in note.tags.all()),
        }

    def edited_values(self) -> dict[str, str]:
        cleaned = self.cleaned_data
        return {
            "title": cleaned["title"].strip(),
            "body": cleaned["body"],
            "task": task_label(cleaned["task"]),
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
