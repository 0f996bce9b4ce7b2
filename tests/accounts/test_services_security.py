"""Two-factor authentication, sign-in limits, sessions, verification and the audit log."""

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import AuditEvent, BackupCode, UserSession
from core import ratelimit
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.otp import enable_two_factor, totp_code
from tests.concurrency import run_at_once

pytestmark = pytest.mark.django_db


def events(user):
    return list(AuditEvent.objects.filter(user=user).values_list("event", flat=True))


# --- two-factor enrolment -----------------------------------------------------------


def test_setup_gives_a_secret_uri_and_svg_qr_code(user):
    device = services.otp_setup(user=user)
    details = services.otp_setup_details(device)
    assert details["otpauth_uri"].startswith("otpauth://totp/TaskFlow%3Aann%40example.com?")
    assert f"secret={details['secret']}" in details["otpauth_uri"]
    assert details["qr_svg"].startswith("<svg")
    assert not user.two_factor_enabled


def test_confirm_with_a_wrong_code_keeps_2fa_off(user):
    device = services.otp_setup(user=user)
    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as raised:
        services.otp_confirm(user=user, otp=wrong)
    assert "otp" in raised.value.message_dict
    assert not user.two_factor_enabled


def test_confirm_turns_2fa_on_and_returns_ten_distinct_backup_codes(user):
    device, codes = enable_two_factor(user)
    assert user.two_factor_enabled
    assert device.confirmed
    assert len(set(codes)) == 10
    assert services.backup_codes_remaining(user=user) == 10
    assert "two_factor_enabled" in events(user)


def test_backup_codes_are_stored_hashed(user):
    _, codes = enable_two_factor(user)
    stored = set(BackupCode.objects.values_list("digest", flat=True))
    assert not stored & set(codes)
    assert not stored & {code.replace("-", "") for code in codes}


def test_setup_is_refused_when_2fa_is_already_on(user):
    enable_two_factor(user)
    with pytest.raises(ValidationError):
        services.otp_setup(user=user)


def test_restarting_setup_replaces_the_unconfirmed_device(user):
    first = services.otp_setup(user=user)
    second = services.otp_setup(user=user)
    assert list(TOTPDevice.objects.filter(user=user)) == [second]
    assert first.pk != second.pk


# --- code checks --------------------------------------------------------------------


def test_a_totp_code_is_accepted_once(user):
    device, _ = enable_two_factor(user)
    code = totp_code(device, steps_ahead=1)  # not the code used to confirm
    assert services.otp_verify(user=user, otp=code) is not None
    assert services.otp_verify(user=user, otp=code) is None  # replay refused


def test_a_backup_code_works_once_in_any_format_and_is_audited(user):
    _, codes = enable_two_factor(user)
    spaced = f"  {codes[0].upper().replace('-', ' ')} "
    assert services.otp_verify(user=user, otp=spaced) is not None
    assert services.otp_verify(user=user, otp=codes[0]) is None
    assert services.backup_codes_remaining(user=user) == 9
    assert AuditEvent.objects.get(event="backup_code_used").details == {"remaining": 9}


def test_regenerating_backup_codes_kills_the_old_ones(user):
    _, old = enable_two_factor(user)
    new = services.backup_codes_regenerate(user=user, password=DEFAULT_PASSWORD)
    assert not set(old) & set(new)
    assert services.otp_verify(user=user, otp=old[1]) is None
    assert services.otp_verify(user=user, otp=new[1]) is not None


def test_code_checks_are_limited_per_user(rf, user):
    device, _ = enable_two_factor(user)
    caches[settings.RATELIMIT_USE_CACHE].clear()  # enrolment's own check counted too
    request = rf.post("/")
    for _ in range(5):
        services.otp_verify(user=user, otp="000000", request=request)
    with pytest.raises(ratelimit.RateLimited) as raised:
        services.otp_verify(user=user, otp=totp_code(device, steps_ahead=1), request=request)
    assert 0 < raised.value.retry_after <= 60


def test_the_right_code_right_after_a_wrong_one_is_told_to_wait_not_called_wrong(settings, user):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp default: 1 s, doubling
    device, _ = enable_two_factor(user)
    assert services.otp_verify(user=user, otp="000000") is None
    with pytest.raises(ratelimit.RateLimited) as raised:
        services.otp_verify(user=user, otp=totp_code(device, steps_ahead=1))
    assert raised.value.retry_after == 1


def test_six_digits_never_throttle_the_backup_codes_nor_letters_the_app(settings, user):
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_THROTTLE_FACTOR = 60
    device, codes = enable_two_factor(user)
    assert services.otp_verify(user=user, otp="000000") is None  # locks the app's device
    assert services.otp_verify(user=user, otp=codes[0]) is not None  # backup codes still work
    assert services.otp_verify(user=user, otp="wrong-guess") is None  # locks the backup codes
    with pytest.raises(ratelimit.RateLimited):
        services.otp_verify(user=user, otp=codes[1])
    with pytest.raises(ratelimit.RateLimited):  # and the app's device is still locked
        services.otp_verify(user=user, otp=totp_code(device, steps_ahead=1))
    assert all(any(c.isalpha() for c in code) for code in codes)


