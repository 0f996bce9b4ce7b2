"""Background jobs, run eagerly in the test process (the test settings' CELERY_TASK_ALWAYS_EAGER).

tests/test_celery_worker.py runs jobs in a real worker through Redis.
"""

from datetime import UTC, datetime, timedelta
from smtplib import SMTPException, SMTPServerDisconnected

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.mail.backends import locmem
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import emails
from accounts import jobs as account_jobs
from accounts.models import AuditEvent, SpentRefreshToken, UserSession
from config.celery import app
from core import jobs
from tasks import jobs as task_jobs
from tasks.models import ReminderLog, Task
from tests.accounts.factories import UserFactory
from tests.tasks.factories import TaskFactory

pytestmark = pytest.mark.django_db


def message(**overrides) -> dict:
    return {
        "message_id": "m-1",
        "to": ["ann@example.com"],
        "subject": "Hello",
        "body": "Reset here: https://example.com/secret-token/",
    } | overrides


# --- send_email -------------------------------------------------------------------------


class FlakyBackend(locmem.EmailBackend):
    """Locmem email whose next `failures` sends raise, as an SMTP server that is down."""

    failures = 0
    attempts = 0

    def send_messages(self, email_messages):
        type(self).attempts += 1
        if type(self).failures:
            type(self).failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(email_messages)


