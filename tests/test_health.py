import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.urls import reverse

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        # Port 9 (discard) has no listener here: a real connection refusal.
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_health_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django raises if the view opens a connection.
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_ready_checks_database_and_cache(client):
    response = client.get(reverse("ready"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


@pytest.mark.django_db
@pytest.mark.parametrize("ignore_exceptions", [True, False])
def test_ready_is_503_when_the_cache_is_unreachable(client, settings, ignore_exceptions):
    UNREACHABLE_REDIS["default"]["OPTIONS"]["IGNORE_EXCEPTIONS"] = ignore_exceptions
    settings.CACHES = UNREACHABLE_REDIS
    try:
        response = client.get(reverse("ready"))
    finally:
        caches["default"].close()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "error"},
    }


@pytest.mark.django_db
def test_ready_is_503_when_the_database_refuses_queries(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("ready"))
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "error", "cache": "ok"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ready_is_503_when_postgres_is_unreachable(client, monkeypatch):
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "PORT", "9")
    try:
        response = client.get(reverse("ready"))
    finally:
        connection.close()
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "error"


@pytest.mark.django_db
def test_the_platforms_check_ignores_an_unreachable_cache(client, settings):
    settings.CACHES = UNREACHABLE_REDIS
    try:
        database_only = client.get(reverse("ready-database"))
        full = client.get(reverse("ready"))
    finally:
        caches["default"].close()
    assert (database_only.status_code, full.status_code) == (200, 503)
    assert database_only.json() == {"status": "ok", "checks": {"database": "ok"}}


@pytest.mark.django_db
def test_the_platforms_check_fails_with_the_database(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get(reverse("ready-database"))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "error"}}
