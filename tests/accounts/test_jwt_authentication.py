"""Access tokens: a signature is verified once per process, expiry on every request."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.tokens import AccessToken

pytestmark = pytest.mark.django_db

ME = reverse("auth-api:me")


def bearer_client(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_a_token_used_again_is_not_decoded_again(user):
    client = bearer_client(AccessToken.for_user(user))
    decode = TokenBackend.decode
    with mock.patch.object(TokenBackend, "decode", autospec=True, side_effect=decode) as spy:
        assert client.get(ME).status_code == 200
        assert client.get(ME).status_code == 200
    assert spy.call_count == 1


def test_a_token_that_expires_after_its_first_use_is_refused(user):
    token = AccessToken.for_user(user)
    token.set_exp(lifetime=timedelta(seconds=2))  # a busy machine may take a second
    client = bearer_client(token)
    assert client.get(ME).status_code == 200
    time.sleep(2.1)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"  # the library's own answer


def test_a_forged_signature_is_refused_after_the_genuine_token_was_used(user):
    genuine = str(AccessToken.for_user(user))
    assert bearer_client(genuine).get(ME).status_code == 200
    header, payload, signature = genuine.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    response = bearer_client(forged).get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_a_password_change_still_ends_a_verified_token(user):
    client = bearer_client(AccessToken.for_user(user))
    assert client.get(ME).status_code == 200
    user.set_password("a-new-Passw0rd-for-tests")
    user.save()
    assert client.get(ME).status_code == 401