@pytest.fixture
def flaky(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.test_jobs.FlakyBackend"
    monkeypatch.setattr(FlakyBackend, "attempts", 0)
    # As in a worker, a failed try is recorded, not raised: Celery's eager retries apply()
    # again without passing `throw` on, so only this setting lets them run their course.
    monkeypatch.setitem(app.conf, "task_eager_propagates", False)
    return FlakyBackend


def test_send_email_is_retried_with_backoff_until_the_server_answers(flaky, monkeypatch):
    monkeypatch.setattr(flaky, "failures", 2)
    # apply() runs the job here as a worker would, retries included (without their delay).
    result = jobs.send_email.apply(kwargs=message())
    assert result.successful()
    assert result.get() == 1
    assert flaky.attempts == 3
    assert [m.subject for m in mail.outbox] == ["Hello"]
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL
    assert (jobs.send_email.max_retries, jobs.send_email.retry_backoff) == (5, True)
    assert jobs.send_email.retry_jitter is True
    assert set(jobs.send_email.autoretry_for) == {SMTPException, OSError}


def test_send_email_gives_up_after_five_retries(flaky, monkeypatch):
    monkeypatch.setattr(flaky, "failures", 100)
    result = jobs.send_email.apply(kwargs=message())
    assert result.failed()
    assert isinstance(result.result, SMTPServerDisconnected)
    assert flaky.attempts == 6  # the first try and five retries
    assert mail.outbox == []


def test_connection_errors_are_retried_too(flaky, monkeypatch):
    def refused(self, email_messages):
        type(self).attempts += 1
        if type(self).attempts == 1:
            raise ConnectionRefusedError(111, "Connection refused")
        return locmem.EmailBackend.send_messages(self, email_messages)

    monkeypatch.setattr(flaky, "send_messages", refused)
    assert jobs.send_email.apply(kwargs=message()).get() == 1
    assert flaky.attempts == 2
    assert len(mail.outbox) == 1


def test_send_email_twice_sends_once(flaky):
    assert jobs.send_email.delay(**message()).get() == 1
    assert jobs.send_email.delay(**message()).get() == 0  # a redelivered job
    assert jobs.send_email.delay(**message(message_id="m-2")).get() == 1
    assert len(mail.outbox) == 2


def test_account_emails_go_through_the_job(user, monkeypatch):
    sent = []
    monkeypatch.setattr(jobs, "deliver", lambda **kwargs: sent.append(kwargs) or 1)
    emails.send_account_email(
        user=user, template="password_reset", context={"url": "https://x/", "valid_minutes": 60}
    )
    assert [m["subject"] for m in sent] == ["Reset your TaskFlow password"]
    assert sent[0]["to"] == ["ann@example.com"]
    assert "https://x/" in sent[0]["body"]


@pytest.fixture
def with_broker(monkeypatch):
    """As in production: jobs go to a broker (here a recorder), not run in the process."""
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    queued = []

    def apply_async(*, kwargs, kwargsrepr):
        queued.append((kwargs, kwargsrepr))

    monkeypatch.setattr(jobs.send_email, "apply_async", apply_async)
    return queued


def test_with_a_broker_the_email_is_queued_once_the_transaction_commits(
    user, with_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        emails.send_account_email(
            user=user, template="password_reset", context={"url": "https://x/secret/"}
        )
        assert with_broker == []  # not before the commit
    assert len(callbacks) == 1
    [(kwargs, shown)] = with_broker
    assert kwargs["to"] == ["ann@example.com"]
    assert "https://x/secret/" in kwargs["body"]
    # What logs and monitoring show of the job: neither the link nor the address.
    assert "secret" not in shown
    assert "ann@example.com" not in shown
    assert kwargs["message_id"] in shown


def test_a_rolled_back_transaction_queues_no_email(
    user, with_broker, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        emails.send_account_email(user=user, template="password_reset", context={})
        raise RuntimeError("the write failed")
    assert callbacks == []
    assert with_broker == []


def test_with_the_broker_down_the_email_is_sent_at_once(
    user, with_broker, monkeypatch, django_capture_on_commit_callbacks
):
    def unreachable(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(jobs.send_email, "apply_async", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        emails.send_account_email(user=user, template="password_reset", context={})
    assert [m.subject for m in mail.outbox] == ["Reset your TaskFlow password"]


# --- daily reminders ------------------------------------------------------------------

# 07:00 UTC on 10 March 2026: 08:00 in Paris (UTC+1), 16:00 in Tokyo, and already 20:00 on
# that day in Auckland (UTC+13).
NOW = datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
TODAY = NOW.date()


def reminded(*, timezone_name="Europe/Paris", **fields):
    fields = {
        "timezone": timezone_name,
        "daily_reminder": True,
        "email_verified_at": NOW - timedelta(days=30),
    } | fields
    return UserFactory(**fields)


def due(owner, days_from_today, title=None, **fields):
    return TaskFactory(
        owner=owner,
        title=title or f"due {days_from_today}",
        due_date=TODAY + timedelta(days=days_from_today),
        **fields,
    )


def run_reminders(now=NOW) -> int:
    return task_jobs.send_daily_reminders.delay(now=now.isoformat()).get()


def recipients() -> list[str]:
    return sorted(address for m in mail.outbox for address in m.to)


def test_reminders_list_the_tasks_due_today_and_overdue():
    ann = reminded(email="ann@example.com", full_name="Ann Example")
    due(ann, 0, "Pay rent", priority=Task.Priority.HIGH)
    due(ann, -3, "Call the bank & insurer")
    due(ann, 1, "Tomorrow's task")
    due(ann, -1, "Already done", status=Task.Status.DONE, completed_at=NOW)
    due(ann, -40, "Archived", archived_at=NOW - timedelta(days=1))
    TaskFactory(owner=ann, title="No due date")
    assert run_reminders() == 1
    [email] = mail.outbox
    assert email.to == ["ann@example.com"]
    assert email.subject == "2 tasks due today or overdue"
    assert "Hello Ann," in email.body
    assert "Tuesday, March 10" in email.body
    assert "- Call the bank & insurer (overdue, due Mar 7, medium priority)" in email.body
    assert "- Pay rent (due today, high priority)" in email.body
    assert email.body.index("Call the bank") < email.body.index("Pay rent")  # oldest first
    for hidden in ("Tomorrow", "Already done", "Archived", "No due date", "&amp;"):
        assert hidden not in email.body
    assert ReminderLog.objects.get().local_date == TODAY


def test_reminders_go_at_each_users_local_hour_on_their_local_date():
    paris = reminded(email="paris@example.com")
    tokyo = reminded(email="tokyo@example.com", timezone_name="Asia/Tokyo")
    # In Auckland it is 08:00 on 11 March at 19:00 UTC on 10 March.
    auckland = reminded(email="auckland@example.com", timezone_name="Pacific/Auckland")
    for user in (paris, tokyo):
        due(user, 0)
    due(auckland, 1, "Due on the 11th")
    assert run_reminders() == 1
    assert recipients() == ["paris@example.com"]
    assert run_reminders(NOW.replace(hour=23)) == 1  # 08:00 in Tokyo, on the 11th
    assert run_reminders(NOW.replace(hour=19)) == 1
    assert recipients() == ["auckland@example.com", "paris@example.com", "tokyo@example.com"]
    assert "Due on the 11th (due today" in mail.outbox[-1].body
    assert ReminderLog.objects.get(user=auckland).local_date == TODAY + timedelta(days=1)


def test_the_reminder_hour_is_a_setting(settings):
    settings.REMINDER_HOUR = 9
    due(reminded(), 0)
    assert run_reminders() == 0
    assert run_reminders(NOW + timedelta(hours=1)) == 1


@pytest.mark.parametrize(
    "fields",
    [
        {"daily_reminder": False},
        {"is_active": False},
        {"email_verified_at": None},  # nobody can opt an address they do not own in
    ],
    ids=["opted-out", "inactive", "unverified"],
)
def test_reminders_skip_users_who_should_not_get_one(fields):
    due(reminded(**fields), -1)
    assert run_reminders() == 0
    assert mail.outbox == []


def test_reminders_skip_users_with_nothing_due_or_overdue():
    ann = reminded()
    due(ann, 1)
    due(ann, -2, status=Task.Status.DONE, completed_at=NOW)
    due(ann, -60, archived_at=NOW)
    TaskFactory(owner=ann)
    assert run_reminders() == 0
    assert mail.outbox == []
    assert not ReminderLog.objects.exists()


def test_a_reminder_goes_once_a_day_and_again_the_next_day():
    ann = reminded()
    due(ann, -1)
    assert run_reminders() == 1
    assert run_reminders() == 0  # the job ran twice
    assert run_reminders(NOW + timedelta(minutes=30)) == 0
    assert len(mail.outbox) == 1
    assert run_reminders(NOW + timedelta(days=1)) == 1
    assert len(mail.outbox) == 2
    assert "overdue, due Mar 9" in mail.outbox[1].body


def test_a_long_list_is_cut_short():
    ann = reminded()
    for day in range(60):
        due(ann, -day)
    run_reminders()
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "60 tasks due today or overdue"
    assert body.count("\n- ") == task_jobs.REMINDER_TASKS_SHOWN
    assert "…and 10 more." in body


def test_old_reminder_records_are_pruned():
    ann = reminded()
    ReminderLog.objects.create(user=ann, local_date=TODAY - timedelta(days=8))
    ReminderLog.objects.create(user=ann, local_date=TODAY - timedelta(days=2))
    run_reminders()
    assert list(ReminderLog.objects.values_list("local_date", flat=True)) == [
        TODAY - timedelta(days=2)
    ]


# --- nightly cleanup --------------------------------------------------------------------


def test_cleanup_deletes_exactly_what_has_expired(user, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    past, future = now - timedelta(minutes=1), now + timedelta(days=1)

    def token(jti, expires_at, *, blacklisted=False):
        outstanding = OutstandingToken.objects.create(
            user=user, jti=jti, token=f"token-{jti}", expires_at=expires_at
        )
        if blacklisted:
            BlacklistedToken.objects.create(token=outstanding)

    token("old", past)
    token("old-blacklisted", past, blacklisted=True)
    token("live", future)
    token("live-blacklisted", future, blacklisted=True)
    SpentRefreshToken.objects.create(jti="spent-old", user=user, expires_at=past)
    SpentRefreshToken.objects.create(jti="spent-live", user=user, expires_at=future)
    Session.objects.create(session_key="expired", session_data="", expire_date=past)
    Session.objects.create(session_key="live", session_data="", expire_date=future)
    for key in ("expired", "live", "gone"):
        UserSession.objects.create(user=user, session_key=key)
    old_event = AuditEvent.objects.create(user=user, event=AuditEvent.Event.LOGOUT)
    AuditEvent.objects.filter(pk=old_event.pk).update(created_at=now - timedelta(days=31))
    recent = AuditEvent.objects.create(user=user, event=AuditEvent.Event.LOGOUT)
    AuditEvent.objects.filter(pk=recent.pk).update(created_at=now - timedelta(days=29))

    deleted = account_jobs.cleanup.delay().get()

    assert deleted == {
        "token_blacklist.OutstandingToken": 2,
        "token_blacklist.BlacklistedToken": 1,
        "accounts.SpentRefreshToken": 1,
        "accounts.UserSession": 2,
        "accounts.AuditEvent": 1,
    }
    assert set(OutstandingToken.objects.values_list("jti", flat=True)) == {
        "live",
        "live-blacklisted",
    }
    assert BlacklistedToken.objects.get().token.jti == "live-blacklisted"
    assert list(SpentRefreshToken.objects.values_list("jti", flat=True)) == ["spent-live"]
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert list(UserSession.objects.values_list("session_key", flat=True)) == ["live"]
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    assert account_jobs.cleanup.delay().get() == {}  # run twice: nothing more to delete


# --- the schedule -------------------------------------------------------------------------


def test_the_beat_schedule_names_registered_jobs():
    app.loader.import_default_modules()
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)
    assert schedule["daily-reminders"]["schedule"] == crontab(minute=0)
    assert schedule["cleanup"]["schedule"] == crontab(hour=3, minute=15)
    assert schedule["archive-done-tasks"]["schedule"] == crontab(hour=3, minute=30)
    assert app.conf.timezone == "UTC"
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
