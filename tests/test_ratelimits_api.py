"""Rate limits as API clients meet them: 429 with Retry-After, at the configured rates.

Sign-in, sign-up, password reset and code checks (core.ratelimit), the DRF throttles,
clients behind proxies, two clients sharing Redis, and either Redis being down.
"""

import time

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts.models import User
from core import ratelimit
from core.api.throttles import AnonRateThrottle, UserRateThrottle
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.otp import enable_two_factor, totp_code

pytestmark = pytest.mark.django_db

TOKEN = reverse("auth-api:token")
REFRESH = reverse("auth-api:token-refresh")
ME = reverse("auth-api:me")
REGISTER = reverse("auth-api:register")
RESET = reverse("auth-api:password-reset")
SETUP_2FA = reverse("auth-api:2fa-setup")
CONFIRM_2FA = reverse("auth-api:2fa-confirm")
RESEND = reverse("auth-api:email-verify-resend")
MINUTE, HOUR = 60, 3600


def login(client, email: str, password: str, **extra):
    return client.post(TOKEN, {"email": email, "password": password}, **extra)


def assert_throttled(response, *, within: int) -> None:
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= within


# --- sign-in ---------------------------------------------------------------------------


def test_five_failed_logins_lock_the_account_from_that_network_even_for_the_right_password(
    api_client, user, other_user
):
    for _ in range(5):
        assert login(api_client, user.email, "wrong-password").status_code == 401
    assert_throttled(login(api_client, "ANN@example.com", DEFAULT_PASSWORD), within=MINUTE)
    assert login(api_client, other_user.email, DEFAULT_PASSWORD).status_code == 200


