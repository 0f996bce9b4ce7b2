"""JSON logs with a request id on every line, and Sentry only when a DSN is set."""

import io
import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sentry_sdk
from django.db import OperationalError, connection
from django.urls import reverse

from core.observability import sentry

ROOT = Path(__file__).resolve().parent.parent
HEALTH = reverse("health")


@pytest.fixture
def log_lines():
    """What the configured console handler (settings.LOGGING) writes, one parsed dict a line."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        handler.setStream(previous)


def test_a_request_logs_exactly_one_json_line(client, log_lines):
    response = client.get(HEALTH)
    [line] = log_lines()
    assert line["request_id"] == response["X-Request-ID"]
    assert len(line["request_id"]) == 32
    assert line["level"] == "INFO"
    assert line["logger"] == "taskflow.request"
    assert line["message"] == "GET /health/ 200"
    assert line["route"] == "/health/"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["user_id"] is None
    assert line["db_queries"] == 0
    assert 0 < line["duration_ms"] < 10_000
    assert line["timestamp"].endswith("+00:00")
    assert isinstance(line["pid"], int)


@pytest.mark.django_db
def test_the_line_names_the_signed_in_user(client, user, log_lines):
    client.force_login(user)
    client.get(reverse("tasks:list"))
    [line] = log_lines()
    assert line["user_id"] == user.pk
    assert line["route"] == "/tasks/"


@pytest.mark.django_db
def test_a_signed_in_browser_is_named_even_where_the_page_shows_no_user(client, user, log_lines):
    client.force_login(user)
    client.get(HEALTH)  # its session was read anyway, to activate the user's time zone
    [line] = log_lines()
    assert line["user_id"] == user.pk


@pytest.mark.django_db
def test_the_line_holds_the_route_template_not_the_path(client, log_lines):
    """A raw path can hold a secret (reset and verification tokens)."""
    client.get(reverse("accounts:verify-email", args=["secret-token-abc"]))
    [line] = log_lines()
    assert line["route"] == "/accounts/verify-email/<str:token>/"
    assert "secret-token-abc" not in json.dumps(line)


def test_a_missing_page_is_one_line_too(client, log_lines):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    [line] = log_lines()  # Django's own "Not Found" warning would repeat it
    assert line["status"] == 404
    assert line["route"] == "unmatched"


@pytest.mark.parametrize(
    "incoming", ["abc", "req-42.retry_1", "A" * 200, "0f8c2a9e-5b1d-4c6e-9d7f-1a2b3c4d5e6f"]
)
def test_a_sane_incoming_request_id_is_kept(client, log_lines, incoming):
    response = client.get(HEALTH, headers={"X-Request-ID": incoming})
    assert response["X-Request-ID"] == incoming
    assert log_lines()[0]["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming", ["", "has space", "new\nline", 'quote"d', "A" * 201, "é", "a/b", "<script>"]
)
def test_an_insane_incoming_request_id_is_replaced(client, log_lines, incoming):
    response = client.get(HEALTH, headers={"X-Request-ID": incoming})
    replaced = response["X-Request-ID"]
    assert replaced != incoming
    assert len(replaced) == 32
    assert int(replaced, 16) >= 0
    assert log_lines()[0]["request_id"] == replaced


@pytest.mark.django_db
def test_every_line_written_during_a_request_carries_its_id(client, monkeypatch, log_lines):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("ready"), headers={"X-Request-ID": "trace-7"})
    assert response.status_code == 503
    check, request, django_error = log_lines()
    assert check["message"] == "Readiness: database check failed"
    assert "OperationalError" in check["exc_info"]
    assert request["status"] == 503
    # Django logs a returned 5xx after every middleware has finished: the id still holds.
    assert django_error["logger"] == "django.request"
    assert {line["request_id"] for line in (check, request, django_error)} == {"trace-7"}


def test_lines_outside_a_request_have_no_id(log_lines):
    logging.getLogger("taskflow.test").warning("between requests")
    [line] = log_lines()
    assert line["message"] == "between requests"
    assert line["request_id"] is None


# --- Sentry -----------------------------------------------------------------------------


def test_sentry_stays_off_without_a_dsn():
    assert sentry.sentry_init(dsn="") is False
    assert not sentry_sdk.is_initialized()


def test_sentry_reports_through_the_transport_given_when_a_dsn_is_set():
    """In a child process: Sentry's integrations patch Django for good once initialised."""
    script = textwrap.dedent(
        """
        import json
        import django
        import sentry_sdk
        from sentry_sdk.transport import Transport

        from core.observability import sentry

        django.setup()

        class Recorder(Transport):
            envelopes = []

            def capture_envelope(self, envelope):
                self.envelopes.append(envelope)

        enabled = sentry.sentry_init(
            dsn="https://public@sentry.example.invalid/1",
            environment="staging",
            transport=Recorder,
        )
        sentry_sdk.capture_message("hello")
        sentry_sdk.flush()
        client = sentry_sdk.get_client()
        [envelope] = Recorder.envelopes
        event = envelope.get_event()
        print(json.dumps({
            "enabled": enabled,
            "pii": client.options["send_default_pii"],
            "traces": client.options["traces_sample_rate"],
            "integrations": sorted(client.integrations),
            "environment": event["environment"],
            "message": event["message"],
        }))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["enabled"] is True
    assert report["pii"] is False
    assert report["traces"] is None
    assert {"django", "celery"} <= set(report["integrations"])
    assert report["environment"] == "staging"
    assert report["message"] == "hello"
