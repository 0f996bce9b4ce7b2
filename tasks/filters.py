"""Task list filters, shared by the pages and the API through tasks.selectors."""

import re
from datetime import UTC, timedelta

import django_filters
from django import forms
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from tasks.models import Note, Task

PRIORITY_CHOICES = [(priority.name.lower(), priority.label) for priority in Task.Priority]
DUE_CHOICES = [("overdue", "Overdue"), ("today", "Due today"), ("week", "Due this week")]
ORDERING_FIELDS = ("created_at", "due_date", "priority", "updated_at")
ORDERING_CHOICES = [
    (f"{sign}{field}", f"{field.replace('_', ' ').capitalize()}{' (descending)' if sign else ''}")
    for field in ORDERING_FIELDS
    for sign in ("-", "")
]
SEARCH_TERM = re.compile(r"\w+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """Words of a search box entry; punctuation can never reach a tsquery."""
    return SEARCH_TERM.findall(text or "")[:10]


def search_tasks(queryset, text: str):
    """Full-text prefix search on PostgreSQL ("repo" finds "report"); contains elsewhere."""
    terms = search_terms(text)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        query = " & ".join(f"{term}:*" for term in terms)
        return queryset.filter(search_vector=SearchQuery(query, search_type="raw", config="simple"))
    for term in terms:
        queryset = queryset.filter(Q(title__icontains=term) | Q(description__icontains=term))
    return queryset


class FilterForm(forms.Form):
    """A filter set's form, as list pages render it (tasks.forms.filter_form)."""

    def __init__(self, *args, **kwargs):
        # Ids of its own: the list page also holds the create form and inline edit forms.
        kwargs.setdefault("auto_id", "filter-%s")
        super().__init__(*args, **kwargs)


class UTCDateTimeField(IsoDateTimeField):
    """An ISO 8601 date and time, in UTC: Python takes offsets up to 24 h, PostgreSQL only
    up to 16 h ("+20:11"), and a time that leaves years 1-9999 in UTC is refused."""

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise forms.ValidationError(
                "Enter a date and time between the years 1 and 9999 in UTC.", code="invalid"
            ) from None


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UTCDateTimeField


def live_search(element_id: str, placeholder: str) -> forms.SearchInput:
    """A search box that reloads the list as the user types (htmx; a plain input without)."""
    attrs = {"id": element_id, "placeholder": placeholder, "autocomplete": "off"}
    # Debounced as the user types; "search" fires on Enter and when the box is cleared.
    return forms.SearchInput(attrs={**attrs, "hx-trigger": "input changed delay:300ms, search"})


class TaskFilter(django_filters.FilterSet):
    """The task list's filters: the API's query parameters and the page's filter form."""

    search = django_filters.CharFilter(
        method="filter_search",
        label="Search tasks",
        widget=live_search("task-search", "Search titles and descriptions"),
    )
    status = django_filters.ChoiceFilter(choices=Task.Status.choices, empty_label="Any status")
    # Named choices of an integer field: the API schema would say integer.
    priority = extend_schema_field({"type": "string", "enum": sorted(dict(PRIORITY_CHOICES))})(
        django_filters.ChoiceFilter(
            choices=PRIORITY_CHOICES, method="filter_priority", empty_label="Any priority"
        )
    )
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", label="Tag")
    due = django_filters.ChoiceFilter(
        choices=DUE_CHOICES, method="filter_due", label="Due", empty_label="Any time"
    )
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = django_filters.DateFilter(field_name="due_date", lookup_expr="gte")
    # A choice, not a BooleanFilter: that one silently ignores values like "maybe".
    overdue = django_filters.ChoiceFilter(
        choices=[("true", "Yes"), ("false", "No")], method="filter_overdue"
    )
    updated_after = UTCDateTimeFilter(method="filter_updated_after")
    # Archived tasks (done long ago, see tasks.jobs) are left out unless asked for.
    archived = django_filters.ChoiceFilter(
        choices=[("false", "Current tasks"), ("true", "Archived tasks")],
        method="filter_archived",
        label="Show",
        empty_label=None,  # the page offers current (false, first) or archived tasks
    )
    ordering = django_filters.ChoiceFilter(
        choices=ORDERING_CHOICES, method="filter_ordering", label="Sort by", empty_label=None
    )

    class Meta:
        model = Task
        fields = []
        form = FilterForm

    @classmethod
    def unfiltered(cls, queryset):
        """What a filter set bound to no filters gives, without building one.

        Binding copies every filter and builds a form class: about 2 ms a request here.
        """
        return queryset.filter(archived_at__isnull=True)

    def filter_queryset(self, queryset):
        if not self.form.cleaned_data.get("archived"):
            queryset = self.unfiltered(queryset)
        return super().filter_queryset(queryset)

    def filter_updated_after(self, queryset, name, value):
        return queryset.filter(updated_at__gt=value)  # in UTC (UTCDateTimeField)

    def filter_search(self, queryset, name, value):
        return search_tasks(queryset, value)

    def filter_priority(self, queryset, name, value):
        return queryset.filter(priority=Task.Priority[value.upper()])

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        if value == "overdue":
            return self.filter_overdue(queryset, name, "true")
        if value == "today":
            return queryset.filter(due_date=today)
        return queryset.filter(due_date__gte=today, due_date__lte=today + timedelta(days=6))

    def filter_overdue(self, queryset, name, value):
        overdue = Q(due_date__lt=timezone.localdate()) & ~Q(status=Task.Status.DONE)
        return queryset.filter(overdue if value == "true" else ~overdue)

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=value != "true")

    def filter_ordering(self, queryset, name, value):
        descending = value.startswith("-")
        field = value.lstrip("-")
        if field == "due_date":
            # Tasks without a due date go last whichever way the list is sorted.
            due = F("due_date")
            order = due.desc(nulls_last=True) if descending else due.asc(nulls_last=True)
            return queryset.order_by(order, "-id" if descending else "id")
        return queryset.order_by(value, "-id" if descending else "id")


class NoteFilter(django_filters.FilterSet):
    """The note list's filters: the API's query parameters and the page's search box."""

    search = django_filters.CharFilter(
        method="filter_search",
        label="Search notes",
        widget=live_search("note-search", "Search titles and text"),
    )
    task = django_filters.NumberFilter(field_name="task_id")
    tag = django_filters.CharFilter(field_name="tags__name", lookup_expr="iexact", label="Tag")

    class Meta:
        model = Note
        fields = []
        form = FilterForm

    def filter_search(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(Q(title__icontains=term) | Q(body__icontains=term))
        return queryset
