import pytest
from django.conf import settings
from django.core.cache import caches
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from core import ratelimit
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.e2e import AXE_CORE, CHROMIUM

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
ON_REDIS = settings.CACHES["default"]["BACKEND"] == "django_redis.cache.RedisCache"


def pytest_collection_modifyitems(config, items):
    """Tests of PostgreSQL or Redis behaviour run only where that server is configured, and
    browser tests only where Chromium is installed (tests/e2e/__init__.py finds it), and
    the accessibility checks where axe-core is too (.ci/run installs it from npm). The
    live-server tests (tests/live) run only when selected with `-m live` (.ci/run).

    They are deselected, not skipped: the CI run that has the server runs them all.
    """
    missing = {
        "postgres": not ON_POSTGRES,
        "redis": not ON_REDIS,
        "e2e": not CHROMIUM,
        "axe": not AXE_CORE,
        "live": "live" not in (config.option.markexpr or ""),  # only when asked: -m live
    }
    selected, deselected = [], []
    for item in items:
        needs = [
            name for name, absent in missing.items() if absent and item.get_closest_marker(name)
        ]
        (deselected if needs else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True)
def _clear_cache():
    """Every test starts with an empty cache and fresh rate-limit counters."""
    for alias in ("default", settings.RATELIMIT_USE_CACHE):
        caches[alias].clear()
    yield
    for alias in ("default", settings.RATELIMIT_USE_CACHE):
        caches[alias].clear()


@pytest.fixture(autouse=True)
def rate_limit_clock(monkeypatch):
    """The rate limits' clock, held at the second the test began.

    Windows are fixed, so a test's attempts counted across a window's end would split
    between two counters and a limit could pass unseen. Tests of a window ending move it.
    """
    clock = SteadyClock(ratelimit.now())
    monkeypatch.setattr(ratelimit, "now", clock)
    return clock


class SteadyClock:
    def __init__(self, second: int):
        self.second = second

    def __call__(self) -> int:
        return self.second

    def advance(self, seconds: int) -> None:
        self.second += seconds


@pytest.fixture
def password():
    return DEFAULT_PASSWORD


@pytest.fixture
def user(db):
    return UserFactory(email="ann@example.com", full_name="Ann Example")


@pytest.fixture
def other_user(db):
    return UserFactory(email="bob@example.com", full_name="Bob Other")


@pytest.fixture
def staff_user(db):
    return UserFactory(
        email="root@example.com", full_name="Staff Member", is_staff=True, is_superuser=True
    )


def sign_in_verified(client, user):
    """Sign `user` in with a confirmed device and a session verified by it (OTPAdminSite)."""
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def staff_client(client, staff_user):
    """Staff signed in with a verified second factor, as OTPAdminSite requires."""
    return sign_in_verified(client, staff_user)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def token_pair(user):
    return services.token_pair_issue(user=user)


@pytest.fixture
def jwt_client(token_pair):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair['access']}")
    return client
