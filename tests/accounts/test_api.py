import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AuditEvent, User
from tests.accounts.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

REGISTER = reverse("auth-api:register")
TOKEN = reverse("auth-api:token")
REFRESH = reverse("auth-api:token-refresh")
LOGOUT = reverse("auth-api:logout")
ME = reverse("auth-api:me")
PASSWORD_CHANGE = reverse("auth-api:password-change")
STRONG = "plum-orchard-47-violet"


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


# --- register ---------------------------------------------------------------


def test_register_creates_an_account(api_client):
    response = api_client.post(
        REGISTER, {"email": "New@Example.com", "full_name": "New Person", "password": STRONG}
    )
    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {
        "id": user.pk,
        "email": "new@example.com",
        "full_name": "New Person",
        "date_joined": response.json()["date_joined"],
        "two_factor_enabled": False,
        "email_verified": False,
        "timezone": "UTC",
        "daily_reminder": False,
    }
    assert "password" not in response.json()
    assert [message.to for message in mail.outbox] == [["new@example.com"]]


def test_register_refuses_an_email_used_in_any_letter_case(api_client, user):
    response = api_client.post(
        REGISTER, {"email": "ANN@EXAMPLE.COM", "full_name": "Ann", "password": STRONG}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["email"]
    assert "already exists" in response.json()["email"][0]


def test_register_reports_password_validator_messages(api_client):
    response = api_client.post(
        REGISTER, {"email": "a@example.com", "full_name": "A", "password": "12345"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["password"]
    assert any("too short" in message for message in response.json()["password"])
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("body", "content_type", "expected_fields"),
    [
        ("{not json", "application/json", {"detail", "code"}),
        ('["a", "list"]', "application/json", {"non_field_errors"}),
        ('"a string"', "application/json", {"non_field_errors"}),
        ("{}", "application/json", {"email", "full_name", "password"}),
        (
            '{"email": "x@example.com", "full_name": "X", "password": null}',
            "application/json",
            {"password"},
        ),
    ],
)
def test_register_answers_malformed_bodies_with_400(
    api_client, body, content_type, expected_fields
):
    response = api_client.generic("POST", REGISTER, body, content_type=content_type)
    assert response.status_code == 400
    assert set(response.json()) == expected_fields
    assert not User.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("email=x@example.com", "application/x-www-form-urlencoded"),
        (
            '--b\r\nContent-Disposition: form-data; name="email"\r\n\r\nx@example.com\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_register_takes_json_only(api_client, body, content_type):
    response = api_client.generic("POST", REGISTER, body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not User.objects.exists()


def test_register_reports_each_wrongly_typed_field(api_client):
    response = api_client.post(
        REGISTER, {"email": 123, "full_name": {"a": 1}, "password": ["x"]}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"email", "full_name", "password"}


# --- token ------------------------------------------------------------------


def test_token_returns_a_pair_for_valid_credentials(api_client, user):
    response = api_client.post(TOKEN, {"email": "Ann@Example.com", "password": DEFAULT_PASSWORD})
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}
    assert bearer(response.json()["access"]).get(ME).json()["email"] == user.email


@pytest.mark.parametrize(
    "credentials",
    [
        {"email": "ann@example.com", "password": "wrong-password"},
        {"email": "nobody@example.com", "password": DEFAULT_PASSWORD},
    ],
)
def test_token_refuses_wrong_credentials_with_401(api_client, user, credentials):
    response = api_client.post(TOKEN, credentials)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_token_ignores_a_code_when_2fa_is_off(api_client, user):
    response = api_client.post(
        TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD, "otp": "123456"}
    )
    assert response.status_code == 200


def test_token_refuses_an_inactive_user(api_client, user):
    user.is_active = False
    user.save()
    response = api_client.post(TOKEN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 401


def test_token_with_missing_fields_is_a_400(api_client):
    response = api_client.post(TOKEN, {"email": "ann@example.com"})
    assert response.status_code == 400
    assert list(response.json()) == ["password"]


# --- refresh, rotation, reuse, logout --------------------------------------


def test_refresh_rotates_and_reusing_the_old_token_is_a_401(api_client, token_pair):
    first = api_client.post(REFRESH, {"refresh": token_pair["refresh"]})
    assert first.status_code == 200
    assert set(first.json()) == {"access", "refresh"}
    assert first.json()["refresh"] != token_pair["refresh"]
    assert bearer(first.json()["access"]).get(ME).status_code == 200

    reuse = api_client.post(REFRESH, {"refresh": token_pair["refresh"]})
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "token_not_valid"
    assert reuse["WWW-Authenticate"] == 'Bearer realm="api"'

    # A spent token coming back means it was copied: its successor dies with it
    # (tests/accounts/test_api_security.py covers the whole family).
    assert api_client.post(REFRESH, {"refresh": first.json()["refresh"]}).status_code == 401


@pytest.mark.parametrize("junk", ["", "not-a-token", "a.b.c"])
def test_refresh_with_junk_is_refused(api_client, junk):
    response = api_client.post(REFRESH, {"refresh": junk})
    assert response.status_code in (400, 401)
    assert response.status_code == (400 if junk == "" else 401)


def test_an_access_token_is_not_a_refresh_token(api_client, token_pair):
    assert api_client.post(REFRESH, {"refresh": token_pair["access"]}).status_code == 401


def test_refresh_for_a_deleted_user_is_401_not_500(api_client, user, token_pair):
    user.delete()
    response = api_client.post(REFRESH, {"refresh": token_pair["refresh"]})
    assert response.status_code == 401


def test_refresh_for_a_deactivated_user_is_401(api_client, user, token_pair):
    user.is_active = False
    user.save()
    assert api_client.post(REFRESH, {"refresh": token_pair["refresh"]}).status_code == 401
    assert bearer(token_pair["access"]).get(ME).status_code == 401


def test_logout_kills_the_refresh_token(api_client, token_pair):
    response = api_client.post(LOGOUT, {"refresh": token_pair["refresh"]})
    assert response.status_code == 204
    assert api_client.post(REFRESH, {"refresh": token_pair["refresh"]}).status_code == 401
    assert api_client.post(LOGOUT, {"refresh": token_pair["refresh"]}).status_code == 401


def test_logout_needs_a_refresh_token(api_client):
    response = api_client.post(LOGOUT, {})
    assert response.status_code == 400
    assert list(response.json()) == ["refresh"]


# --- me -----------------------------------------------------------------------


def test_me_requires_authentication(api_client):
    response = api_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_me_rejects_a_tampered_token(api_client, token_pair):
    response = bearer(token_pair["access"][:-2] + "xx").get(ME)
    assert response.status_code == 401


def test_me_ignores_basic_authentication(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION="Basic YW5uQGV4YW1wbGUuY29tOnBhc3M=")
    assert api_client.get(ME).status_code == 401


def test_me_shows_the_user(jwt_client, user):
    data = jwt_client.get(ME).json()
    assert data["id"] == user.pk
    assert data["email"] == "ann@example.com"
    assert data["full_name"] == "Ann Example"
    assert data["two_factor_enabled"] is False
    assert data["email_verified"] is False
    assert data["date_joined"].startswith(str(user.date_joined.year))


def test_me_patch_changes_the_name_but_never_the_email(jwt_client, user):
    response = jwt_client.patch(ME, {"full_name": "Ann Renamed", "email": "evil@example.com"})
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.full_name, user.email) == ("Ann Renamed", "ann@example.com")


@pytest.mark.parametrize("body", [{"full_name": ""}, {"full_name": "x" * 151}, {}, []])
def test_me_patch_with_bad_input_is_a_400(jwt_client, user, body):
    response = jwt_client.patch(ME, body, format="json")
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.full_name == "Ann Example"


# --- password change ----------------------------------------------------------


def test_password_change_kills_refresh_tokens_access_tokens_and_other_sessions(
    api_client, jwt_client, user, token_pair
):
    other_device = services.token_pair_issue(user=user)
    browser = Client()
    browser.force_login(user)
    assert browser.get(reverse("tasks:dashboard")).status_code == 200

    response = jwt_client.post(
        PASSWORD_CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": STRONG}
    )
    assert response.status_code == 204

    for pair in (token_pair, other_device):
        assert api_client.post(REFRESH, {"refresh": pair["refresh"]}).status_code == 401
        assert bearer(pair["access"]).get(ME).status_code == 401
    assert browser.get(reverse("tasks:dashboard")).status_code == 302
    new_login = api_client.post(TOKEN, {"email": user.email, "password": STRONG})
    assert new_login.status_code == 200


def test_password_change_is_audited_with_the_client_address(jwt_client, user):
    response = jwt_client.post(
        PASSWORD_CHANGE,
        {"old_password": DEFAULT_PASSWORD, "new_password": STRONG},
        REMOTE_ADDR="198.51.100.20",
    )
    assert response.status_code == 204
    event = AuditEvent.objects.get(user=user, event="password_changed")
    assert event.ip_address == "198.51.100.20"


def test_password_change_with_the_wrong_old_password_is_a_400(jwt_client, user):
    response = jwt_client.post(PASSWORD_CHANGE, {"old_password": "nope", "new_password": STRONG})
    assert response.status_code == 400
    assert list(response.json()) == ["old_password"]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_validates_the_new_password(jwt_client):
    response = jwt_client.post(
        PASSWORD_CHANGE, {"old_password": DEFAULT_PASSWORD, "new_password": "abc"}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["new_password"]


def test_password_change_requires_authentication(api_client):
    response = api_client.post(PASSWORD_CHANGE, {"old_password": "a", "new_password": "b"})
    assert response.status_code == 401


def test_a_name_over_the_limit_is_refused_even_if_padded_with_spaces(api_client):
    """maxLength in the schema counts the string as sent; so does the API."""
    body = {"email": "padded@example.com", "password": "a-Long-enough-Passw0rd"}
    padded = api_client.post(
        reverse("auth-api:register"), {**body, "full_name": "   " + "n" * 149}, format="json"
    )
    assert padded.status_code == 400
    assert "full_name" in padded.json()
    exact = api_client.post(
        reverse("auth-api:register"), {**body, "full_name": " " + "n" * 149}, format="json"
    )
    assert exact.status_code == 201
    assert exact.json()["full_name"] == "n" * 149