def test_a_strangers_failures_never_lock_the_owner_out_of_their_own_network(api_client, user):
    stranger = {"REMOTE_ADDR": "203.0.113.66"}
    for _ in range(5):
        assert login(api_client, user.email, "guess", **stranger).status_code == 401
    assert_throttled(login(api_client, user.email, DEFAULT_PASSWORD, **stranger), within=MINUTE)
    owner = login(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert owner.status_code == 200


def test_guessing_from_many_networks_meets_the_accounts_looser_cap(settings, api_client, user):
    settings.RATE_LOGIN_FAILURES_PER_ACCOUNT = "12/h"
    for n in range(12):  # three networks, four guesses each: none reaches its own five
        address = f"203.0.113.{n % 3 + 1}"
        assert login(api_client, user.email, "guess", REMOTE_ADDR=address).status_code == 401
    elsewhere = login(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert_throttled(elsewhere, within=HOUR)


def test_twenty_failures_from_one_address_block_it_for_every_account(api_client, user):
    for n in range(20):
        assert login(api_client, f"guess{n}@example.com", "wrong").status_code == 401
    assert_throttled(login(api_client, user.email, DEFAULT_PASSWORD), within=MINUTE)
    elsewhere = login(api_client, user.email, DEFAULT_PASSWORD, REMOTE_ADDR="198.51.100.1")
    assert elsewhere.status_code == 200


def test_when_its_window_ends_a_locked_account_can_sign_in_again(
    api_client, user, rate_limit_clock
):
    for _ in range(5):
        login(api_client, user.email, "wrong-password")
    refused = login(api_client, user.email, DEFAULT_PASSWORD)
    assert_throttled(refused, within=MINUTE)
    rate_limit_clock.advance(int(refused["Retry-After"]) - 1)
    assert_throttled(login(api_client, user.email, DEFAULT_PASSWORD), within=1)
    rate_limit_clock.advance(1)
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(api_client, user):
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default: no proxy is believed
    for n in range(20):
        forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}
        assert login(api_client, f"guess{n}@example.com", "wrong", **forged).status_code == 401
    response = login(api_client, user.email, DEFAULT_PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert_throttled(response, within=MINUTE)


def test_behind_a_trusted_proxy_each_client_address_has_its_own_bucket(settings, api_client, user):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}

    def via_proxy(email, password, forwarded):
        return login(
            api_client, email, password, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded
        )

    for n in range(20):
        # The client writes whatever it likes first; the proxy appends the address it saw.
        response = via_proxy(f"guess{n}@example.com", "wrong", f"198.18.0.{n}, 203.0.113.1")
        assert response.status_code == 401
    for forwarded in ("198.18.9.9, 203.0.113.1", "203.0.113.1", "a, b, c, 203.0.113.1"):
        assert_throttled(via_proxy(user.email, DEFAULT_PASSWORD, forwarded), within=MINUTE)
    assert via_proxy(user.email, DEFAULT_PASSWORD, "203.0.113.2").status_code == 200
    assert via_proxy(user.email, DEFAULT_PASSWORD, "203.0.113.1, 203.0.113.2").status_code == 200


# --- sign-up, password reset, verification emails, code checks ------------------------


def test_the_eleventh_registration_from_one_address_within_an_hour_is_refused(api_client):
    def register(n, **extra):
        body = {"email": f"new{n}@example.com", "full_name": "New", "password": "plum-47-violet"}
        return api_client.post(REGISTER, body, **extra)

    for n in range(10):
        assert register(n).status_code == 201
    assert_throttled(register(10), within=HOUR)
    assert User.objects.count() == 10
    assert register(11, REMOTE_ADDR="198.51.100.4").status_code == 201


def test_ipv6_clients_are_counted_by_their_64_not_each_address(api_client):
    def register(n, address):
        body = {"email": f"v6-{n}@example.com", "full_name": "New", "password": "plum-47-violet"}
        return api_client.post(REGISTER, body, REMOTE_ADDR=address)

    for n in range(10):  # ten addresses of one /64: one client stepping through its block
        assert register(n, f"2001:db8:1:2::{n + 1:x}").status_code == 201
    assert_throttled(register(10, "2001:db8:1:2:ffff:ffff:ffff:fffe"), within=HOUR)
    assert register(11, "2001:db8:1:3::1").status_code == 201  # the next /64 is someone else
    assert register(12, "::ffff:198.51.100.77").status_code == 201  # IPv4-mapped: an IPv4


def test_the_anonymous_api_throttle_counts_an_ipv6_64_as_one_client():
    throttle = AnonRateThrottle()
    for n in range(throttle.num_requests):
        client = APIClient(REMOTE_ADDR=f"2001:db8:5:6::{n + 1:x}")
        assert client.post(REFRESH, {}).status_code == 400
    last = APIClient(REMOTE_ADDR="2001:db8:5:6:abcd::1")
    assert_throttled(last.post(REFRESH, {}), within=throttle.duration)


def test_the_sixth_reset_request_from_one_address_is_refused(api_client, user):
    for n in range(5):
        assert api_client.post(RESET, {"email": f"someone{n}@example.com"}).status_code == 202
    assert_throttled(api_client.post(RESET, {"email": user.email}), within=HOUR)
    assert not mail.outbox


def test_the_sixth_reset_request_for_one_account_is_refused_from_anywhere(api_client, user):
    for n in range(5):
        response = api_client.post(RESET, {"email": user.email}, REMOTE_ADDR=f"198.51.100.{n}")
        assert response.status_code == 202
    response = api_client.post(RESET, {"email": "ANN@example.com"}, REMOTE_ADDR="198.51.100.99")
    assert_throttled(response, within=HOUR)
    assert len(mail.outbox) == 5


def test_the_fourth_verification_email_within_an_hour_is_refused(jwt_client):
    for _ in range(3):
        assert jwt_client.post(RESEND).status_code == 202
    assert_throttled(jwt_client.post(RESEND), within=HOUR)
    assert len(mail.outbox) == 3


def test_the_sixth_code_check_within_a_minute_is_refused_at_enrolment(jwt_client, user):
    jwt_client.post(SETUP_2FA)
    device = TOTPDevice.objects.get(user=user)
    for _ in range(5):
        assert jwt_client.post(CONFIRM_2FA, {"otp": "000000"}).status_code == 400
    assert_throttled(jwt_client.post(CONFIRM_2FA, {"otp": totp_code(device)}), within=MINUTE)
    assert not user.two_factor_enabled


def test_the_sixth_code_check_within_a_minute_is_refused_at_login(api_client, user):
    device, _ = enable_two_factor(user)  # its confirmation is the first check
    for _ in range(4):
        response = api_client.post(
            TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD, "otp": "000000"}
        )
        assert response.json()["code"] == "otp_invalid"
    right = {
        "email": user.email,
        "password": DEFAULT_PASSWORD,
        "otp": totp_code(device, steps_ahead=1),
    }
    assert_throttled(api_client.post(TOKEN, right), within=MINUTE)


# --- DRF throttles ---------------------------------------------------------------------


def test_anonymous_clients_are_throttled_at_the_configured_rate(api_client):
    throttle = AnonRateThrottle()
    assert (throttle.num_requests, throttle.duration) == throttle.parse_rate(settings.RATE_API_ANON)
    for _ in range(throttle.num_requests):
        assert api_client.post(REFRESH, {}).status_code == 400
    assert_throttled(api_client.post(REFRESH, {}), within=throttle.duration)
    assert api_client.post(REFRESH, {}, REMOTE_ADDR="198.51.100.7").status_code == 400


def test_signed_in_clients_are_throttled_at_the_configured_rate(jwt_client, user, other_user):
    throttle = UserRateThrottle()
    assert (throttle.num_requests, throttle.duration) == throttle.parse_rate(settings.RATE_API_USER)
    # Each request is counted once: counted twice, the loop would be refused halfway.
    for _ in range(throttle.num_requests):
        assert jwt_client.get(ME).status_code == 200
    assert_throttled(jwt_client.get(ME), within=throttle.duration)
    other = APIClient()
    other.force_authenticate(other_user)
    assert other.get(ME).status_code == 200  # someone else's count


# --- Redis ------------------------------------------------------------------------------


