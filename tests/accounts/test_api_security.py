"""Security flows through /api/v1/auth/: 2FA at login and enrolment, refresh-token reuse,
password reset and email verification. The rate limits are in tests/test_ratelimits_api.py.
"""

import base64
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import jobs, services
from accounts.models import AuditEvent
from config.celery import app as celery_app
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.otp import enable_two_factor, totp_code

pytestmark = pytest.mark.django_db

TOKEN = reverse("auth-api:token")
REFRESH = reverse("auth-api:token-refresh")
LOGOUT = reverse("auth-api:logout")
ME = reverse("auth-api:me")
REGISTER = reverse("auth-api:register")
SETUP = reverse("auth-api:2fa-setup")
CONFIRM = reverse("auth-api:2fa-confirm")
DISABLE = reverse("auth-api:2fa-disable")
BACKUP_CODES = reverse("auth-api:2fa-backup-codes")
RESET = reverse("auth-api:password-reset")
RESET_CONFIRM = reverse("auth-api:password-reset-confirm")
VERIFY = reverse("auth-api:email-verify")
RESEND = reverse("auth-api:email-verify-resend")
STRONG = "plum-orchard-47-violet"
CHALLENGE = 'Bearer realm="api"'


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def login(client, user, password=DEFAULT_PASSWORD, **body):
    return client.post(TOKEN, {"email": user.email, "password": password, **body})


def refused(response, code: str) -> bool:
    return (
        response.status_code == 401
        and response.json()["code"] == code
        and response["WWW-Authenticate"] == CHALLENGE
    )


