"""A user's time zone and daily reminder opt-in: profile page, /me/, and "today" per user."""

import zoneinfo
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tasks import services
from tests.tasks.factories import TaskFactory

pytestmark = pytest.mark.django_db

PROFILE = reverse("accounts:profile")
ME = reverse("auth-api:me")
TASKS_PAGE = reverse("tasks:list")
TASKS_API = reverse("tasks-api:task-list")
STATS_API = reverse("tasks-api:task-stats")
# 25 hours apart: at any moment their dates differ, so one's today is never the other's.
EARLIEST = "Pacific/Kiritimati"  # UTC+14
LATEST = "Pacific/Pago_Pago"  # UTC-11


def save_fields(user, **fields):
    """Write fields as the services do (save, so the cached user is dropped), unvalidated."""
    for name, value in fields.items():
        setattr(user, name, value)
    user.save(update_fields=list(fields))


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


def local_today(zone: str):
    return timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()


# --- profile page ---------------------------------------------------------------------


def test_the_profile_page_offers_every_time_zone_and_the_reminder(owner, user):
    save_fields(user, timezone="Europe/Paris", daily_reminder=True)
    page = owner.get(PROFILE).content.decode()
    assert '<label for="id_timezone">Time zone</label>' in page
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in page
    assert '<option value="America/New_York">America/New York</option>' in page
    assert page.index('value="Africa/Abidjan"') < page.index('value="UTC"')  # sorted
    assert 'type="checkbox" name="daily_reminder"' in page
    assert 'id="id_daily_reminder" checked' in page
    assert "Email me a daily reminder</label>" in page
    assert 'aria-describedby="id_daily_reminder_helptext"' in page
    assert 'id="id_daily_reminder_helptext"' in page


def test_the_profile_page_saves_the_time_zone_and_the_reminder(owner, user):
    data = {"full_name": "Ann", "timezone": "Asia/Tokyo", "daily_reminder": "on"}
    response = owner.post(PROFILE, data, follow=True)
    assert "Your profile was saved" in response.content.decode()
    user.refresh_from_db()
    assert (user.timezone, user.daily_reminder) == ("Asia/Tokyo", True)
    owner.post(PROFILE, {"full_name": "Ann", "timezone": "Asia/Tokyo"})  # box unticked
    user.refresh_from_db()
    assert user.daily_reminder is False


def test_a_form_without_the_time_zone_keeps_it(owner, user):
    save_fields(user, timezone="Europe/Paris")
    owner.post(PROFILE, {"full_name": "Ann Renamed"})
    user.refresh_from_db()
    assert (user.full_name, user.timezone) == ("Ann Renamed", "Europe/Paris")


def test_an_unknown_time_zone_is_refused(owner, user):
    response = owner.post(PROFILE, {"full_name": "Ann", "timezone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    user.refresh_from_db()
    assert user.timezone == "UTC"


# --- the API: me/ ---------------------------------------------------------------------


def test_me_shows_the_time_zone_and_reminder(jwt_client):
    data = jwt_client.get(ME).json()
    assert (data["timezone"], data["daily_reminder"]) == ("UTC", False)


def test_me_patch_changes_only_what_is_sent(jwt_client, user):
    response = jwt_client.patch(ME, {"timezone": "America/Sao_Paulo"})
    assert response.status_code == 200
    assert response.json()["timezone"] == "America/Sao_Paulo"
    response = jwt_client.patch(ME, {"daily_reminder": True})
    assert response.json()["daily_reminder"] is True
    user.refresh_from_db()
    assert (user.full_name, user.timezone, user.daily_reminder) == (
        "Ann Example",
        "America/Sao_Paulo",
        True,
    )


def test_me_patch_without_the_reminder_leaves_it_alone(jwt_client, user):
    save_fields(user, daily_reminder=True)
    response = jwt_client.patch(ME, {"full_name": "Ann Json"}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.full_name, user.daily_reminder) == ("Ann Json", True)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("timezone=", "application/x-www-form-urlencoded"),
        ("full_name=Ann+Form", "application/x-www-form-urlencoded"),
        (
            '--b\r\nContent-Disposition: form-data; name="timezone"\r\n\r\n\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_me_patch_takes_json_only(jwt_client, user, body, content_type):
    save_fields(user, daily_reminder=True)
    before = (user.full_name, user.timezone)
    response = jwt_client.generic("PATCH", ME, body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    user.refresh_from_db()
    assert (user.full_name, user.timezone, user.daily_reminder) == (*before, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"daily_reminder": "perhaps"}, "daily_reminder"),
    ],
)
def test_me_patch_refuses_bad_preferences(jwt_client, user, body, field):
    response = jwt_client.patch(ME, body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert (user.timezone, user.daily_reminder) == ("UTC", False)


# --- "today" is the user's -------------------------------------------------------------


def test_pages_use_the_users_today(owner, user):
    task = TaskFactory(owner=user, title="Due where the day starts", due_date=local_today(EARLIEST))
    save_fields(user, timezone=EARLIEST)
    page = owner.get(TASKS_PAGE, {"due": "today"}).content.decode()
    assert f'id="task-{task.pk}"' in page
    save_fields(user, timezone=LATEST)
    page = owner.get(TASKS_PAGE, {"due": "today"}).content.decode()
    assert f'id="task-{task.pk}"' not in page  # still a future day there
    assert timezone.get_current_timezone_name() == "UTC"  # deactivated after the request


def test_overdue_follows_the_users_today(owner, user):
    yesterday_for_latest = local_today(LATEST) - timedelta(days=1)
    task = TaskFactory(owner=user, title="Due yesterday", due_date=yesterday_for_latest)
    save_fields(user, timezone=LATEST)
    assert "(overdue)" in owner.get(TASKS_PAGE).content.decode()
    # Yesterday where the day starts: today or tomorrow where it ends.
    services.task_update(task=task, due_date=local_today(EARLIEST) - timedelta(days=1))
    assert "(overdue)" not in owner.get(TASKS_PAGE).content.decode()


def test_the_api_uses_the_callers_today_and_recounts_cached_figures_for_it(jwt_client, user):
    TaskFactory(owner=user, title="Due", due_date=local_today(EARLIEST))
    jwt_client.patch(ME, {"timezone": EARLIEST})
    assert [r["title"] for r in jwt_client.get(TASKS_API, {"due": "today"}).json()["results"]] == [
        "Due"
    ]
    assert jwt_client.get(STATS_API).json()["due_today"] == 1  # now cached for that date
    jwt_client.patch(ME, {"timezone": LATEST})
    assert jwt_client.get(TASKS_API, {"due": "today"}).json()["results"] == []
    assert jwt_client.get(STATS_API).json()["due_today"] == 0
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_time_zone_the_system_no_longer_knows_falls_back_to_utc(owner, user):
    save_fields(user, timezone="Atlantis/Lost_City")
    TaskFactory(owner=user, title="Due today in UTC", due_date=timezone.now().date())
    page = owner.get(TASKS_PAGE, {"due": "today"}).content.decode()
    assert "Due today in UTC" in page
