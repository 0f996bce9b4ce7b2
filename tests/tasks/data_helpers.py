"""Exports and imports as pages and API clients run them: each starts a job (run eagerly
in tests) and then reads the job's outcome or downloads its file."""

import dataclasses
import json
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import services as account_services

EXPORT = reverse("tasks:export")
IMPORT = reverse("tasks:import")
API_EXPORT = reverse("tasks-api:data-export")
API_IMPORT = reverse("tasks-api:data-import")


def body(response) -> bytes:
    """A download's whole content (read from storage as it is sent)."""
    assert response.status_code == 200, getattr(response, "content", b"")
    assert response.streaming
    return b"".join(response.streaming_content)


def page_export(client, fmt: str):
    """The download of an export started on the page (jobs run eagerly here)."""
    response = client.post(EXPORT, {"format": fmt})
    assert response.status_code == 302, response.content
    job_page = client.get(response["Location"])
    download = re.search(r'href="([^"]+/download/)"', job_page.content.decode()).group(1)
    return client.get(download)


def api_export(client, fmt: str | None = "json", **extra):
    """The download of an export started through the API."""
    response = client.post(API_EXPORT, {} if fmt is None else {"format": fmt}, format="json")
    assert response.status_code == 202, response.content
    job = client.get(response["Location"]).json()
    assert job["status"] == "done", job
    return client.get(job["download_url"], **extra)


def jwt_for(user) -> APIClient:
    client = APIClient()
    access = account_services.token_pair_issue(user=user)["access"]
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def upload(content: str | bytes, name="export.json") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data)


@dataclasses.dataclass
class Outcome:
    """How an API import ended: refused at once (the POST's answer), or the finished
    job's result (status_code 201) or error (400), as its job URL reports them."""

    status_code: int
    body: dict

    def json(self) -> dict:
        return self.body

    @property
    def content(self) -> bytes:
        return json.dumps(self.body).encode()


def api_import(client, content, name="export.json", **fields) -> Outcome:
    response = client.post(
        API_IMPORT, {"file": upload(content, name), **fields}, format="multipart"
    )
    if response.status_code != 202:
        return Outcome(response.status_code, response.json())
    job = client.get(response["Location"]).json()
    assert job["kind"] == "import"
    if job["status"] == "done":
        return Outcome(201, job["result"])
    assert job["status"] == "failed", job
    return Outcome(400, job["error"])


def page_import(client, content, name="export.json"):
    """The import form's answer: a form error, or the page of the job it started."""
    response = client.post(IMPORT, {"file": upload(content, name)})
    if response.status_code == 302:
        assert "/data/jobs/" in response["Location"]
        return client.get(response["Location"])
    return response
