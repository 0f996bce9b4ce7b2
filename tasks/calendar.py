"""The private iCalendar feed: a user's tasks with a due date, as all-day events.

VEVENT rather than VTODO: Google Calendar and Apple Calendar subscriptions show events
and ignore to-dos. Each event's UID is stable (`task-<id>@taskflow`), so a calendar app
updates the event when the task changes instead of adding another.
"""

from datetime import timedelta

from django.urls import reverse
from icalendar import Calendar, Event, vDuration

from accounts.models import User
from tasks.models import Task

PRODID = "-//TaskFlow//Tasks//EN"
# How often subscribers should fetch the feed again (Apple and Outlook honour it).
REFRESH = timedelta(hours=1)


def feed_path(user: User) -> str:
    return reverse("tasks:calendar-feed", kwargs={"token": user.calendar_token})


def feed_links(request, user: User) -> dict[str, str]:
    """The feed's https:// URL and the same as webcal://, which calendar apps open."""
    url = request.build_absolute_uri(feed_path(user))
    return {"url": url, "webcal_url": "webcal://" + url.split("://", 1)[1]}


def task_event(task: Task, request) -> Event:
    event = Event()
    event.add("uid", f"task-{task.pk}@taskflow")
    event.add("dtstamp", task.updated_at)
    event.add("created", task.created_at)
    event.add("last-modified", task.updated_at)
    event.add("summary", task.title)
    if task.description:
        event.add("description", task.description)
    # All day: DTSTART;VALUE=DATE and the (exclusive) next day as DTEND.
    event.add("dtstart", task.due_date)
    event.add("dtend", task.due_date + timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    categories = [task.get_status_display(), f"{task.get_priority_display()} priority"]
    event.add("categories", categories + [tag.name for tag in task.tags.all()])
    event.add("priority", {Task.Priority.HIGH: 1, Task.Priority.MEDIUM: 5}.get(task.priority, 9))
    event.add("url", request.build_absolute_uri(reverse("tasks:detail", args=[task.pk])))
    return event


def calendar_feed(*, tasks, request) -> bytes:
    """The tasks as an iCalendar document (text/calendar)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "TaskFlow tasks")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    for task in tasks:
        calendar.add_component(task_event(task, request))
    return calendar.to_ical()
