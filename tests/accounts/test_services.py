import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import services
from accounts.models import AuditEvent, User
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "plum-orchard-47-violet"


def test_user_create_stores_email_lower_cased_and_hashes_password():
    user = services.user_create(
        email="  Ann.Smith@Example.COM ", full_name=" Ann ", password=STRONG
    )
    user.refresh_from_db()
    assert user.email == "ann.smith@example.com"
    assert user.full_name == "Ann"
    assert user.check_password(STRONG)
    assert not user.password.startswith(STRONG)


def test_user_create_refuses_an_email_used_in_another_letter_case(user):
    with pytest.raises(ValidationError) as raised:
        services.user_create(email="ANN@example.com", full_name="Ann Again", password=STRONG)
    assert "already exists" in raised.value.message_dict["email"][0]
    assert User.objects.count() == 1


def test_user_create_applies_password_validators_and_reports_every_field():
    with pytest.raises(ValidationError) as raised:
        services.user_create(email="not-an-email", full_name="", password="123")
    errors = raised.value.message_dict
    assert set(errors) == {"email", "full_name", "password"}
    assert any("too short" in message for message in errors["password"])
    assert any("entirely numeric" in message for message in errors["password"])
    assert not User.objects.exists()


def test_database_refuses_an_upper_case_email_written_around_the_service():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="Mixed@Example.com", full_name="Raw")])


def test_login_lookup_ignores_letter_case(user):
    assert User.objects.get_by_natural_key("ANN@EXAMPLE.COM") == user


def test_login_check_password_accepts_the_email_in_any_case(rf, user):
    found = services.login_check_password(
        request=rf.post("/"), email="Ann@Example.com", password=DEFAULT_PASSWORD
    )
    assert found == user


def test_login_check_password_refuses_an_inactive_user(rf, user):
    user.is_active = False
    user.save()
    with pytest.raises(services.InvalidCredentials):
        services.login_check_password(
            request=rf.post("/"), email=user.email, password=DEFAULT_PASSWORD
        )


def test_user_update_changes_the_name_and_validates_it(user):
    services.user_update(user=user, full_name="Ann Renamed")
    user.refresh_from_db()
    assert user.full_name == "Ann Renamed"
    with pytest.raises(ValidationError) as raised:
        services.user_update(user=user, full_name="x" * 151)
    assert "full_name" in raised.value.message_dict


def test_password_change_checks_the_old_password(user):
    with pytest.raises(ValidationError) as raised:
        services.user_password_change(user=user, old_password="wrong", new_password=STRONG)
    assert "old_password" in raised.value.message_dict
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_password_change_validates_the_new_password(user):
    with pytest.raises(ValidationError) as raised:
        services.user_password_change(
            user=user, old_password=DEFAULT_PASSWORD, new_password="password"
        )
    assert "new_password" in raised.value.message_dict


def test_password_change_revokes_every_refresh_token(user):
    first = services.token_pair_issue(user=user)
    second = services.token_pair_issue(user=user)
    services.user_password_change(user=user, old_password=DEFAULT_PASSWORD, new_password=STRONG)
    for pair in (first, second):
        with pytest.raises(TokenError):
            services.token_pair_refresh(refresh=pair["refresh"])


def test_refresh_rotates_and_the_successor_keeps_working(user):
    pair = services.token_pair_issue(user=user)
    rotated = services.token_pair_refresh(refresh=pair["refresh"])
    assert rotated["refresh"] != pair["refresh"]
    assert services.token_pair_refresh(refresh=rotated["refresh"])["access"]


def test_reusing_a_rotated_token_kills_the_whole_family_and_is_audited(user):
    pair = services.token_pair_issue(user=user)
    other_device = services.token_pair_issue(user=user)
    rotated = services.token_pair_refresh(refresh=pair["refresh"])
    with pytest.raises(TokenError):
        services.token_pair_refresh(refresh=pair["refresh"])
    for survivor in (rotated, other_device):
        with pytest.raises(TokenError):
            services.token_pair_refresh(refresh=survivor["refresh"])
    assert AuditEvent.objects.filter(user=user, event="refresh_token_reused").count() == 1


def test_a_logged_out_token_presented_again_is_refused_without_killing_others(user):
    pair = services.token_pair_issue(user=user)
    other_device = services.token_pair_issue(user=user)
    services.token_revoke(refresh=pair["refresh"])
    with pytest.raises(TokenError):
        services.token_pair_refresh(refresh=pair["refresh"])
    assert services.token_pair_refresh(refresh=other_device["refresh"])["access"]
    assert not AuditEvent.objects.filter(event="refresh_token_reused").exists()


def test_refresh_keeps_the_login_time_and_never_outlives_the_chain_cap(user, settings):
    settings.JWT_REFRESH_MAX_DAYS = 30
    pair = services.token_pair_issue(user=user)
    original = RefreshToken(pair["refresh"])
    rotated = RefreshToken(services.token_pair_refresh(refresh=pair["refresh"])["refresh"])
    assert rotated["auth_time"] == original["auth_time"]
    assert rotated["exp"] <= original["auth_time"] + 30 * 86400


def test_a_chain_older_than_the_cap_is_over(user, settings):
    from accounts import tokens

    settings.JWT_REFRESH_MAX_DAYS = 30
    long_ago = int(RefreshToken().current_time.timestamp()) - 31 * 86400
    stale = tokens.refresh_token_mint(user=user, auth_time=long_ago)
    with pytest.raises(TokenError):
        services.token_pair_refresh(refresh=str(stale))


def test_refresh_for_a_deleted_user_is_refused(user):
    pair = services.token_pair_issue(user=user)
    user.delete()
    with pytest.raises(TokenError):
        services.token_pair_refresh(refresh=pair["refresh"])


def test_token_revoke_kills_the_refresh_token(user):
    pair = services.token_pair_issue(user=user)
    services.token_revoke(refresh=pair["refresh"])
    with pytest.raises(TokenError):
        services.token_pair_refresh(refresh=pair["refresh"])


def test_token_issue_records_the_login_time(user):
    assert user.last_login is None
    services.token_pair_issue(user=user)
    user.refresh_from_db()
    assert user.last_login is not None


def test_two_users_get_distinct_tokens():
    ann, bob = UserFactory(), UserFactory()
    ann_token = RefreshToken(services.token_pair_issue(user=ann)["refresh"])
    bob_token = RefreshToken(services.token_pair_issue(user=bob)["refresh"])
    assert ann_token["user_id"] == str(ann.pk)
    assert bob_token["user_id"] == str(bob.pk)
