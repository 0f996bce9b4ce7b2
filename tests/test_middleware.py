import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_htmx_request_without_a_session_redirects_the_whole_page(client):
    response = client.get(reverse("tasks:list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert not response.content


def test_a_plain_request_without_a_session_gets_an_ordinary_redirect(client):
    response = client.get(reverse("tasks:list"))
    assert response.status_code == 302
    assert not response.has_header("HX-Redirect")


def test_other_htmx_redirects_are_left_alone(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"), {"full_name": "New"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 302
    assert not response.has_header("HX-Redirect")
