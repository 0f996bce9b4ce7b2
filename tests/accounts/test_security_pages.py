"""The pages of issue 4: sign-in with a code step, rate limits, password reset, email
verification, and the security page (two-factor authentication, sessions, events)."""

import re
import time

import pytest
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import services, views
from accounts.models import AuditEvent, UserSession
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.accounts.otp import enable_two_factor, totp_code
from tests.accounts.test_views import (
    DASHBOARD,
    LOGIN,
    LOGOUT,
    PASSWORD_CHANGE,
    PROFILE,
    SIGNUP,
    STRONG,
    signup_data,
)

pytestmark = pytest.mark.django_db

LOGIN_CODE = reverse("accounts:login-code")
SECURITY = reverse("accounts:security")
RESET = reverse("accounts:password-reset")
RESET_SENT = reverse("accounts:password-reset-sent")
RESEND = reverse("accounts:verify-email-resend")
SETUP = reverse("accounts:two-factor-setup")
CONFIRM = reverse("accounts:two-factor-confirm")
DISABLE = reverse("accounts:two-factor-disable")
REGENERATE = reverse("accounts:backup-codes-regenerate")
DOWNLOAD = reverse("accounts:backup-codes-download")
REVOKE_OTHERS = reverse("accounts:sessions-revoke-others")


def log_in(client, email, password=DEFAULT_PASSWORD, *, next_url="", **meta):
    data = {"username": email, "password": password, "next": next_url}
    return client.post(LOGIN, data, **meta)


def enter_code(client, code):
    return client.post(LOGIN_CODE, {"otp": code})


def signed_in(client) -> bool:
    return client.get(DASHBOARD).status_code == 200


def assert_too_many(response, message):
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600
    assert re.search(
        rf"{message}\. Try again in \d+ (seconds|minutes)\.", response.content.decode()
    )


def html(response) -> str:
    return response.content.decode()


def main(response) -> str:
    """The page's own content, without the per-response CSRF token in <body>."""
    return re.search(r"<main.*</main>", html(response), re.DOTALL)[0]


def event_names(user) -> list[str]:
    return list(AuditEvent.objects.filter(user=user).values_list("event", flat=True))


# --- sign-in -------------------------------------------------------------------------


def test_login_without_2fa_signs_in_at_once_and_records_it(client, user):
    response = log_in(client, user.email)
    assert response.status_code == 302
    assert response.url == DASHBOARD
    assert signed_in(client)
    assert UserSession.objects.get(user=user).session_key == client.session.session_key
    assert event_names(user) == ["login_succeeded"]
    assert AuditEvent.objects.get(user=user).details == {"via": "page"}


def test_login_page_links_to_password_reset(client):
    assert f'href="{RESET}">Forgot your password?</a>' in html(client.get(LOGIN))


def test_a_signed_in_visitor_is_sent_on_from_the_login_page(client, user):
    client.force_login(user)
    assert client.get(f"{LOGIN}?next={PROFILE}").url == PROFILE
    assert client.get(f"{LOGIN}?next=https://evil.example/").url == DASHBOARD


def test_login_with_2fa_asks_for_a_code_before_signing_in(client, user):
    enable_two_factor(user)
    response = log_in(client, user.email)
    assert response.status_code == 302
    assert response.url == LOGIN_CODE
    assert not signed_in(client)
    assert "login_succeeded" not in event_names(user)

    page = html(client.get(LOGIN_CODE))
    assert '<label for="id_otp">Authentication code</label>' in page
    field = re.search(r'<input[^>]*name="otp"[^>]*>', page).group()
    assert 'autocomplete="one-time-code"' in field
    assert "inputmode" not in field  # backup codes have letters
    assert user.email in page


