"""beat's schedule lives in the database (django-celery-beat's DatabaseScheduler): it
survives restarts and deploys, and staff can change it in the admin (issue 14)."""

import pytest
from django.conf import settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler

from config.celery import app

# Outside a test transaction: the scheduler calls close_old_connections(), which drops a
# connection whose autocommit is off (as inside one) on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_uses_the_database_scheduler():
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"


def test_starting_beat_writes_every_scheduled_job_to_the_database():
    DatabaseScheduler(app=app)  # what `celery -A config beat` builds at start
    stored = {task.name: task.task for task in PeriodicTask.objects.all()}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert stored[name] == entry["task"]
    # A second start (a restart, a deploy) keeps them once each, with their last runs.
    DatabaseScheduler(app=app)
    assert PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).count() == len(
        settings.CELERY_BEAT_SCHEDULE
    )


def test_staff_can_see_and_edit_the_schedule_in_the_admin(staff_client):
    DatabaseScheduler(app=app)
    page = staff_client.get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200
    assert "daily-reminders" in page.content.decode()
