"""Redis stopped and PostgreSQL restarted under a running app (issue 7.4).

Both servers are private to this module (a Redis and an initdb'd PostgreSQL on spare
ports), so the machine's shared servers are never touched. A bounded loop of signed-in page
and API requests runs before, during and after each outage.
"""

import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
import redis as redis_client
import requests

from tests.live.harness import (
    Gunicorn,
    PrivatePostgres,
    PrivateRedis,
    api_login,
    create_user,
    page_login,
    prepare,
    production_env,
    wait_for,
)

EMAIL = "faults@example.com"
REQUEST_TIMEOUT = 10  # seconds; a request taking longer counts as a hang
HANG_BOUND = 6.0  # no answer may take longer than this, outage or not (connect_timeout is 5)
RECOVERY_BOUND = 15.0  # seconds from the server's return to every request succeeding


@dataclass
class Tally:
    """What a phase of the loop saw: statuses per request kind, the slowest answer."""

    statuses: Counter = field(default_factory=Counter)
    slowest: float = 0.0
    bad: list = field(default_factory=list)

    def __str__(self) -> str:
        counts = ", ".join(
            f"{kind} {status}: {n}" for (kind, status), n in sorted(self.statuses.items())
        )
        return f"{sum(self.statuses.values())} requests ({counts}), slowest {self.slowest:.2f} s"


@pytest.fixture(scope="module")
def app():
    with PrivatePostgres() as postgres, PrivateRedis() as redis:
        env = production_env(
            database_url=postgres.url,
            redis_url=redis.url,
            # One user loops requests for minutes, faster the faster the machine: the
            # per-user limit (600/min) is not what these tests are about.
            RATE_API_USER="100000/min",
        )
        prepare(env)
        create_user(env, EMAIL)
        with Gunicorn(env, name="faults") as server:
            print(
                f"\nfaults: app {server.url}, private PostgreSQL :{postgres.port}, "
                f"private Redis :{redis.port}"
            )
            yield server, postgres, redis


class Visitor:
    """A signed-in user of both front doors: a page session and a bearer token."""

    def __init__(self, base: str):
        self.base = base
        self.session = page_login(base, EMAIL)
        self.bearer = {"Authorization": f"Bearer {api_login(base, EMAIL)['access']}"}
        self.created = 0

    def requests(self):
        """(kind, callable) for one round of the mix: page reads, API reads and a write."""
        self.created += 1
        return [
            (
                "page",
                lambda: self.session.get(
                    f"{self.base}/tasks/", allow_redirects=False, timeout=REQUEST_TIMEOUT
                ),
            ),
            (
                "page",
                lambda: self.session.get(
                    f"{self.base}/", allow_redirects=False, timeout=REQUEST_TIMEOUT
                ),
            ),
            (
                "api",
                lambda: requests.get(
                    f"{self.base}/api/v1/tasks/", headers=self.bearer, timeout=REQUEST_TIMEOUT
                ),
            ),
            (
                "api",
                lambda: requests.get(
                    f"{self.base}/api/v1/auth/me/", headers=self.bearer, timeout=REQUEST_TIMEOUT
                ),
            ),
            (
                "api",
                lambda: requests.post(
                    f"{self.base}/api/v1/tasks/",
                    headers=self.bearer,
                    json={"title": f"fault run {self.created}"},
                    timeout=REQUEST_TIMEOUT,
                ),
            ),
        ]

    def run(self, seconds: float, tally: Tally, *, allowed=(200, 201)) -> Tally:
        """Loop the mix for `seconds`, recording every answer; `allowed` statuses pass."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for kind, call in self.requests():
                started = time.monotonic()
                response = call()
                elapsed = time.monotonic() - started
                tally.slowest = max(tally.slowest, elapsed)
                tally.statuses[(kind, response.status_code)] += 1
                clean = "Traceback" not in response.text and 'File "' not in response.text
                if response.status_code not in allowed or not clean or elapsed > HANG_BOUND:
                    tally.bad.append(
                        (
                            kind,
                            response.request.method,
                            response.url,
                            response.status_code,
                            round(elapsed, 2),
                            response.text[:200],
                        )
                    )
        return tally

    def all_succeed(self) -> bool:
        return all(call().status_code in (200, 201) for _, call in self.requests())


def ready(base: str) -> int:
    return requests.get(f"{base}/ready/", timeout=REQUEST_TIMEOUT).status_code


def test_redis_stopped_mid_run(app):
    server, _, redis = app
    visitor = Visitor(server.url)
    before = visitor.run(2, Tally())
    redis.stop()
    during = visitor.run(4, Tally())  # still signed in: sessions in PostgreSQL, users re-read
    ready_during = ready(server.url)
    redis.start()  # an empty Redis, as after a real restart
    returned = time.monotonic()
    wait_for(lambda: ready(server.url) == 200, seconds=RECOVERY_BOUND, what="/ready/ after Redis")
    recovered = time.monotonic() - returned
    after = visitor.run(2, Tally())
    cached_again = redis_client.Redis.from_url(redis.url).dbsize()  # users, answers, counters
    print(
        f"Redis before: {before}\nRedis down: {during}; /ready/ {ready_during}\n"
        f"Redis back: /ready/ 200 after {recovered:.1f} s; {after}; "
        f"{cached_again} keys cached again"
    )
    for tally in (before, during, after):
        assert not tally.bad, tally.bad[:5]
    assert ready_during == 503
    assert cached_again > 0


def test_postgres_restarted_mid_run(app):
    server, postgres, _ = app
    visitor = Visitor(server.url)
    before = visitor.run(2, Tally())
    postgres.stop()
    # Down: every answer is quick and clean, a success (from caches) or a 503.
    during = visitor.run(3, Tally(), allowed=(200, 201, 503))
    ready_during = ready(server.url)
    postgres.start()
    returned = time.monotonic()
    wait_for(visitor.all_succeed, seconds=RECOVERY_BOUND, what="every request after PostgreSQL")
    recovered = time.monotonic() - returned
    after = visitor.run(2, Tally())
    print(
        f"PostgreSQL before: {before}\nPostgreSQL down: {during}; /ready/ {ready_during}\n"
        f"PostgreSQL back: all requests succeed after {recovered:.1f} s; {after}"
    )
    for tally in (before, during, after):
        assert not tally.bad, tally.bad[:5]
    assert ready_during == 503
    assert sum(n for (_, status), n in during.statuses.items() if status == 503) > 0
    assert recovered < RECOVERY_BOUND