def test_a_totp_code_completes_the_login_verified_and_back_to_next(client, user):
    device, _ = enable_two_factor(user)
    log_in(client, user.email, next_url=PROFILE)
    response = enter_code(client, totp_code(device, steps_ahead=1))
    assert response.status_code == 302
    assert response.url == PROFILE
    assert signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert views.PENDING_LOGIN not in client.session
    assert event_names(user)[0] == "login_succeeded"
    # The pending state is gone: the code step cannot be replayed.
    assert client.get(LOGIN_CODE).url == LOGIN


def test_a_wrong_code_is_refused_with_an_error(client, user):
    device, _ = enable_two_factor(user)
    log_in(client, user.email)
    wrong = f"{(int(totp_code(device, steps_ahead=1)) + 1) % 1_000_000:06d}"
    response = enter_code(client, wrong)
    assert response.status_code == 200
    assert "That code is not valid" in html(response)
    assert not signed_in(client)


def test_a_replayed_totp_code_is_refused(client, user):
    device, _ = enable_two_factor(user)
    code = totp_code(device, steps_ahead=1)
    log_in(client, user.email)
    assert enter_code(client, code).status_code == 302
    client.post(LOGOUT)

    log_in(client, user.email)
    response = enter_code(client, code)
    assert response.status_code == 200
    assert "That code is not valid" in html(response)
    assert not signed_in(client)


def test_a_backup_code_signs_in_once(client, user):
    _, codes = enable_two_factor(user)
    log_in(client, user.email)
    assert enter_code(client, codes[0].upper()).url == DASHBOARD
    assert signed_in(client)
    client.post(LOGOUT)

    log_in(client, user.email)
    response = enter_code(client, codes[0])
    assert response.status_code == 200
    assert not signed_in(client)
    assert enter_code(client, codes[1]).url == DASHBOARD


def test_the_code_step_without_a_password_first_goes_back_to_login(client, user):
    enable_two_factor(user)
    assert client.get(LOGIN_CODE).url == LOGIN
    assert client.post(LOGIN_CODE, {"otp": "123456"}).url == LOGIN
    assert not signed_in(client)


def test_the_pending_login_expires(client, user):
    device, _ = enable_two_factor(user)
    log_in(client, user.email)
    session = client.session
    session[views.PENDING_LOGIN]["until"] -= views.PENDING_LOGIN_SECONDS + 1
    session.save()
    response = enter_code(client, totp_code(device, steps_ahead=1))
    assert response.url == LOGIN
    assert not signed_in(client)
    assert "took too long" in html(client.get(LOGIN))
    assert views.PENDING_LOGIN not in client.session


def test_code_checks_are_limited(client, user):
    enable_two_factor(user)  # one check
    log_in(client, user.email)
    for _ in range(4):
        assert enter_code(client, "000000").status_code == 200
    assert_too_many(enter_code(client, "000000"), "Too many code attempts")


def test_a_right_code_right_after_a_wrong_one_says_wait_on_the_page(settings, client, user):
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    device, _ = enable_two_factor(user)
    log_in(client, user.email)
    assert enter_code(client, "000000").status_code == 200  # wrong
    response = enter_code(client, totp_code(device, steps_ahead=1))
    assert_too_many(response, "Too many code attempts")
    assert "not valid" not in html(response)
    assert not signed_in(client)


def test_five_failed_passwords_lock_the_account_even_for_the_right_one(client, user):
    for _ in range(5):
        assert log_in(client, user.email, "wrong-password").status_code == 200
    response = log_in(client, user.email.upper())
    assert_too_many(response, "Too many sign-in attempts")
    assert not signed_in(client)


def test_twenty_failures_from_one_address_block_it_for_every_account(client, user):
    for number in range(20):
        assert log_in(client, f"nobody{number}@example.com", "wrong").status_code == 200
    assert_too_many(log_in(client, user.email), "Too many sign-in attempts")
    assert not signed_in(client)


# --- sign-up and email verification --------------------------------------------------


def test_signup_is_limited_to_ten_an_hour_per_address():
    for number in range(10):
        assert (
            Client().post(SIGNUP, signup_data(email=f"new{number}@example.com")).status_code == 302
        )
    response = Client().post(SIGNUP, signup_data(email="eleventh@example.com"))
    assert_too_many(response, "Too many sign-ups from your network")
    assert 'value="eleventh@example.com"' in html(response)


