"""A bearer GET reads its user, throttle count and cached answer in one Redis round trip
(accounts.api.bearer), and answers exactly as DRF's usual path would."""

import pytest
import redis.connection
from django.core.cache import caches
from django.urls import reverse
from rest_framework.test import APIClient

from core.api.throttles import UserRateThrottle
from tests.tasks.factories import TaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.redis]

TASKS = reverse("tasks-api:task-list")
ME = reverse("auth-api:me")


@pytest.fixture
def round_trips(monkeypatch):
    """How many times redis-py sends to a server (a pipeline sends once)."""
    sent = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(connection, command, *args, **kwargs):
        sent.append(command)
        return send(connection, command, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def test_a_cached_list_answer_costs_one_round_trip_and_no_query(
    jwt_client, user, round_trips, django_assert_num_queries
):
    TaskFactory.create_batch(3, owner=user)
    first = jwt_client.get(TASKS)
    round_trips.clear()
    with django_assert_num_queries(0):
        again = jwt_client.get(TASKS)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["count"] == 3
    assert len(round_trips) == 1


def test_a_cached_detail_answer_and_the_me_answer_cost_one_round_trip(
    jwt_client, user, round_trips
):
    task = TaskFactory(owner=user)
    detail = reverse("tasks-api:task-detail", args=[task.pk])
    jwt_client.get(detail)
    jwt_client.get(ME)
    round_trips.clear()
    assert jwt_client.get(detail).json()["id"] == task.pk
    assert jwt_client.get(ME).json()["email"] == user.email
    assert len(round_trips) == 2


def test_an_answer_read_in_the_round_trip_is_retired_by_a_write(jwt_client, user):
    task = TaskFactory(owner=user, title="Before")
    assert jwt_client.get(TASKS).json()["results"][0]["title"] == "Before"
    assert jwt_client.patch(f"{TASKS}{task.pk}/", {"title": "After"}).status_code == 200
    assert jwt_client.get(TASKS).json()["results"][0]["title"] == "After"


def test_each_request_is_counted_once_and_the_throttle_refuses_past_the_rate(jwt_client, user):
    throttle = UserRateThrottle()
    for _ in range(throttle.num_requests):
        assert jwt_client.get(TASKS).status_code == 200
    refused = jwt_client.get(TASKS)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= throttle.duration


def test_with_counters_on_a_redis_of_their_own_the_throttle_still_counts(
    settings, jwt_client, user, round_trips
):
    # Another LOCATION is another server as far as the round trip knows: counted apart.
    settings.CACHES = {
        **settings.CACHES,
        "ratelimit": {**settings.CACHES["ratelimit"], "LOCATION": "redis://127.0.0.1:6379/14"},
    }
    caches["ratelimit"].clear()
    jwt_client.get(TASKS)
    round_trips.clear()
    throttle = UserRateThrottle()
    for _ in range(throttle.num_requests - 1):
        assert jwt_client.get(TASKS).status_code == 200
    assert len(round_trips) == 2 * (throttle.num_requests - 1)
    assert jwt_client.get(TASKS).status_code == 429
    caches["ratelimit"].clear()


def test_a_token_of_a_user_deactivated_since_is_refused_as_drf_refuses_it(jwt_client, user):
    assert jwt_client.get(TASKS).status_code == 200  # the user is now cached
    user.is_active = False
    user.save()
    refused = jwt_client.get(TASKS)
    assert refused.status_code == 401
    assert refused.json()["code"] == "user_inactive"


def test_a_token_issued_before_a_password_change_is_refused(jwt_client, user):
    assert jwt_client.get(ME).status_code == 200
    user.set_password("a-New-pw-42!x")
    user.save()
    refused = jwt_client.get(ME)
    assert refused.status_code == 401
    assert refused.json()["code"] == "password_changed"


def test_a_bad_token_gets_drfs_answer(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    refused = client.get(TASKS)
    assert refused.status_code == 401
    assert refused.json()["code"] == "token_not_valid"
