"""Forty people using TaskFlow at once: pages and API, reads and writes (issue 7.5).

Run by tests/live/test_load.py. Each simulated user signs in as its own account
(LOAD_EMAIL_PATTERN with a number, LOAD_PASSWORD) through the API and the login page.
Request names are route templates, so the p95 table has one row per endpoint.
"""

import itertools
import os
import random
import re

from locust import HttpUser, between, task

from tests.live.harness import sending_secure_cookies

EMAILS = os.environ.get("LOAD_EMAIL_PATTERN", "load-{}@example.com")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
_numbers = itertools.count()
WORDS = ["report", "invoice", "garden", "meeting", "release", "review", "budget", "trip"]


class TaskFlowUser(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.email = EMAILS.format(next(_numbers))
        credentials = {"email": self.email, "password": PASSWORD}
        tokens = self.client.post(
            "/api/v1/auth/token/", json=credentials, name="POST /api/v1/auth/token/"
        ).json()
        self.bearer = {"Authorization": f"Bearer {tokens['access']}"}
        sending_secure_cookies(self.client)  # production's cookies over loopback HTTP
        login = self.client.get("/accounts/login/", name="GET /accounts/login/")
        form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
        self.client.post(
            "/accounts/login/",
            data={"username": self.email, "password": PASSWORD, "csrfmiddlewaretoken": form_token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
            name="POST /accounts/login/",
        )
        first_page = self.api_get("/api/v1/tasks/", name="GET /api/v1/tasks/")
        self.task_ids = [task["id"] for task in first_page["results"]]

    # --- helpers ---------------------------------------------------------------------

    def page(self, path, name, headers=None):
        """GET a page; a redirect (to the login page, say) is a failure, not a success."""
        with self.client.get(
            path, name=name, headers=headers, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")

    def api_get(self, path, name=None):
        return self.client.get(path, headers=self.bearer, name=name).json()

    def form_headers(self):
        return {"X-CSRFToken": self.client.cookies.get("csrftoken"), "Referer": self.host}

    def some_task(self):
        return random.choice(self.task_ids) if self.task_ids else None

    # --- pages -----------------------------------------------------------------------

    @task(3)
    def dashboard(self):
        self.page("/", name="GET /")

    @task(3)
    def task_list_page(self):
        self.page("/tasks/", name="GET /tasks/")

    @task(2)
    def search_page(self):
        self.page(f"/tasks/?search={random.choice(WORDS)}", name="GET /tasks/?search=")

    @task(1)
    def live_search_fragment(self):
        self.page(
            f"/tasks/?search={random.choice(WORDS)}",
            headers={"HX-Request": "true"},
            name="GET /tasks/?search= (htmx)",
        )

    @task(1)
    def create_on_page(self):
        self.client.post(
            "/tasks/new/",
            data={"title": f"page {random.choice(WORDS)}", "priority": "medium"},
            headers=self.form_headers(),
            allow_redirects=False,
            name="POST /tasks/new/",
        )

    @task(1)
    def mark_done_on_page(self):
        if pk := self.some_task():
            self.client.post(
                f"/tasks/{pk}/done/",
                data={"done": "true"},
                headers={**self.form_headers(), "HX-Request": "true"},
                name="POST /tasks/<pk>/done/ (htmx)",
            )

    @task(1)
    def notes_page(self):
        self.page("/notes/", name="GET /notes/")

    # --- API -------------------------------------------------------------------------

    @task(4)
    def api_list(self):
        self.client.get("/api/v1/tasks/", headers=self.bearer, name="GET /api/v1/tasks/")

    @task(2)
    def api_search(self):
        self.client.get(
            f"/api/v1/tasks/?search={random.choice(WORDS)}",
            headers=self.bearer,
            name="GET /api/v1/tasks/?search=",
        )

    @task(2)
    def api_detail(self):
        if pk := self.some_task():
            self.client.get(
                f"/api/v1/tasks/{pk}/", headers=self.bearer, name="GET /api/v1/tasks/<pk>/"
            )

    @task(1)
    def api_me(self):
        self.client.get("/api/v1/auth/me/", headers=self.bearer, name="GET /api/v1/auth/me/")

    @task(2)
    def api_create(self):
        response = self.client.post(
            "/api/v1/tasks/",
            headers=self.bearer,
            name="POST /api/v1/tasks/",
            json={"title": f"api {random.choice(WORDS)}", "tags": [random.choice(WORDS)]},
        )
        if response.status_code == 201:
            self.task_ids.append(response.json()["id"])

    @task(1)
    def api_update(self):
        if pk := self.some_task():
            self.client.patch(
                f"/api/v1/tasks/{pk}/",
                headers=self.bearer,
                json={"priority": "high"},
                name="PATCH /api/v1/tasks/<pk>/",
            )

    @task(1)
    def api_complete(self):
        if pk := self.some_task():
            self.client.post(
                f"/api/v1/tasks/{pk}/complete/",
                headers=self.bearer,
                name="POST /api/v1/tasks/<pk>/complete/",
            )

    @task(1)
    def api_delete(self):
        if len(self.task_ids) > 5:
            pk = self.task_ids.pop(random.randrange(len(self.task_ids)))
            self.client.delete(
                f"/api/v1/tasks/{pk}/", headers=self.bearer, name="DELETE /api/v1/tasks/<pk>/"
            )