def verification_link(message) -> str:
    return re.search(r"https?://testserver(/accounts/verify-email/[^/\s]+/)", message.body)[1]


def test_the_emailed_link_verifies_and_the_banner_goes(client):
    client.post(SIGNUP, signup_data())
    assert len(mail.outbox) == 1
    banner = 'class="verify-banner" role="status"'
    assert banner in html(client.get(DASHBOARD))

    response = client.get(verification_link(mail.outbox[0]), follow=True)
    assert response.redirect_chain[0] == (DASHBOARD, 302)
    assert "new@example.com is verified" in html(response)
    assert banner not in html(response)
    assert banner not in html(client.get(SECURITY))


def test_the_link_works_without_being_signed_in(client, rf, user):
    services.email_verification_send(user=user, request=rf.get("/"))
    response = client.get(verification_link(mail.outbox[0]))
    assert response.url == LOGIN
    user.refresh_from_db()
    assert user.email_verified


def test_an_expired_verification_link_says_so(client, rf, user, settings, monkeypatch):
    sent_at = int(time.time()) - settings.EMAIL_VERIFICATION_TIMEOUT - 60
    with monkeypatch.context() as past:
        past.setattr(signing.TimestampSigner, "timestamp", lambda _: signing.b62_encode(sent_at))
        services.email_verification_send(user=user, request=rf.get("/"))
    response = client.get(verification_link(mail.outbox[0]))
    assert response.status_code == 200
    assert "This link has expired." in html(response)
    assert f'href="{LOGIN}">Log in</a> to have a new link sent' in html(response)
    user.refresh_from_db()
    assert not user.email_verified


def test_a_bad_verification_link_explains_and_offers_another(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:verify-email", kwargs={"token": "not-a-token"}))
    assert response.status_code == 200
    page = html(response)
    assert "This link is not valid." in page
    assert "Send a new verification link" in page
    user.refresh_from_db()
    assert not user.email_verified


def test_resend_sends_another_link_three_times_an_hour(client, user):
    client.force_login(user)
    response = client.post(RESEND, {"next": PROFILE})
    assert response.url == PROFILE
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    client.post(RESEND)
    client.post(RESEND)
    assert_too_many(client.post(RESEND), "Too many verification emails")
    assert len(mail.outbox) == 3


def test_resend_is_for_signed_in_users_only(client):
    assert client.post(RESEND).url.startswith(f"{LOGIN}?next=")
    assert not mail.outbox


# --- password reset ----------------------------------------------------------------


def reset_link(message) -> str:
    return re.search(
        r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", message.body
    )[1]


def test_reset_answers_the_same_whether_or_not_the_address_exists(client, user):
    known = client.post(RESET, {"email": user.email.upper()}, follow=True)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]
    unknown = client.post(RESET, {"email": "nobody@example.com"}, follow=True)
    assert len(mail.outbox) == 1
    assert known.redirect_chain == unknown.redirect_chain == [(RESET_SENT, 302)]
    assert main(known) == main(unknown)
    assert "If an account exists for that address, we have sent a link" in html(known)


def test_reset_requests_are_limited(client, user):
    for number in range(5):
        client.post(RESET, {"email": f"someone{number}@example.com"})
    assert_too_many(client.post(RESET, {"email": user.email}), "Too many password reset requests")
    assert not mail.outbox


def test_the_reset_link_sets_a_new_password_once_and_signs_everyone_out(client, user):
    other_browser = Client()
    log_in(other_browser, user.email)
    client.post(RESET, {"email": user.email})
    link = reset_link(mail.outbox[0])

    assert 'name="new_password"' in html(client.get(link))
    response = client.post(link, {"new_password": STRONG, "new_password_confirm": STRONG})
    assert response.url == LOGIN
    assert not signed_in(client)  # not logged in by the reset
    assert not signed_in(other_browser)
    assert "Log in with your new password" in html(client.get(LOGIN))

    used = client.get(link)
    assert "invalid or has expired" in html(used)
    assert 'name="new_password"' not in html(used)
    assert log_in(client, user.email, STRONG).url == DASHBOARD


