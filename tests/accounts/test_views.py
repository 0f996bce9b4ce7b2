import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-47-violet"
SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")
PASSWORD_CHANGE = reverse("accounts:password-change")
DASHBOARD = reverse("tasks:dashboard")


def signup_data(**overrides):
    return {
        "full_name": "New Person",
        "email": "new@example.com",
        "password": STRONG,
        "password_confirm": STRONG,
        **overrides,
    }


def test_signup_page_has_a_labelled_input_for_each_field(client):
    html = client.get(SIGNUP).content.decode()
    for field in ("full_name", "email", "password", "password_confirm"):
        assert f'<label for="id_{field}">' in html
        assert f'id="id_{field}"' in html
    assert 'name="viewport"' in html


def test_signup_logs_the_user_in_and_sends_them_to_the_dashboard(client):
    response = client.post(SIGNUP, signup_data(email="New@Example.com"))
    assert response.status_code == 302
    assert response.url == DASHBOARD
    user = User.objects.get()
    assert user.email == "new@example.com"
    dashboard = client.get(DASHBOARD)
    assert dashboard.status_code == 200
    assert dashboard.context["user"] == user
    assert [message.to for message in mail.outbox] == [["new@example.com"]]  # verification


def test_signup_shows_an_error_when_the_confirmation_differs(client):
    response = client.post(SIGNUP, signup_data(password_confirm="something-else-99"))
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    assert not User.objects.exists()


def test_signup_refuses_an_email_taken_in_another_case_and_keeps_the_input(client, user):
    response = client.post(SIGNUP, signup_data(email="ANN@example.com", full_name="Keep Me"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "already exists" in html
    assert 'value="Keep Me"' in html
    assert User.objects.count() == 1


def test_signup_shows_password_validator_messages(client):
    response = client.post(SIGNUP, signup_data(password="123", password_confirm="123"))
    assert "too short" in response.content.decode()
    assert not User.objects.exists()


def test_login_with_the_email_in_any_case(client, user):
    response = client.post(LOGIN, {"username": "ANN@Example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response.url == DASHBOARD
    assert client.get(DASHBOARD).status_code == 200


def test_login_with_a_wrong_password_shows_an_error(client, user):
    response = client.post(LOGIN, {"username": user.email, "password": "wrong"})
    assert response.status_code == 200
    assert "correct email" in response.content.decode().lower()
    assert client.get(DASHBOARD).status_code == 302


def test_login_returns_to_the_page_asked_for(client, user):
    response = client.post(
        f"{LOGIN}?next={PROFILE}",
        {"username": user.email, "password": DEFAULT_PASSWORD, "next": PROFILE},
    )
    assert response.url == PROFILE


def test_logout_is_post_only_and_ends_the_session(client, user):
    client.force_login(user)
    assert client.get(LOGOUT).status_code == 405
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.parametrize("url", [DASHBOARD, PROFILE])
def test_anonymous_visitors_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(f"{LOGIN}?next=")


def test_profile_changes_the_name(client, user):
    client.force_login(user)
    response = client.post(PROFILE, {"full_name": "Ann Renamed"}, follow=True)
    assert "Your profile was saved" in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == "Ann Renamed"


def test_profile_refuses_an_empty_name(client, user):
    client.force_login(user)
    response = client.post(PROFILE, {"full_name": ""})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    user.refresh_from_db()
    assert user.full_name == "Ann Example"


def test_password_change_keeps_this_session_and_ends_the_others(client, user):
    other_browser = Client()
    other_browser.force_login(user)
    client.force_login(user)
    response = client.post(
        PASSWORD_CHANGE,
        {
            "old_password": DEFAULT_PASSWORD,
            "new_password": STRONG,
            "new_password_confirm": STRONG,
        },
    )
    assert response.status_code == 302
    assert client.get(DASHBOARD).status_code == 200
    assert other_browser.get(DASHBOARD).status_code == 302
    user.refresh_from_db()
    assert user.check_password(STRONG)


def test_password_change_with_a_wrong_old_password_shows_an_error(client, user):
    client.force_login(user)
    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": "wrong", "new_password": STRONG, "new_password_confirm": STRONG},
    )
    assert response.status_code == 200
    assert "entered incorrectly" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_needs_matching_new_passwords(client, user):
    client.force_login(user)
    response = client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG, "new_password_confirm": "x"},
    )
    assert "do not match" in response.content.decode()


def test_pages_carry_the_csrf_token_for_htmx_and_the_stylesheet(client, user):
    client.force_login(user)
    html = client.get(DASHBOARD).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert "/static/vendor/pico/pico.min.css" in html
    assert "htmx" in html
    assert "https://" not in html  # no CDN
