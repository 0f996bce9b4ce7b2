"""An unreachable database answers 503 with Retry-After and no traceback (core.http.errors)."""

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_list(monkeypatch):
    """From now on every query fails: as if PostgreSQL were restarting, or with a bug."""

    def set_error(error: Exception):
        def fail(*args, **kwargs):
            raise error

        monkeypatch.setattr(CursorWrapper, "execute", fail)

    return set_error


@pytest.fixture
def unchecked_client(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_the_api_answers_503_json_while_the_database_is_unreachable(jwt_client, broken_list):
    broken_list(OperationalError("connection refused: is the server running?"))
    jwt_client.raise_request_exception = False
    response = jwt_client.get(reverse("tasks-api:task-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "detail": "Service briefly unavailable; retry shortly.",
        "code": "unavailable",
    }


def test_a_page_answers_503_while_the_database_is_unreachable(unchecked_client, broken_list):
    broken_list(OperationalError("the database system is starting up"))
    response = unchecked_client.get(reverse("tasks:list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.content.decode()
    assert "Back in a moment" in body
    assert "Traceback" not in body and "starting up" not in body
    assert "Content-Security-Policy" in response  # the usual headers still apply


def test_other_errors_stay_500_without_a_traceback(jwt_client, unchecked_client, broken_list):
    broken_list(ValueError("a bug"))
    jwt_client.raise_request_exception = False
    api = jwt_client.get(reverse("tasks-api:task-list"))
    assert api.status_code == 500
    assert api.json()["code"] == "server_error"
    page = unchecked_client.get(reverse("tasks:list"))
    assert page.status_code == 500
    assert "a bug" not in page.content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/v1/tasks/%C2%84/"),
        ("get", "/api/v1/tasks/abc/"),
        ("get", "/api/v1/no-such-thing/"),
        ("get", "/api/nothing"),
    ],
)
def test_an_api_url_no_pattern_matches_answers_drf_404_json(jwt_client, method, path):
    response = getattr(jwt_client, method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_api_404_for_unknown_urls_matches_drf_404s(jwt_client):
    # A DRF view's own 404 (an object that is not there) has the same code and shape.
    drf = jwt_client.get(reverse("tasks-api:task-detail", args=[999999])).json()
    unmatched = jwt_client.get("/api/v1/tasks/abc/").json()
    assert set(drf) == set(unmatched) == {"detail", "code"}
    assert drf["code"] == unmatched["code"]


def test_a_page_url_no_pattern_matches_keeps_the_html_404(unchecked_client):
    response = unchecked_client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
