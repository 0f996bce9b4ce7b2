"""The API picks its renderer as DRF does, remembering the choice per Accept header."""

import pytest
from django.urls import reverse
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.api import negotiation
from core.api.negotiation import RememberedContentNegotiation

pytestmark = pytest.mark.django_db
ME = reverse("auth-api:me")


@pytest.fixture(autouse=True)
def nothing_remembered(monkeypatch):
    monkeypatch.setattr(RememberedContentNegotiation, "_chosen", {})


def drf_request(accept=None, query=""):
    headers = {"HTTP_ACCEPT": accept} if accept is not None else {}
    return Request(APIRequestFactory().get(f"/x/{query}", **headers))


RENDERERS = [JSONRenderer(), BrowsableAPIRenderer()]
ACCEPTS = [
    None,
    "*/*",
    "application/json",
    "application/json, text/html",
    "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "application/json; indent=4",
    "application/*",
]


@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_choice_is_drfs_the_first_time_and_every_time_after(accept):
    expected = DefaultContentNegotiation().select_renderer(drf_request(accept), RENDERERS)
    remembered = RememberedContentNegotiation()
    for _ in range(3):
        assert remembered.select_renderer(drf_request(accept), RENDERERS) == expected
    assert len(RememberedContentNegotiation._chosen) == 1


def test_the_same_header_with_other_renderers_is_negotiated_again():
    remembered = RememberedContentNegotiation()
    html_first = [BrowsableAPIRenderer(), JSONRenderer()]
    renderer, _ = remembered.select_renderer(drf_request("*/*"), RENDERERS)
    assert isinstance(renderer, JSONRenderer)
    renderer, _ = remembered.select_renderer(drf_request("*/*"), html_first)
    assert isinstance(renderer, BrowsableAPIRenderer)


def test_a_format_override_is_never_taken_from_memory():
    remembered = RememberedContentNegotiation()
    remembered.select_renderer(drf_request("*/*"), RENDERERS)
    renderer, _ = remembered.select_renderer(drf_request("*/*", "?format=api"), RENDERERS)
    assert isinstance(renderer, BrowsableAPIRenderer)


def test_an_unacceptable_header_is_406_every_time(jwt_client):
    for _ in range(2):
        response = jwt_client.get(ME, HTTP_ACCEPT="text/csv")
        assert response.status_code == 406
    assert RememberedContentNegotiation._chosen == {}
    assert jwt_client.get(ME, HTTP_ACCEPT="application/json").status_code == 200


def test_invented_headers_cannot_grow_the_memory(monkeypatch):
    monkeypatch.setattr(negotiation, "REMEMBERED_CHOICES", 3)
    remembered = RememberedContentNegotiation()
    for n in range(10):
        accept = f"application/json; v={n}"
        renderer, media_type = remembered.select_renderer(drf_request(accept), RENDERERS)
        assert (type(renderer), media_type) == (JSONRenderer, accept)
    assert len(RememberedContentNegotiation._chosen) == 3
