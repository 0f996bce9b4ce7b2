"""A flood of cached pages cannot reset a used-up rate limit (issue 13).

Redis applies maxmemory-policy per server. On one server with `volatile-lru`, cached pages
and the counters both have TTLs, so filling the cache evicts counters: another user's 500
page requests reset a used-up password-reset limit. With the counters on a server of their
own (`noeviction`, RATELIMIT_REDIS_URL) the same flood changes nothing. Both servers are
private to each test (a temporary directory, spare ports, 2 MB) and stopped by it.
"""

import contextlib
import shutil
import subprocess

import pytest
import redis
from django.core import mail
from django.core.cache import caches
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.live.harness import free_port, wait_for
from tests.test_ratelimits_api import HOUR, RESET, assert_throttled

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

FLOOD_PAGES = 500


@contextlib.contextmanager
def private_redis(directory, policy: str):
    """A redis-server of its own: 2 MB, `policy`, nothing saved; yields its URL."""
    directory.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(directory), "--save", "", "--appendonly", "no",
         "--maxmemory", "2mb", "--maxmemory-policy", policy],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(redis.Redis.from_url(url).ping, seconds=10, what="private Redis")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def alias(url: str, **options) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1, **options},
    }


def flood(cache_url: str, browser: Client) -> int:
    """FLOOD_PAGES distinct task-list pages, then cached entries until the server has
    evicted twice what it holds; returns how many keys it evicted.

    The top-up keeps the flood a flood however the page cache bounds what one user stores.
    """
    for n in range(FLOOD_PAGES):
        assert browser.get(reverse("tasks:list"), {"search": f"word{n}"}).status_code == 200
    server = redis.Redis.from_url(cache_url)
    for n in range(2000):
        if server.info("stats")["evicted_keys"] >= 2 * server.dbsize():
            break
        caches["default"].set(f"flood:{n}", "x" * 8192, 600)  # a page's worth, with a TTL
    return server.info("stats")["evicted_keys"]


@pytest.mark.parametrize(
    "counters_apart", [True, False], ids=["counters on their own Redis", "one Redis for both"]
)
def test_a_flood_of_cached_pages_cannot_reset_a_used_up_reset_limit(
    settings, tmp_path, user, other_user, counters_apart
):
    with (
        private_redis(tmp_path / "cache", "volatile-lru") as cache_url,
        private_redis(tmp_path / "counters", "noeviction") as counters_url,
    ):
        settings.CACHES = {
            **settings.CACHES,
            "default": alias(cache_url, IGNORE_EXCEPTIONS=True),
            "ratelimit": alias(counters_url if counters_apart else cache_url),
        }
        attacker = APIClient()
        for n in range(5):  # from five addresses: only the per-address limit is used up
            response = attacker.post(RESET, {"email": user.email}, REMOTE_ADDR=f"198.51.100.{n}")
            assert response.status_code == 202
        refused = attacker.post(RESET, {"email": user.email}, REMOTE_ADDR="198.51.100.50")
        assert_throttled(refused, within=HOUR)

        browser = Client()
        browser.force_login(other_user)
        assert flood(cache_url, browser) > 0  # the cache's server was full and evicted

        after = attacker.post(RESET, {"email": user.email}, REMOTE_ADDR="198.51.100.51")
        if counters_apart:
            assert_throttled(after, within=HOUR)
            assert len(mail.outbox) == 5
        else:  # the repro: the counter was evicted with the pages, the limit reset
            assert after.status_code == 202
            assert len(mail.outbox) == 6
        for name in ("default", "ratelimit"):
            caches[name].close()