def test_the_reset_form_shows_password_rules(client, user):
    client.post(RESET, {"email": user.email})
    link = reset_link(mail.outbox[0])
    assert "do not match" in html(
        client.post(link, {"new_password": STRONG, "new_password_confirm": "x"})
    )
    assert "too common" in html(
        client.post(link, {"new_password": "password", "new_password_confirm": "password"})
    )
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_an_expired_reset_link_is_refused(client, user, settings):
    client.post(RESET, {"email": user.email})
    link = reset_link(mail.outbox[0])
    # Django compares a link's age with the setting when the link is used: any link, even
    # one made this second, is older than -1 s.
    settings.PASSWORD_RESET_TIMEOUT = -1
    response = client.post(link, {"new_password": STRONG, "new_password_confirm": STRONG})
    assert "invalid or has expired" in html(response)
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


@pytest.mark.parametrize(
    ("uidb64", "token"), [("MQ", "bad-token"), ("!!", "x-y"), ("OTk5OTk", "abc-def")]
)
def test_a_bad_reset_link_explains_and_offers_another(client, user, uidb64, token):
    url = reverse("accounts:password-reset-confirm", kwargs={"uidb64": uidb64, "token": token})
    for response in (client.get(url), client.post(url, {"new_password": STRONG})):
        assert response.status_code == 200
        assert "invalid or has expired" in html(response)
        assert f'href="{RESET}"' in html(response)
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_after_a_reset_two_factor_authentication_is_still_asked(client, user):
    enable_two_factor(user)
    client.post(RESET, {"email": user.email})
    client.post(
        reset_link(mail.outbox[0]), {"new_password": STRONG, "new_password_confirm": STRONG}
    )
    assert log_in(client, user.email, STRONG).url == LOGIN_CODE
    assert not signed_in(client)


# --- security page: two-factor authentication ------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", SECURITY),
        ("post", SETUP),
        ("post", CONFIRM),
        ("post", DISABLE),
        ("post", REGENERATE),
        ("post", DOWNLOAD),
        ("post", REVOKE_OTHERS),
        ("post", reverse("accounts:session-revoke", kwargs={"session_id": 1})),
    ],
)
def test_anonymous_visitors_are_sent_to_login(client, method, url):
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=")


def test_enrolling_2fa_from_the_security_page(client, user):
    client.force_login(user)
    page = html(client.get(SECURITY))
    assert "Turn on two-factor authentication</button>" in page
    assert f'href="{SECURITY}" aria-current="page">Security</a>' in page

    assert client.post(SETUP).url == SECURITY
    page = html(client.get(SECURITY))
    assert "<svg" in page and "<title>QR code" in page and "<figcaption>" in page
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)[1]
    device = services.otp_pending_device(user=user)
    assert secret.replace(" ", "") == services.otp_setup_details(device)["secret"]

    wrong = f"{(int(totp_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(CONFIRM, {"otp": wrong})
    assert "That code is not valid" in html(response)
    assert not user.two_factor_enabled

    response = client.post(CONFIRM, {"otp": totp_code(device)})
    assert response.status_code == 200
    page = html(response)
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)
    assert len(codes) == 10
    assert "shown only this once" in page
    assert user.two_factor_enabled
    # The enrolling session proved it holds the app: it counts as verified.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    download = client.post(DOWNLOAD, {"code": codes})
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == 'attachment; filename="taskflow-backup-codes.txt"'
    assert download.content.decode().split("\n")[3:13] == codes

    later = html(client.get(SECURITY))
    assert not any(code in later for code in codes)
    assert "Backup codes left: <strong>10</strong>" in later
    assert codes[0] not in str(dict(client.session))


