"""Caps on tags (issue 14): per import file and per account, with clear errors."""

import json

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import Tag, Task
from tests.tasks.data_helpers import api_import, page_import

pytestmark = pytest.mark.django_db


def export_with_tags(count: int, rows: int = 1) -> bytes:
    per_row = [
        [f"t{n}" for n in range(start, min(start + 50, count))] for start in range(0, count, 50)
    ]
    tasks = [
        {"title": f"Task {n}", "tags": per_row[n % len(per_row)]}
        for n in range(max(rows, len(per_row)))
    ]
    return json.dumps({"version": 1, "tasks": tasks, "notes": []}).encode()


def upload(client, content: bytes):
    return api_import(client, content)


def test_one_import_creates_at_most_the_new_tag_cap(settings, jwt_client, user):
    settings.IMPORT_MAX_NEW_TAGS = 100
    response = upload(jwt_client, export_with_tags(101))
    assert response.status_code == 400
    assert "would create 101 new tags; one import may create 100" in response.json()["detail"]
    assert not Task.objects.exists() and not Tag.objects.exists()
    assert upload(jwt_client, export_with_tags(100)).status_code == 201
    assert Tag.objects.filter(owner=user).count() == 100


def test_tags_an_account_has_already_do_not_count_as_new(settings, jwt_client, user):
    settings.IMPORT_MAX_NEW_TAGS = 10
    for n in range(20):
        Tag.objects.create(owner=user, name=f"T{n}")  # any letter case matches
    assert upload(jwt_client, export_with_tags(20)).status_code == 201


def test_an_account_holds_at_most_its_tag_cap(settings, jwt_client, user):
    settings.TAGS_PER_ACCOUNT_MAX = 3
    services.task_create(owner=user, title="A", tags=["a", "b", "c"])
    refused = jwt_client.post(
        reverse("tasks-api:task-list"), {"title": "B", "tags": ["a", "d"]}, format="json"
    )
    assert refused.status_code == 400
    assert "at most 3 tags" in refused.json()["tags"][0]
    assert (
        jwt_client.post(
            reverse("tasks-api:task-list"), {"title": "C", "tags": ["a", "B"]}, format="json"
        ).status_code
        == 201
    )  # existing tags, any case
    named = jwt_client.post(reverse("tasks-api:tag-list"), {"name": "e"}, format="json")
    assert (named.status_code, list(named.json())) == (400, ["name"])
    assert upload(jwt_client, export_with_tags(5)).status_code == 400
    assert Tag.objects.filter(owner=user).count() == 3


def test_the_import_page_says_why_too(settings, client, user):
    settings.IMPORT_MAX_NEW_TAGS = 10
    client.force_login(user)
    response = page_import(client, export_with_tags(11))
    assert "one import may create 10" in response.content.decode()
    assert not Tag.objects.exists()
