"""Bad input is a clear 400, never a 500 (issue 14, part 3)."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from tasks.models import Task

pytestmark = pytest.mark.django_db

TASKS_API = reverse("tasks-api:task-list")


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_that_leaves_the_calendar_in_utc_is_a_400(jwt_client, moment):
    response = jwt_client.get(TASKS_API, {"updated_after": moment})
    assert response.status_code == 400
    assert "between the years 1 and 9999" in response.json()["updated_after"][0]


@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_the_task_page_answers_such_a_time_with_a_form_error(client, user, moment):
    client.force_login(user)
    response = client.get(reverse("tasks:list"), {"updated_after": moment})
    assert response.status_code == 200
    assert "between the years 1 and 9999" in response.content.decode()


def test_a_body_over_the_upload_limit_is_a_json_400_under_the_api(jwt_client):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        body = '{"title": "' + "x" * 2000 + '"}'
        response = jwt_client.post(TASKS_API, body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "bad_request"
    assert not Task.objects.exists()


def test_a_host_not_allowed_is_a_json_400_under_the_api_and_html_elsewhere(user):
    client = Client(HTTP_HOST="evil.example")
    api = client.get(TASKS_API)
    assert (api.status_code, api["Content-Type"]) == (400, "application/json")
    assert api.json() == {
        "detail": "The Host header names a host this server does not answer for.",
        "code": "bad_request",
    }
    page = client.get(reverse("accounts:login"))
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


@override_settings(DEBUG=True)
def test_under_debug_an_unknown_api_url_is_still_a_json_404(jwt_client):
    response = jwt_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_the_task_page_caps_tags_as_the_api_does(client, user):
    client.force_login(user)
    tags = ", ".join(f"t{n}" for n in range(51))
    response = client.post(
        reverse("tasks:create"), {"title": "Many", "priority": "low", "tags": tags}
    )
    assert response.status_code == 200
    assert "At most 50 tags." in response.content.decode()
    assert not Task.objects.exists()
    fifty = ", ".join(f"t{n}" for n in range(50))
    client.post(reverse("tasks:create"), {"title": "Enough", "priority": "low", "tags": fifty})
    assert Task.objects.get().tags.count() == 50


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_to_no_api_route_is_a_json_404_not_a_csrf_403(method):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)("/api/v1/tasks/%C2%84/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
