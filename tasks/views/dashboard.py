"""The dashboard: counts, overdue and due-soon tasks, and the completion chart."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import (
    require_GET,
)

from tasks import cache, charts, selectors
from tasks.filters import DUE_CHOICES, PRIORITY_CHOICES
from tasks.models import Task
from tasks.views.common import (
    CHART_DAYS,
    DUE_STATS,
)


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
