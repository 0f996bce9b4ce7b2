"""A client generated from the live server's OpenAPI schema holds to it (issue 14).

openapi-python-client generates the typed httpx client a mobile team would generate, with
`raise_on_unexpected_status`: any status the schema does not name for an operation raises.
Against one gunicorn on production settings it signs in, creates and lists a task, meets a
stale If-Match (412) and the per-user limit (429), each parsed into the documented model.
"""

import importlib
import os
import subprocess
import sys

import pytest
import requests

from tests.live.harness import (
    PASSWORD,
    PY,
    Gunicorn,
    create_user,
    fresh_shared_database,
    fresh_shared_redis,
    prepare,
    production_env,
)

EMAIL = "generated-client@example.com"
PER_MINUTE = 25  # RATE_API_USER for this server: low enough to reach in a few requests


@pytest.fixture(scope="module")
def server():
    env = production_env(
        database_url=fresh_shared_database("taskflow_live_client"),
        redis_url=fresh_shared_redis(13),
        RATE_API_USER=f"{PER_MINUTE}/m",
    )
    prepare(env)
    create_user(env, EMAIL)
    with Gunicorn(env, name="client") as app:
        yield app


@pytest.fixture(scope="module")
def api(server, tmp_path_factory):
    """The generated package, imported, and the server's URL."""
    out = tmp_path_factory.mktemp("generated")
    schema = out / "schema.json"
    response = requests.get(f"{server.url}/api/schema/?format=json", timeout=30)
    response.raise_for_status()
    schema.write_text(response.text)
    generator = os.path.join(os.path.dirname(PY), "openapi-python-client")
    bin_path = os.path.dirname(PY) + os.pathsep + os.environ.get("PATH", "")
    package_dir = str(out / "taskflow_api_client")
    subprocess.run(
        [
            generator,
            "generate",
            "--path",
            str(schema),
            "--meta",
            "none",
            "--output-path",
            package_dir,
        ],
        check=True,
        env={**os.environ, "PATH": bin_path},  # it formats what it writes with ruff
        timeout=180,
    )
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module("taskflow_api_client"), server.url
    finally:
        sys.path.remove(str(out))


def test_a_generated_client_signs_in_writes_and_meets_412_and_429(api):
    package, url = api
    from taskflow_api_client.api.auth import auth_token_create
    from taskflow_api_client.api.tasks import tasks_create, tasks_list, tasks_partial_update
    from taskflow_api_client.models import (
        Error,
        PaginatedTaskList,
        PatchedTaskRequest,
        Task,
        TaskRequest,
        TokenObtainRequest,
        TokenPair,
    )

    anonymous = package.Client(base_url=url, raise_on_unexpected_status=True)
    login = auth_token_create.sync_detailed(
        client=anonymous, body=TokenObtainRequest(email=EMAIL, password=PASSWORD)
    )
    assert login.status_code == 200 and isinstance(login.parsed, TokenPair)
    client = package.AuthenticatedClient(
        base_url=url, token=login.parsed.access, raise_on_unexpected_status=True
    )

    created = tasks_create.sync_detailed(client=client, body=TaskRequest(title="Generated"))
    assert created.status_code == 201 and isinstance(created.parsed, Task)
    assert created.headers["ETag"] == f'"{created.parsed.id}-1"'
    listed = tasks_list.sync_detailed(client=client)
    assert isinstance(listed.parsed, PaginatedTaskList)
    assert [task.title for task in listed.parsed.results] == ["Generated"]

    stale = tasks_partial_update.sync_detailed(
        str(created.parsed.id),
        client=client,
        body=PatchedTaskRequest(title="Too late"),
        if_match=f'"{created.parsed.id}-0"',
    )
    assert stale.status_code == 412 and isinstance(stale.parsed, Error)
    assert stale.parsed.code == "precondition_failed"
    assert stale.headers["ETag"] == created.headers["ETag"]

    statuses = []
    for _ in range(PER_MINUTE + 1):  # the requests above counted too
        answer = tasks_list.sync_detailed(client=client)
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert isinstance(answer.parsed, Error) and answer.parsed.code == "throttled"
    assert int(answer.headers["Retry-After"]) >= 1
