from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from accounts.models import User
from tasks import services
from tasks.models import Task

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
RESET = reverse("tasks:calendar-reset")
LOGIN = reverse("accounts:login")
API_CALENDAR = reverse("tasks-api:calendar")
API_RESET = reverse("tasks-api:calendar-reset")


def feed_url(user) -> str:
    return reverse("tasks:calendar-feed", kwargs={"token": user.calendar_token})


def events(response) -> dict[str, dict]:
    """The feed's events by UID, as a calendar app reads them."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "description": str(event.get("DESCRIPTION", "")),
            "start": event.decoded("DTSTART"),
            "end": event.decoded("DTEND"),
            "categories": [str(c) for c in event["CATEGORIES"].cats],
            "start_is_date": event["DTSTART"].params.get("VALUE") == "DATE",
        }
        for event in calendar.walk("VEVENT")
    }


@pytest.fixture
def dated(user, other_user):
    """The user's tasks with and without due dates, archived and not, and Bob's."""
    tasks = {
        "open": services.task_create(
            owner=user,
            title="Pay rent; call landlord, <b>now</b>",
            description="Line one\nline two",
            due_date=date(2025, 3, 1),
            priority=Task.Priority.HIGH,
            tags=["home"],
        ),
        "done": services.task_create(
            owner=user, title="Filed taxes", due_date=date(2025, 4, 15), status=Task.Status.DONE
        ),
    }
    services.task_create(owner=user, title="No due date")
    archived = services.task_create(owner=user, title="Archived", due_date=date(2025, 1, 1))
    Task.objects.filter(pk=archived.pk).update(archived_at=timezone.now())
    services.task_create(owner=other_user, title="Bob's task", due_date=date(2025, 3, 1))
    return tasks


def test_the_feed_lists_exactly_the_users_dated_tasks_without_login(client, user, dated):
    response = client.get(feed_url(user))

    found = events(response)
    assert set(found) == {f"task-{dated['open'].pk}@taskflow", f"task-{dated['done'].pk}@taskflow"}
    rent = found[f"task-{dated['open'].pk}@taskflow"]
    assert rent["summary"] == "Pay rent; call landlord, <b>now</b>"
    assert rent["description"] == "Line one\nline two"
    assert rent["start"] == date(2025, 3, 1)
    assert rent["end"] == date(2025, 3, 2)  # all day: DTEND is the next day, exclusive
    assert rent["start_is_date"]
    assert rent["categories"] == ["To do", "High priority", "home"]
    taxes = found[f"task-{dated['done'].pk}@taskflow"]
    assert taxes["start"] == date(2025, 4, 15)
    assert "Done" in taxes["categories"]
    assert b"DTSTART;VALUE=DATE:20250301" in response.content
    assert response["Cache-Control"] == "private, no-cache"


def test_the_event_uid_stays_the_same_when_the_task_changes(client, user, dated):
    uid = f"task-{dated['open'].pk}@taskflow"
    services.task_update(task=dated["open"], title="Renamed", due_date=date(2025, 5, 1))

    event = events(client.get(feed_url(user)))[uid]

    assert event["summary"] == "Renamed"
    assert event["start"] == date(2025, 5, 1)


def test_an_empty_calendar_is_still_a_calendar(client, user):
    assert events(client.get(feed_url(user))) == {}


def test_a_head_request_is_answered(client, user):
    assert client.head(feed_url(user)).status_code == 200


@pytest.mark.parametrize(
    "token", ["x" * 43, "A" * 20, "short", "has.dot" + "x" * 20, "a/b" + "x" * 20]
)
def test_a_wrong_token_is_a_404(client, user, token):
    path = f"/calendar/{token}.ics"
    assert client.get(path).status_code == 404


def test_an_inactive_users_feed_is_a_404(client, user):
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert client.get(feed_url(user)).status_code == 404


def test_the_feed_takes_the_same_queries_for_any_number_of_tasks(client, user):
    for n in range(3):
        services.task_create(owner=user, title=f"T{n}", due_date=date(2025, 1, n + 1), tags=["a"])
    with CaptureQueriesContext(connection) as few:
        client.get(feed_url(user))
    for n in range(20):
        services.task_create(owner=user, title=f"U{n}", due_date=date(2025, 2, n + 1), tags=["b"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(feed_url(user))
    assert len(events(response)) == 23
    assert len(many) == len(few) == 3  # the user, the tasks, their tags


def test_resetting_the_link_on_the_profile_retires_the_old_url(client, user, dated):
    old = feed_url(user)
    client.force_login(user)

    response = client.post(RESET)

    assert response.status_code == 302
    assert response["Location"] == PROFILE
    user.refresh_from_db()
    assert feed_url(user) != old
    assert client.get(old).status_code == 404
    assert len(events(client.get(feed_url(user)))) == 2
    assert "Your calendar link was reset." in client.get(PROFILE).content.decode()


def test_resetting_needs_a_post_from_a_signed_in_user(client, user):
    token = user.calendar_token
    response = client.post(RESET)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    client.force_login(user)
    assert client.get(RESET).status_code == 405
    user.refresh_from_db()
    assert user.calendar_token == token


def test_the_profile_shows_the_full_feed_url_and_a_webcal_link(client, user):
    client.force_login(user)

    page = client.get(PROFILE).content.decode()

    assert f'value="http://testserver{feed_url(user)}"' in page
    assert f'href="webcal://testserver{feed_url(user)}"' in page
    assert '<label for="calendar-url">' in page
    assert f'action="{RESET}"' in page
    assert "Reset calendar link" in page


def test_the_api_gives_and_resets_the_feed_url(client, jwt_client, user, dated):
    api = jwt_client

    link = api.get(API_CALENDAR).json()
    assert link == {
        "url": f"http://testserver{feed_url(user)}",
        "webcal_url": f"webcal://testserver{feed_url(user)}",
    }
    assert len(events(client.get(link["url"]))) == 2

    response = api.post(API_RESET)
    assert response.status_code == 200
    new = response.json()
    assert new["url"] != link["url"]
    assert client.get(link["url"]).status_code == 404
    assert len(events(client.get(new["url"]))) == 2


def test_the_calendar_api_needs_a_token(api_client, user):
    assert api_client.get(API_CALENDAR).status_code == 401
    assert api_client.post(API_RESET).status_code == 401
    token = user.calendar_token
    user.refresh_from_db()
    assert user.calendar_token == token
