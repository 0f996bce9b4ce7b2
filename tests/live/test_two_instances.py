"""Two gunicorn instances on one PostgreSQL and one Redis behave as one service (issue 7.3).

A page session made on one works on the other, a JWT from one works on the other, a write
on one is seen (not a stale cached copy) on the other, and the failed-login limit counts
attempts made on both.
"""

import pytest
import requests

from tests.live.harness import (
    PASSWORD,
    Gunicorn,
    api_login,
    create_user,
    csrf_token,
    fresh_shared_database,
    fresh_shared_redis,
    page_login,
    prepare,
    production_env,
)

EMAIL = "pair@example.com"
LIMITED = "limited@example.com"
FAILURES_ALLOWED = 5  # RATE_LOGIN_FAILURES_PER_ACCOUNT_NETWORK's default, 5/m


@pytest.fixture(scope="module")
def pair():
    env = production_env(
        database_url=fresh_shared_database("taskflow_live_pair"),
        redis_url=fresh_shared_redis(11),
    )
    prepare(env)
    create_user(env, EMAIL)
    create_user(env, LIMITED)
    with Gunicorn(env, name="first") as first, Gunicorn(env, name="second") as second:
        print(f"\ntwo instances: {first.url} and {second.url}, one database, one Redis")
        yield first, second


def test_a_page_session_made_on_one_instance_works_on_the_other(pair):
    first, second = pair
    session = page_login(first.url, EMAIL)
    page = session.get(f"{second.url}/tasks/", allow_redirects=False, timeout=10)
    assert page.status_code == 200
    assert EMAIL in page.text
    # A form posted to the second instance with the CSRF token the first one issued.
    token = csrf_token(session, first.url, "/tasks/")
    created = session.post(
        f"{second.url}/tasks/new/",
        data={"title": "Made across instances", "priority": "medium", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{second.url}/tasks/"},
        allow_redirects=False,
        timeout=10,
    )
    assert created.status_code in (302, 303), created.text[:300]
    assert "Made across instances" in session.get(f"{first.url}/tasks/", timeout=10).text
    print("page session: made on the first, used and written on the second")


def test_a_jwt_from_one_instance_works_on_the_other(pair):
    first, second = pair
    tokens = api_login(first.url, EMAIL)
    bearer = {"Authorization": f"Bearer {tokens['access']}"}
    me = requests.get(f"{second.url}/api/v1/auth/me/", headers=bearer, timeout=10)
    assert me.status_code == 200
    assert me.json()["email"] == EMAIL
    refreshed = requests.post(
        f"{second.url}/api/v1/auth/token/refresh/", json={"refresh": tokens["refresh"]}, timeout=10
    )
    assert refreshed.status_code == 200
    # The rotated-out refresh token is refused by the first instance too (shared blacklist).
    reused = requests.post(
        f"{first.url}/api/v1/auth/token/refresh/", json={"refresh": tokens["refresh"]}, timeout=10
    )
    assert reused.status_code == 401
    print("JWT: issued by the first, accepted and refreshed by the second, reuse refused")


def test_a_write_on_one_instance_is_read_on_the_other(pair):
    first, second = pair
    bearer = {"Authorization": f"Bearer {api_login(first.url, EMAIL)['access']}"}
    tasks = "/api/v1/tasks/?search=crossing"

    def titles(instance):
        answer = requests.get(f"{instance.url}{tasks}", headers=bearer, timeout=10).json()
        return [task["title"] for task in answer["results"]]

    assert titles(second) == []  # now cached on the second instance's side (Redis)
    created = requests.post(
        f"{first.url}/api/v1/tasks/", json={"title": "crossing over"}, headers=bearer, timeout=10
    )
    assert created.status_code == 201
    assert titles(second) == ["crossing over"]
    print("cache: a task written on the first is listed at once by the second")


def test_the_failed_login_limit_counts_attempts_on_both_instances(pair):
    first, second = pair
    wrong = {"email": LIMITED, "password": "not-the-password"}
    statuses = [
        requests.post(f"{instance.url}/api/v1/auth/token/", json=wrong, timeout=10).status_code
        for instance in [(first, second)[n % 2] for n in range(FAILURES_ALLOWED)]
    ]
    assert statuses == [401] * FAILURES_ALLOWED
    right = {"email": LIMITED, "password": PASSWORD}
    for instance in (first, second):
        response = requests.post(f"{instance.url}/api/v1/auth/token/", json=right, timeout=10)
        assert response.status_code == 429, (instance.name, response.status_code)
        assert int(response.headers["Retry-After"]) > 0
    print(
        f"failed logins: {FAILURES_ALLOWED} wrong passwords alternating between the instances,"
        " then the right one is refused (429) on both"
    )