def test_the_download_returns_only_what_was_posted_in_the_shape_of_codes(client, user):
    client.force_login(user)
    assert client.post(DOWNLOAD).status_code == 400
    assert client.post(DOWNLOAD, {"code": ["<script>"]}).status_code == 400
    assert client.post(DOWNLOAD, {"code": [f"abcde-{n:05d}" for n in range(11)]}).status_code == 400
    assert client.get(DOWNLOAD).status_code == 405


def test_an_unconfirmed_setup_is_shown_again(client, user):
    client.force_login(user)
    device = services.otp_setup(user=user)
    page = html(client.get(SECURITY))
    assert "Confirm and turn on</button>" in page
    assert services.otp_setup_details(device)["secret"][:4] in page


def test_regenerating_codes_shows_new_ones_and_kills_the_old(client, user):
    _, old_codes = enable_two_factor(user)
    client.force_login(user)
    refused = client.post(REGENERATE)  # no proof: a stolen session must not mint codes
    assert "Enter a code from your authenticator app, or your password." in html(refused)
    assert not re.findall(r"<li><code>([a-z0-9-]+)</code></li>", html(refused))
    response = client.post(REGENERATE, {"password": DEFAULT_PASSWORD})
    new_codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", html(response))
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    assert 'name="code"' in html(response)  # the download form
    client.post(LOGOUT)

    log_in(client, user.email)
    assert enter_code(client, old_codes[0]).status_code == 200
    assert enter_code(client, new_codes[0]).url == DASHBOARD


def test_turning_2fa_on_signs_out_every_other_browser(client, user):
    other = Client()
    other.force_login(user)  # e.g. a session someone stole before 2FA was on
    client.force_login(user)
    client.post(reverse("accounts:two-factor-setup"))
    device = services.otp_pending_device(user=user)
    response = client.post(reverse("accounts:two-factor-confirm"), {"otp": totp_code(device)})
    assert response.status_code == 200
    assert signed_in(client)
    assert not signed_in(other)


def test_regenerating_without_2fa_says_so(client, user):
    client.force_login(user)
    response = client.post(REGENERATE, follow=True)
    assert "Turn on two-factor authentication first." in html(response)


def test_turning_2fa_off_needs_the_password_and_a_code(client, user):
    device, _ = enable_two_factor(user)
    client.force_login(user)
    code = totp_code(device, steps_ahead=1)
    response = client.post(DISABLE, {"password": "wrong", "otp": code})
    assert "Your password was entered incorrectly." in html(response)
    response = client.post(DISABLE, {"password": DEFAULT_PASSWORD, "otp": "000000"})
    assert "That code is not valid" in html(response)
    response = client.post(DISABLE, {"password": DEFAULT_PASSWORD, "otp": ""})
    assert "This field is required" in html(response)
    assert user.two_factor_enabled

    response = client.post(DISABLE, {"password": DEFAULT_PASSWORD, "otp": code}, follow=True)
    assert "Two-factor authentication is off." in html(response)
    assert not user.two_factor_enabled
    assert "two_factor_disabled" in event_names(user)


def test_turning_2fa_off_is_limited(client, user):
    enable_two_factor(user)  # one code check
    client.force_login(user)
    for _ in range(4):
        client.post(DISABLE, {"password": DEFAULT_PASSWORD, "otp": "000000"})
    response = client.post(DISABLE, {"password": DEFAULT_PASSWORD, "otp": "000000"})
    assert_too_many(response, "Too many code attempts")
    assert user.two_factor_enabled


# --- security page: sessions and events -----------------------------------------------


def test_sessions_are_listed_and_another_can_be_signed_out(client, user):
    other_browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Firefox/128.0")
    log_in(other_browser, user.email)
    log_in(client, user.email, HTTP_USER_AGENT="x")
    page = html(client.get(SECURITY))
    assert page.count("This session") == 1
    assert "Firefox on Windows" in page
    assert page.count("Sign out<span") == 1  # not the current one

    other = UserSession.objects.get(session_key=other_browser.session.session_key)
    url = reverse("accounts:session-revoke", kwargs={"session_id": other.pk})
    response = client.post(url, follow=True)
    assert "That session was signed out." in html(response)
    assert not signed_in(other_browser)
    assert signed_in(client)
    assert "session_revoked" in event_names(user)


