"""The request user comes from the cache (issue 6), and every change to it counts at once."""

import pytest
from django.urls import reverse
from django_otp import devices_for_user

from accounts import services
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.accounts.otp import enable_two_factor

pytestmark = pytest.mark.django_db

ME = reverse("auth-api:me")
PROFILE = reverse("accounts:profile")


def test_a_signed_in_api_request_reads_no_user_row(jwt_client, user, django_assert_num_queries):
    assert jwt_client.get(ME).status_code == 200  # reads the user once, into the cache
    with django_assert_num_queries(0):
        response = jwt_client.get(ME)
    assert response.json()["email"] == user.email


def test_a_signed_in_page_reads_only_the_session(client, user, django_assert_num_queries):
    client.force_login(user)
    client.get(reverse("tasks:dashboard"))  # caches the user and the dashboard's figures
    with django_assert_num_queries(1):  # the session row; the user comes from the cache
        assert client.get(reverse("tasks:dashboard")).status_code == 200


def test_deactivation_ends_cached_access_at_once(jwt_client, client, user):
    client.force_login(user)
    assert jwt_client.get(ME).status_code == 200
    assert client.get(PROFILE).status_code == 200
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert jwt_client.get(ME).status_code == 401
    assert client.get(PROFILE).status_code == 302  # to the login page


def test_a_password_change_ends_cached_tokens_and_sessions_at_once(jwt_client, client, user):
    client.force_login(user)
    assert jwt_client.get(ME).status_code == 200
    assert client.get(PROFILE).status_code == 200
    services.user_password_change(
        user=user, old_password=DEFAULT_PASSWORD, new_password="n3w-Passphrase!"
    )
    refused = jwt_client.get(ME)
    assert refused.status_code == 401
    assert refused.json()["code"] == "password_changed"
    assert client.get(PROFILE).status_code == 302


def test_turning_two_factor_on_and_off_shows_at_once(jwt_client, user):
    assert jwt_client.get(ME).json()["two_factor_enabled"] is False
    enable_two_factor(user)
    assert jwt_client.get(ME).json()["two_factor_enabled"] is True
    for device in devices_for_user(user):  # the authenticator and the backup codes
        device.delete()
    assert jwt_client.get(ME).json()["two_factor_enabled"] is False


def test_a_profile_change_shows_at_once(jwt_client, user):
    jwt_client.get(ME)
    services.user_update(user=user, full_name="Renamed Person")
    assert jwt_client.get(ME).json()["full_name"] == "Renamed Person"


def test_a_deleted_user_is_refused_not_served_from_the_cache(jwt_client, user):
    assert jwt_client.get(ME).status_code == 200
    user.delete()
    response = jwt_client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "user_not_found"


def test_me_answers_the_users_current_values_in_utc(jwt_client, user):
    enable_two_factor(user)
    services.user_update(user=user, timezone="America/St_Johns")
    body = jwt_client.get(ME).json()
    user.refresh_from_db()
    assert body["id"] == user.pk
    assert body["email"] == user.email
    assert body["full_name"] == user.full_name
    # me/ answers in UTC, as it always did, whatever the user's zone.
    assert body["date_joined"] == user.date_joined.isoformat().replace("+00:00", "Z")
    assert body["two_factor_enabled"] is True
    assert body["email_verified"] is user.email_verified
    assert body["timezone"] == "America/St_Johns"
    assert body["daily_reminder"] is False