def test_enrolment_reports_a_throttled_check_too(settings, user):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = services.otp_setup(user=user)
    with pytest.raises(ValidationError):
        services.otp_confirm(user=user, otp="000000")
    with pytest.raises(ratelimit.RateLimited):
        services.otp_confirm(user=user, otp=totp_code(device))


def test_disable_needs_the_password_and_a_code(user):
    _, codes = enable_two_factor(user)
    with pytest.raises(ValidationError) as raised:
        services.otp_disable(user=user, password="wrong", otp=codes[0])
    assert "password" in raised.value.message_dict
    with pytest.raises(ValidationError) as raised:
        services.otp_disable(user=user, password=DEFAULT_PASSWORD, otp="123456")
    assert "otp" in raised.value.message_dict
    assert user.two_factor_enabled
    services.otp_disable(user=user, password=DEFAULT_PASSWORD, otp=codes[0])
    assert not user.two_factor_enabled
    assert services.backup_codes_remaining(user=user) == 0
    assert "two_factor_disabled" in events(user)


# --- sign-in limits -----------------------------------------------------------------


def test_five_failed_passwords_lock_the_account_for_a_while(rf, user):
    for _ in range(5):
        with pytest.raises(services.InvalidCredentials):
            services.login_check_password(request=rf.post("/"), email=user.email, password="x")
    with pytest.raises(ratelimit.RateLimited):
        services.login_check_password(
            request=rf.post("/"), email="ANN@example.com", password=DEFAULT_PASSWORD
        )
    assert events(user).count("login_failed") == 5


def test_twenty_failures_from_one_address_block_it_for_every_account(rf, user, other_user):
    for n in range(20):
        with pytest.raises(services.InvalidCredentials):
            services.login_check_password(
                request=rf.post("/", REMOTE_ADDR="203.0.113.7"),
                email=f"guess{n}@example.com",
                password="x",
            )
    with pytest.raises(ratelimit.RateLimited):
        services.login_check_password(
            request=rf.post("/", REMOTE_ADDR="203.0.113.7"),
            email=other_user.email,
            password=DEFAULT_PASSWORD,
        )
    elsewhere = rf.post("/", REMOTE_ADDR="198.51.100.1")
    assert services.login_check_password(
        request=elsewhere, email=other_user.email, password=DEFAULT_PASSWORD
    )


def test_successful_logins_do_not_count(rf, user):
    for _ in range(8):
        services.login_check_password(
            request=rf.post("/"), email=user.email, password=DEFAULT_PASSWORD
        )


def test_token_login_requires_the_code_when_2fa_is_on(rf, user):
    device, _ = enable_two_factor(user)
    with pytest.raises(services.OtpRequired):
        services.token_login(
            request=rf.post("/"), email=user.email, password=DEFAULT_PASSWORD, otp=None
        )
    with pytest.raises(services.OtpInvalid):
        services.token_login(
            request=rf.post("/"), email=user.email, password=DEFAULT_PASSWORD, otp="000000"
        )
    pair = services.token_login(
        request=rf.post("/"),
        email=user.email,
        password=DEFAULT_PASSWORD,
        otp=totp_code(device, steps_ahead=1),
    )
    assert set(pair) == {"access", "refresh"}
    assert events(user)[0] == "login_succeeded"