def wrong_code(device: TOTPDevice) -> str:
    """Six digits that no window the device accepts right now would show."""
    valid = {totp_code(device, steps_ahead=n) for n in (-1, 0, 1, 2)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def link_kwargs(message) -> dict:
    """The URL arguments of the link in an email (uidb64 and token, or token)."""
    url = re.search(r"https?://\S+", message.body).group()
    return resolve(urlsplit(url).path).kwargs


@pytest.fixture
def two_factor(user):
    """Ann with an authenticator app enrolled: (device, backup codes)."""
    return enable_two_factor(user)


# --- token login with 2FA -------------------------------------------------------------


def test_with_2fa_on_a_password_alone_is_otp_required_and_issues_nothing(
    api_client, user, two_factor
):
    response = login(api_client, user)
    assert refused(response, "otp_required")
    assert not OutstandingToken.objects.filter(user=user).exists()


def test_a_wrong_code_is_otp_invalid(api_client, user, two_factor):
    device, _ = two_factor
    response = login(api_client, user, otp=wrong_code(device))
    assert refused(response, "otp_invalid")
    assert not OutstandingToken.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(user=user, event="otp_failed").exists()


def test_a_right_code_right_after_a_wrong_one_is_a_429_not_otp_invalid(
    settings, api_client, user, two_factor
):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    device, _ = two_factor
    assert refused(login(api_client, user, otp=wrong_code(device)), "otp_invalid")
    response = login(api_client, user, otp=totp_code(device, steps_ahead=1))
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 30
    assert not OutstandingToken.objects.filter(user=user).exists()


def test_a_right_code_with_a_wrong_password_is_invalid_credentials(api_client, user, two_factor):
    device, _ = two_factor
    response = login(api_client, user, "wrong-password", otp=totp_code(device, steps_ahead=1))
    assert refused(response, "invalid_credentials")


def test_a_totp_code_logs_in_once_and_its_replay_is_refused(api_client, user, two_factor):
    device, _ = two_factor
    code = totp_code(device, steps_ahead=1)  # enrolment used the current one
    first = login(api_client, user, otp=code)
    assert first.status_code == 200
    assert bearer(first.json()["access"]).get(ME).json()["two_factor_enabled"] is True
    assert refused(login(api_client, user, otp=code), "otp_invalid")


def test_a_backup_code_logs_in_once(api_client, user, two_factor):
    _, codes = two_factor
    assert login(api_client, user, otp=codes[0]).status_code == 200
    assert refused(login(api_client, user, otp=codes[0]), "otp_invalid")
    assert AuditEvent.objects.get(event="backup_code_used").details == {"remaining": 9}


# --- 2FA enrolment, disabling, backup codes ----------------------------------------------


@pytest.mark.parametrize("url", [SETUP, CONFIRM, DISABLE, BACKUP_CODES, RESEND])
def test_account_security_endpoints_need_an_access_token(api_client, url):
    response = api_client.post(url, {"otp": "123456", "password": DEFAULT_PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == CHALLENGE


def test_enrolling_through_the_api_turns_2fa_on(jwt_client, api_client, user):
    setup = jwt_client.post(SETUP)
    assert setup.status_code == 200
    details = setup.json()
    assert set(details) == {"secret", "otpauth_uri", "qr_svg"}
    assert details["otpauth_uri"].startswith("otpauth://totp/TaskFlow")
    assert f"secret={details['secret']}" in details["otpauth_uri"]
    assert details["qr_svg"].startswith("<svg")
    assert jwt_client.get(ME).json()["two_factor_enabled"] is False
    assert login(api_client, user).status_code == 200  # not on until confirmed

    device = TOTPDevice.objects.get(user=user)
    secret = details["secret"]
    assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    confirm = jwt_client.post(CONFIRM, {"otp": totp_code(device)})
    assert confirm.status_code == 200
    codes = confirm.json()["backup_codes"]
    assert len(set(codes)) == 10
    assert jwt_client.get(ME).json()["two_factor_enabled"] is True
    assert refused(login(api_client, user), "otp_required")
    assert AuditEvent.objects.filter(user=user, event="two_factor_enabled").exists()


def test_confirming_with_a_wrong_code_keeps_2fa_off(jwt_client, user):
    jwt_client.post(SETUP)
    response = jwt_client.post(CONFIRM, {"otp": wrong_code(TOTPDevice.objects.get(user=user))})
    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert not user.two_factor_enabled


@pytest.mark.parametrize("body", [{}, {"otp": ""}])
def test_confirming_needs_a_code(jwt_client, body):
    jwt_client.post(SETUP)
    response = jwt_client.post(CONFIRM, body)
    assert response.status_code == 400
    assert list(response.json()) == ["otp"]


def test_confirming_before_setup_is_a_400(jwt_client, user):
    response = jwt_client.post(CONFIRM, {"otp": "123456"})
    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert not user.two_factor_enabled


def test_setup_is_refused_while_2fa_is_on(jwt_client, user, two_factor):
    device, _ = two_factor
    response = jwt_client.post(SETUP)
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]
    assert list(TOTPDevice.objects.filter(user=user)) == [device]


def test_disabling_refuses_a_wrong_password(jwt_client, user, two_factor):
    _, codes = two_factor
    response = jwt_client.post(DISABLE, {"password": "wrong-password", "otp": codes[0]})
    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert user.two_factor_enabled


def test_disabling_refuses_a_wrong_code(jwt_client, user, two_factor):
    device, _ = two_factor
    response = jwt_client.post(DISABLE, {"password": DEFAULT_PASSWORD, "otp": wrong_code(device)})
    assert response.status_code == 400
    assert list(response.json()) == ["otp"]
    assert user.two_factor_enabled


def test_disabling_with_password_and_code_turns_2fa_off(jwt_client, api_client, user, two_factor):
    device, _ = two_factor
    response = jwt_client.post(
        DISABLE, {"password": DEFAULT_PASSWORD, "otp": totp_code(device, steps_ahead=1)}
    )
    assert response.status_code == 204
    assert jwt_client.get(ME).json()["two_factor_enabled"] is False
    assert login(api_client, user).status_code == 200
    assert AuditEvent.objects.filter(user=user, event="two_factor_disabled").exists()


def test_new_backup_codes_replace_the_old_ones(jwt_client, api_client, user, two_factor):
    device, old = two_factor
    response = jwt_client.post(BACKUP_CODES, {"otp": totp_code(device, steps_ahead=1)})
    assert response.status_code == 200
    new = response.json()["backup_codes"]
    assert len(set(new)) == 10
    assert not set(new) & set(old)
    assert login(api_client, user, otp=new[0]).status_code == 200
    assert refused(login(api_client, user, otp=old[1]), "otp_invalid")


def test_new_backup_codes_need_a_code_or_the_password(jwt_client, user, two_factor):
    _, old = two_factor
    missing = jwt_client.post(BACKUP_CODES, {})
    assert (missing.status_code, list(missing.json())) == (400, ["otp"])
    wrong = jwt_client.post(BACKUP_CODES, {"password": "not-my-password"})
    assert (wrong.status_code, list(wrong.json())) == (400, ["password"])
    assert services.backup_codes_remaining(user=user) == len(old)
    assert jwt_client.post(BACKUP_CODES, {"password": DEFAULT_PASSWORD}).status_code == 200


def test_turning_2fa_on_ends_every_refresh_token_from_before(api_client, user, token_pair):
    device = services.otp_setup(user=user)
    client = bearer(token_pair["access"])
    assert client.post(CONFIRM, {"otp": totp_code(device)}).status_code == 200
    stale = api_client.post(REFRESH, {"refresh": token_pair["refresh"]})
    assert stale.status_code == 401  # it could have minted a session past 2FA


def test_backup_codes_need_2fa_on(jwt_client):
    response = jwt_client.post(BACKUP_CODES)
    assert response.status_code == 400
    assert list(response.json()) == ["non_field_errors"]


# --- refresh-token reuse ------------------------------------------------------------


def test_reusing_a_rotated_refresh_token_revokes_every_refresh_token(api_client, user):
    first = login(api_client, user).json()["refresh"]
    other_device = login(api_client, user).json()["refresh"]
    successor = api_client.post(REFRESH, {"refresh": first}).json()["refresh"]

    reuse = api_client.post(REFRESH, {"refresh": first}, REMOTE_ADDR="203.0.113.66")
    assert refused(reuse, "token_not_valid")
    assert refused(api_client.post(REFRESH, {"refresh": successor}), "token_not_valid")
    assert refused(api_client.post(REFRESH, {"refresh": other_device}), "token_not_valid")
    event = AuditEvent.objects.get(event="refresh_token_reused")
    assert (event.user, event.ip_address) == (user, "203.0.113.66")


def test_a_logged_out_token_presented_again_kills_nothing_else(api_client, user):
    logged_out = login(api_client, user).json()["refresh"]
    other_device = login(api_client, user).json()["refresh"]
    assert api_client.post(LOGOUT, {"refresh": logged_out}).status_code == 204

    assert refused(api_client.post(REFRESH, {"refresh": logged_out}), "token_not_valid")
    assert api_client.post(REFRESH, {"refresh": other_device}).status_code == 200
    assert not AuditEvent.objects.filter(event="refresh_token_reused").exists()


# --- password reset ---------------------------------------------------------------------


def request_reset(client, email: str):
    return client.post(RESET, {"email": email})


def test_a_reset_request_answers_the_same_for_known_and_unknown_addresses(api_client, user):
    known = request_reset(api_client, "Ann@Example.com")
    unknown = request_reset(api_client, "nobody@example.com")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert known.json() == {"detail": "If an account exists for this address, we have sent a link."}
    assert [message.to for message in mail.outbox] == [[user.email]]
    assert set(link_kwargs(mail.outbox[0])) == {"uidb64", "token"}


def test_a_reset_request_does_the_same_work_for_known_and_unknown_addresses(
    monkeypatch, api_client, user
):
    # As in production, the job goes to a broker: here a recorder of what was queued.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    queued = []
    monkeypatch.setattr(
        jobs.password_reset_email, "apply_async", lambda **call: queued.append(call)
    )
    answers, queries = [], []
    for address in (user.email, "nobody@example.com"):
        with CaptureQueriesContext(connection) as captured:
            answers.append(api_client.post(RESET, {"email": address}))
        queries.append([q["sql"] for q in captured.captured_queries])
    known, unknown = answers
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert queries[0] == queries[1] == []  # no lookup here: the job does it
    assert [sorted(call["kwargs"]) for call in queued] == [
        ["email", "ip_address", "site", "user_agent"]
    ] * 2
    assert all("example.com" not in call["kwargsrepr"] for call in queued)
    assert not mail.outbox
    celery_app.conf.task_always_eager = True  # the worker's part, with its own email job
    assert jobs.password_reset_email(**queued[0]["kwargs"]) is True
    assert jobs.password_reset_email(**queued[1]["kwargs"]) is False
    assert [message.to for message in mail.outbox] == [[user.email]]


@pytest.mark.parametrize("email", ["not-an-email", "", "ann@"])
def test_a_reset_request_needs_an_email_address(api_client, user, email):
    response = request_reset(api_client, email)
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert not mail.outbox


def confirm_reset(client, link: dict, new_password: str = STRONG):
    return client.post(
        RESET_CONFIRM,
        {"uid": link["uidb64"], "token": link["token"], "new_password": new_password},
    )


def test_a_reset_link_sets_a_new_password_once_and_ends_every_app_session(
    api_client, user, token_pair
):
    request_reset(api_client, user.email)
    link = link_kwargs(mail.outbox[0])
    assert confirm_reset(api_client, link).status_code == 204

    assert login(api_client, user, STRONG).status_code == 200
    assert refused(login(api_client, user), "invalid_credentials")
    assert api_client.post(REFRESH, {"refresh": token_pair["refresh"]}).status_code == 401
    assert bearer(token_pair["access"]).get(ME).status_code == 401
    again = confirm_reset(api_client, link, "another-orchard-48-plum")
    assert again.status_code == 400
    assert list(again.json()) == ["token"]
    assert login(api_client, user, STRONG).status_code == 200


def test_a_reset_also_changes_the_calendar_feeds_secret(api_client, user):
    feed_before = user.calendar_token
    request_reset(api_client, user.email)
    assert confirm_reset(api_client, link_kwargs(mail.outbox[0])).status_code == 204
    user.refresh_from_db()
    assert user.calendar_token and user.calendar_token != feed_before
    feed = reverse("tasks:calendar-feed", kwargs={"token": feed_before})
    assert api_client.get(feed).status_code == 404
    new_feed = reverse("tasks:calendar-feed", kwargs={"token": user.calendar_token})
    assert api_client.get(new_feed).status_code == 200


def test_a_weak_new_password_is_refused_and_the_link_still_works(api_client, user):
    request_reset(api_client, user.email)
    link = link_kwargs(mail.outbox[0])
    weak = confirm_reset(api_client, link, "12345")
    assert weak.status_code == 400
    assert list(weak.json()) == ["new_password"]
    assert confirm_reset(api_client, link).status_code == 204


@pytest.mark.parametrize(
    "link",
    [
        {"uidb64": "MQ", "token": "c1b2a3-0123456789abcdef0123456789abcdef"},
        {"uidb64": "!!", "token": "x"},
        {"uidb64": "OTk5OTk5", "token": "c1b2a3-0123456789abcdef0123456789abcdef"},
    ],
)
def test_a_forged_reset_link_is_refused(api_client, user, link):
    response = confirm_reset(api_client, link)
    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_after_a_reset_login_still_needs_the_second_factor(api_client, user, two_factor):
    device, _ = two_factor
    request_reset(api_client, user.email)
    assert confirm_reset(api_client, link_kwargs(mail.outbox[0])).status_code == 204
    assert refused(login(api_client, user, STRONG), "otp_required")
    assert login(api_client, user, STRONG, otp=totp_code(device, steps_ahead=1)).status_code == 200


# --- email verification -----------------------------------------------------------------


def test_registering_then_verifying_the_address(api_client):
    registered = api_client.post(
        REGISTER, {"email": "new@example.com", "full_name": "New Person", "password": STRONG}
    )
    assert registered.json()["email_verified"] is False
    token = link_kwargs(mail.outbox[0])["token"]
    access = api_client.post(TOKEN, {"email": "new@example.com", "password": STRONG}).json()
    me = bearer(access["access"])
    assert me.get(ME).json()["email_verified"] is False

    verified = api_client.post(VERIFY, {"token": token})
    assert verified.status_code == 200
    assert verified.json()["email"] == "new@example.com"
    assert verified.json()["email_verified"] is True
    assert me.get(ME).json()["email_verified"] is True
    assert api_client.post(VERIFY, {"token": token}).status_code == 200  # a second click is fine
    assert AuditEvent.objects.filter(event="email_verified").count() == 1


@pytest.mark.parametrize("token", ["", "junk", "eyJ1c2VyIjoxfQ:1abcde:forged"])
def test_a_bad_verification_token_is_a_400(api_client, user, token):
    response = api_client.post(VERIFY, {"token": token})
    assert response.status_code == 400
    assert list(response.json()) == ["token"]
    user.refresh_from_db()
    assert not user.email_verified


def test_resending_the_verification_email(jwt_client, api_client, user):
    response = jwt_client.post(RESEND)
    assert response.status_code == 202
    assert [message.to for message in mail.outbox] == [[user.email]]
    token = link_kwargs(mail.outbox[0])["token"]
    assert api_client.post(VERIFY, {"token": token}).status_code == 200
    assert jwt_client.get(ME).json()["email_verified"] is True


def test_resending_once_verified_sends_nothing(jwt_client, user):
    jwt_client.post(RESEND)
    verify_token = link_kwargs(mail.outbox[0])["token"]
    assert jwt_client.post(VERIFY, {"token": verify_token}).status_code == 200
    response = jwt_client.post(RESEND)
    assert response.status_code == 200
    assert response.json()["detail"] == "Your email address is already verified."
    assert len(mail.outbox) == 1