@pytest.mark.redis
def test_two_clients_share_one_accounts_failure_count_in_redis(user):
    # Two browsers on one network (so one account-and-network counter), no shared cookie.
    first = APIClient(REMOTE_ADDR="198.51.100.1")
    second = APIClient(REMOTE_ADDR="198.51.100.1")
    for client in (first, second, first, second, first):
        assert login(client, user.email, "wrong-password").status_code == 401
    assert_throttled(login(second, user.email, DEFAULT_PASSWORD), within=MINUTE)
    assert_throttled(login(first, user.email, DEFAULT_PASSWORD), within=MINUTE)


@pytest.mark.redis
def test_two_clients_share_the_api_throttle_in_redis(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    throttle = AnonRateThrottle()
    # Two load-balanced connections of one client, through different proxies.
    clients = [
        APIClient(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR="203.0.113.5")
        for proxy in ("10.0.0.1", "10.0.0.2")
    ]
    for n in range(throttle.num_requests):
        assert clients[n % 2].post(REFRESH, {}).status_code == 400
    assert_throttled(clients[0].post(REFRESH, {}), within=throttle.duration)
    assert_throttled(clients[1].post(REFRESH, {}), within=throttle.duration)


@pytest.mark.redis
def test_a_counter_in_redis_counts_and_expires_with_its_window():
    from django_redis import get_redis_connection

    client_key = f"ttl-check-{time.time_ns()}"
    counted = [ratelimit.count("api-test", client_key, 3, 60) for _ in range(4)]
    assert [c.over for c in counted] == [False, False, False, True]
    assert [c.count for c in counted] == [1, 2, 3, 4]
    counters = get_redis_connection(settings.RATELIMIT_USE_CACHE)
    stored_as = caches[settings.RATELIMIT_USE_CACHE].make_key(counted[-1].key)
    assert 0 < counters.ttl(stored_as) <= 60 + ratelimit.EXPIRY_MARGIN
    assert 0 < counted[-1].seconds_left <= 60


NOBODY_LISTENS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: connections are refused
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
}
PAGE_CACHE_DOWN = {
    "default": {
        **NOBODY_LISTENS,
        "OPTIONS": {**NOBODY_LISTENS["OPTIONS"], "IGNORE_EXCEPTIONS": True},
    }
}
COUNTERS_DOWN = {"ratelimit": NOBODY_LISTENS}


@pytest.fixture
def unreachable(settings):
    """unreachable(PAGE_CACHE_DOWN, ...): those cache aliases become a Redis nobody runs."""

    def make(*aliases: dict) -> None:
        settings.CACHES = {**settings.CACHES, **{k: v for a in aliases for k, v in a.items()}}

    yield make
    for alias in settings.CACHES:
        caches[alias].close()


def test_login_works_while_redis_is_unreachable_and_limits_fail_open(api_client, user, unreachable):
    unreachable(PAGE_CACHE_DOWN, COUNTERS_DOWN)  # one Redis for both, and it is down
    assert settings.RATELIMIT_FAIL_OPEN
    for _ in range(6):  # one more than the account allows: nothing is counted
        assert login(api_client, user.email, "wrong-password").status_code == 401
    started = time.monotonic()
    response = login(api_client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert time.monotonic() - started < 2
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.get(ME).status_code == 200


def test_with_the_page_cache_down_pages_come_from_the_database_and_limits_still_count(
    api_client, client, user, unreachable
):
    unreachable(PAGE_CACHE_DOWN)
    response = login(api_client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == 200
    me = APIClient(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert me.get(ME).json()["email"] == user.email
    assert me.get(reverse("tasks-api:task-list")).status_code == 200
    client.force_login(user)
    assert client.get(reverse("tasks:list")).status_code == 200
    for _ in range(5):
        assert login(api_client, user.email, "wrong-password").status_code == 401
    assert_throttled(login(api_client, user.email, DEFAULT_PASSWORD), within=MINUTE)


def test_with_the_counters_down_the_api_still_answers_and_limits_let_attempts_by(
    api_client, jwt_client, user, unreachable
):
    unreachable(COUNTERS_DOWN)
    for _ in range(6):
        assert login(api_client, user.email, "wrong-password").status_code == 401
    assert login(api_client, user.email, DEFAULT_PASSWORD).status_code == 200
    assert jwt_client.get(ME).status_code == 200  # the throttle lets it by


def test_with_the_counters_down_and_fail_open_off_sign_ins_are_refused_not_the_api(
    settings, api_client, jwt_client, user, unreachable
):
    unreachable(COUNTERS_DOWN)
    settings.RATELIMIT_FAIL_OPEN = False
    assert_throttled(login(api_client, user.email, DEFAULT_PASSWORD), within=MINUTE)
    assert_throttled(api_client.post(RESET, {"email": user.email}), within=MINUTE)
    assert not mail.outbox
    assert jwt_client.get(ME).status_code == 200  # throttles fail open whatever the setting