# --- client IP behind proxies --------------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "forwarded", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.1"),  # nobody trusted: the header is ignored
        (1, "1.2.3.4", "1.2.3.4"),  # our proxy saw 1.2.3.4
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client forged the first hop
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.9", "1.2.3.4"),
        (1, "not-an-ip", "10.0.0.1"),
        (3, "1.2.3.4", "1.2.3.4"),  # fewer hops than proxies: the first one
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(rf, settings, trusted, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_ip(request) == expected


# --- sessions --------------------------------------------------------------------------


def _logged_in_client(user) -> Client:
    client = Client()
    client.post("/accounts/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    return client


def test_logins_are_tracked_and_logouts_forgotten(user):
    first, second = _logged_in_client(user), _logged_in_client(user)
    assert UserSession.objects.filter(user=user).count() == 2
    first.post("/accounts/logout/")
    assert UserSession.objects.filter(user=user).count() == 1
    assert "logout" in events(user)
    assert second.get("/").status_code == 200


def test_revoking_a_session_signs_that_browser_out(user, other_user):
    browser = _logged_in_client(user)
    tracked = UserSession.objects.get(user=user)
    with pytest.raises(UserSession.DoesNotExist):
        services.session_revoke(user=other_user, session_id=tracked.pk)
    services.session_revoke(user=user, session_id=tracked.pk)
    assert browser.get("/").status_code == 302
    assert not Session.objects.filter(session_key=tracked.session_key).exists()
    assert "session_revoked" in events(user)


def test_password_change_ends_every_other_session(user):
    keep, lose = _logged_in_client(user), _logged_in_client(user)
    kept_key = keep.session.session_key
    services.user_password_change(
        user=user,
        old_password=DEFAULT_PASSWORD,
        new_password="plum-orchard-47-violet",
        keep_session_key=kept_key,
    )
    assert list(UserSession.objects.values_list("session_key", flat=True)) == [kept_key]
    assert lose.get("/").status_code == 302
    assert "password_changed" in events(user)


# --- email verification ---------------------------------------------------------------


def test_registration_sends_a_verification_link_that_verifies(rf):
    request = rf.post("/", HTTP_HOST="testserver")
    user = services.user_register(
        request=request, email="new@example.com", full_name="New", password="plum-orchard-47"
    )
    assert not user.email_verified
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    token = message.body.split("/accounts/verify-email/", 1)[1].split("/", 1)[0]
    assert services.email_verify(token=token).email_verified
    user.refresh_from_db()
    assert user.email_verified
    assert "email_verified" in events(user)


def test_a_tampered_verification_token_is_refused(user):
    with pytest.raises(ValidationError):
        services.email_verify(token="not-a-token")
    user.refresh_from_db()
    assert not user.email_verified


def test_registration_is_limited_per_address(rf):
    for n in range(10):
        services.user_register(
            request=rf.post("/", REMOTE_ADDR="192.0.2.1"),
            email=f"u{n}@example.com",
            full_name="U",
            password="plum-orchard-47",
        )
    with pytest.raises(ratelimit.RateLimited):
        services.user_register(
            request=rf.post("/", REMOTE_ADDR="192.0.2.1"),
            email="one-more@example.com",
            full_name="U",
            password="plum-orchard-47",
        )


# --- password reset -------------------------------------------------------------------


def test_password_reset_link_works_once_and_ends_sessions_and_tokens(rf, user):
    browser = _logged_in_client(user)
    pair = services.token_pair_issue(user=user)
    services.password_reset_request(
        request=rf.post("/", HTTP_HOST="testserver"), email="ANN@example.com"
    )
    [message] = mail.outbox
    uid, token = message.body.split("/accounts/password/reset/", 1)[1].split("/")[:2]
    services.password_reset_confirm(uidb64=uid, token=token, new_password="plum-orchard-47")
    user.refresh_from_db()
    assert user.check_password("plum-orchard-47")
    assert browser.get("/").status_code == 302
    with pytest.raises(Exception):  # noqa: B017 (any token error)
        services.token_pair_refresh(refresh=pair["refresh"])
    with pytest.raises(ValidationError) as raised:
        services.password_reset_confirm(uidb64=uid, token=token, new_password="another-pass-99")
    assert "token" in raised.value.message_dict
    assert {"password_reset_requested", "password_reset"} <= set(events(user))


def test_password_reset_for_an_unknown_address_sends_nothing(rf):
    services.password_reset_request(request=rf.post("/"), email="nobody@example.com")
    assert mail.outbox == []


def test_password_reset_requests_are_limited_per_address(rf, user):
    for n in range(5):
        services.password_reset_request(
            request=rf.post("/", REMOTE_ADDR=f"192.0.2.{n}"), email=user.email
        )
    with pytest.raises(ratelimit.RateLimited):
        services.password_reset_request(
            request=rf.post("/", REMOTE_ADDR="192.0.2.99"), email=user.email
        )
    assert len(mail.outbox) == 5


def test_wrong_passwords_re_entered_to_disable_2fa_count_as_failed_sign_ins(rf, user):
    _, codes = enable_two_factor(user)
    for _ in range(5):
        with pytest.raises(ValidationError):
            services.otp_disable(user=user, password="guess", otp=codes[0], request=rf.post("/"))
    with pytest.raises(ratelimit.RateLimited):
        services.otp_disable(
            user=user, password=DEFAULT_PASSWORD, otp=codes[0], request=rf.post("/")
        )
    assert user.two_factor_enabled


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_guesses_cannot_slip_under_the_account_limit(rf, user):
    """Attempts are counted before the password check, so a burst gets five tries, not ten."""

    def guess():
        try:
            services.login_check_password(request=rf.post("/"), email=user.email, password="x")
        except services.InvalidCredentials:
            return "wrong"
        except ratelimit.RateLimited:
            return "limited"

    assert run_at_once(guess, 10) == ["limited"] * 5 + ["wrong"] * 5


def test_argon2_is_first_and_older_hashes_upgrade_at_login(rf, settings, user):
    from django.conf import settings as live
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = live.PASSWORD_HASHERS_PRODUCTION
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    user.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    services.login_check_password(request=rf.post("/"), email=user.email, password=DEFAULT_PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