def test_another_users_session_is_not_found(client, user, other_user):
    theirs = Client()
    log_in(theirs, other_user.email)
    client.force_login(user)
    session = UserSession.objects.get(user=other_user)
    response = client.post(reverse("accounts:session-revoke", kwargs={"session_id": session.pk}))
    assert response.status_code == 404
    assert signed_in(theirs)


def test_sign_out_all_other_sessions(client, user):
    browsers = [Client(), Client()]
    for browser in browsers:
        log_in(browser, user.email)
    log_in(client, user.email)
    response = client.post(REVOKE_OTHERS, follow=True)
    assert "Signed out 2 other sessions." in html(response)
    assert not any(signed_in(browser) for browser in browsers)
    assert signed_in(client)


def test_recent_events_are_the_users_own(client, user, other_user):
    services.audit_record(event=AuditEvent.Event.PASSWORD_RESET, user=other_user)
    AuditEvent.objects.filter(user=other_user).update(ip_address="203.0.113.9")
    log_in(client, user.email, REMOTE_ADDR="198.51.100.7")
    page = html(client.get(SECURITY))
    assert "<td>Signed in</td>" in page
    assert "198.51.100.7" in page
    assert "203.0.113.9" not in page
    assert "Password reset" not in page


def test_the_security_page_keeps_its_query_count_as_rows_grow(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as few:
        client.get(SECURITY)
    for _ in range(5):
        log_in(Client(), user.email)
    with CaptureQueriesContext(connection) as many:
        assert client.get(SECURITY).content.decode().count("Sign out<span") == 5
    assert len(many) == len(few)


def test_after_a_password_change_this_session_is_still_listed(client, user):
    log_in(client, user.email)
    client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG, "new_password_confirm": STRONG},
    )
    assert "This session" in html(client.get(SECURITY))


# --- the admin -------------------------------------------------------------------------


def test_the_admin_needs_a_session_verified_with_2fa(client):
    staff = UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    log_in(client, staff.email)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")

    client.post(LOGOUT)
    device, _ = enable_two_factor(staff)
    log_in(client, staff.email)
    enter_code(client, totp_code(device, steps_ahead=1))
    assert client.get("/admin/").status_code == 200


def test_a_staff_session_without_the_code_step_cannot_open_the_admin(client, staff_user):
    enable_two_factor(staff_user)
    client.force_login(staff_user)
    assert client.get("/admin/").url.startswith("/admin/login/")


def test_the_admin_login_is_ours_with_its_limits_and_code_step(client, staff_user):
    response = client.get("/admin/login/?next=/admin/tasks/task/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=%2Fadmin%2Ftasks%2Ftask%2F"


def test_staff_without_2fa_are_sent_to_turn_it_on(client, staff_user):
    client.force_login(staff_user)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == SECURITY
    assert "needs two-factor authentication" in html(response)


def test_a_verified_staff_session_goes_straight_back_to_the_admin(staff_client):
    response = staff_client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.url == "/admin/accounts/user/"
    assert staff_client.get(response.url).status_code == 200


@pytest.mark.parametrize(
    "target", ["https://evil.example/x", "//evil.example", "http://evil.example/admin/"]
)
def test_the_admin_login_never_sends_anyone_off_site(staff_client, target):
    assert staff_client.get("/admin/login/", {"next": target}).url == "/admin/"
    signed_out = Client().get("/admin/login/", {"next": target})
    assert signed_out.url == f"{LOGIN}?next=%2Fadmin%2F"


def test_non_staff_users_are_not_sent_round_in_circles(client, user):
    client.force_login(user)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/"
    assert "cannot use the admin" in html(response)
