"""The optional read replica (core/routers.py): who reads where, and the settings wiring."""

import copy

import pytest
from django.db import connections, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import routers
from core.routers import PIN_COOKIE, PRIMARY, REPLICA, PrimaryReplicaRouter
from tasks.models import Task
from tests.tasks.factories import TaskFactory
from tests.test_settings import PRODUCTION_ENV, manage

router = PrimaryReplicaRouter()


def through_middleware(request, view):
    """Run `view(request)` the way a request runs: inside ReplicaRoutingMiddleware."""
    return routers.ReplicaRoutingMiddleware(view)(request)


def reads_from(request, *, write_first=False):
    seen = {}

    def view(request):
        if write_first:
            router.db_for_write(Task)
        seen["db"] = router.db_for_read(Task)
        return HttpResponse()

    response = through_middleware(request, view)
    return seen["db"], response


# --- Routing rules (no database) ------------------------------------------------------


def test_outside_a_request_everything_uses_the_primary():
    # Management commands, Celery jobs and shells never read a lagging replica.
    assert router.db_for_read(Task) == PRIMARY
    assert router.db_for_write(Task) == PRIMARY


@pytest.mark.parametrize("method", ["get", "head", "options"])
def test_safe_requests_read_from_the_replica(method, monkeypatch):
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", False)
    db, response = reads_from(getattr(RequestFactory(), method)("/tasks/"))
    assert db == REPLICA
    assert PIN_COOKIE not in response.cookies


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_unsafe_requests_read_from_the_primary(method, monkeypatch):
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", False)
    db, _ = reads_from(getattr(RequestFactory(), method)("/tasks/"))
    assert db == PRIMARY


def test_after_a_write_the_rest_of_the_request_reads_the_primary_and_the_browser_is_pinned(
    monkeypatch, settings
):
    settings.DATABASE_REPLICA_PIN_SECONDS = 7
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", False)
    db, response = reads_from(RequestFactory().get("/tasks/"), write_first=True)
    assert db == PRIMARY
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 7
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_a_pinned_browser_reads_the_primary(monkeypatch):
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", False)
    request = RequestFactory().get("/tasks/")
    request.COOKIES[PIN_COOKIE] = "1"
    db, _ = reads_from(request)
    assert db == PRIMARY


def test_pinning_can_be_switched_off(monkeypatch, settings):
    settings.DATABASE_REPLICA_PIN_SECONDS = 0
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", False)
    _, response = reads_from(RequestFactory().post("/tasks/"), write_first=True)
    assert PIN_COOKIE not in response.cookies


def test_the_request_state_ends_with_the_request(monkeypatch):
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", False)
    reads_from(RequestFactory().get("/tasks/"))
    assert router.db_for_read(Task) == PRIMARY


def test_reads_inside_a_transaction_on_the_primary_stay_on_the_primary(monkeypatch):
    monkeypatch.setattr(routers.connections[PRIMARY], "in_atomic_block", True)
    db, _ = reads_from(RequestFactory().get("/tasks/"))
    assert db == PRIMARY


def test_relations_are_allowed_and_migrations_run_only_on_the_primary():
    assert router.allow_relation(Task(), Task()) is True
    assert router.allow_migrate(PRIMARY, "tasks") is True
    assert router.allow_migrate(REPLICA, "tasks") is False


# --- Real queries on a second alias ------------------------------------------------------


# The "replica" alias is the test database itself (TEST MIRROR: a replica with no lag). It is
# registered when this module is imported, before pytest-django sets the test databases up, so
# that set-up points it at the test database; nothing routes to it outside the fixture below.
if REPLICA not in connections.settings:
    _replica = copy.deepcopy(connections.settings[PRIMARY])
    _replica["TEST"] = {**_replica.get("TEST", {}), "MIRROR": PRIMARY}
    connections.settings[REPLICA] = _replica

with_replica = pytest.mark.django_db(transaction=True, databases=[PRIMARY, REPLICA])


@pytest.fixture
def replica(settings):
    """Route as config/settings/base.py does when DATABASE_REPLICA_URL is set.

    Tests using it are transactional: what the primary writes is committed, so the replica's
    own connection sees it.
    """
    assert connections[REPLICA].settings_dict["NAME"] == connections[PRIMARY].settings_dict["NAME"]
    settings.DATABASE_ROUTERS = ["core.routers.PrimaryReplicaRouter"]
    settings.MIDDLEWARE = ["core.routers.ReplicaRoutingMiddleware", *settings.MIDDLEWARE]
    yield connections[REPLICA]
    connections[REPLICA].close()


def tables(queries) -> str:
    return " ".join(query["sql"] for query in queries.captured_queries)


@with_replica
def test_a_get_reads_from_the_replica(replica, jwt_client, user):
    TaskFactory(owner=user, title="Seen through the replica")
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        response = jwt_client.get("/api/v1/tasks/")
    assert response.status_code == 200
    assert [task["title"] for task in response.json()["results"]] == ["Seen through the replica"]
    assert "tasks_task" in tables(on_replica)
    assert "tasks_task" not in tables(on_primary)
    assert PIN_COOKIE not in response.cookies


@with_replica
def test_a_post_reads_and_writes_the_primary_then_pins_the_browser(replica, jwt_client, user):
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[PRIMARY]) as on_primary,
    ):
        response = jwt_client.post("/api/v1/tasks/", {"title": "Written"}, format="json")
    assert response.status_code == 201, response.content
    assert on_replica.captured_queries == []
    assert "INSERT" in tables(on_primary)
    assert PIN_COOKIE in response.cookies

    # The next GET from this browser (it sends the cookie back) reads the primary.
    with CaptureQueriesContext(replica) as on_replica:
        response = jwt_client.get("/api/v1/tasks/")
    assert response.json()["count"] == 1
    assert on_replica.captured_queries == []


@with_replica
def test_a_page_get_with_a_session_reads_from_the_replica(replica, client, user):
    TaskFactory(owner=user, title="A page read")
    client.force_login(user)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get(reverse("tasks:list"))
    assert response.status_code == 200
    assert "A page read" in response.content.decode()
    assert "django_session" in tables(on_replica)
    assert "tasks_task" in tables(on_replica)


@with_replica
def test_inside_atomic_a_get_reads_what_it_just_wrote_from_the_primary(replica, user):
    def view(request):
        with transaction.atomic():
            TaskFactory(owner=user, title="Not committed yet")
            titles = list(Task.objects.values_list("title", flat=True))
        return HttpResponse(",".join(titles))

    with CaptureQueriesContext(replica) as on_replica:
        response = through_middleware(RequestFactory().get("/"), view)
    assert response.content == b"Not committed yet"
    assert on_replica.captured_queries == []


# --- Settings wiring ------------------------------------------------------------------

SHOW = (
    "from django.conf import settings as s; "
    "print(sorted(s.DATABASES), getattr(s, 'DATABASE_ROUTERS', []), s.MIDDLEWARE[0]); "
    "r = s.DATABASES.get('replica', {}); "
    "print(r.get('HOST'), r.get('TEST', {}).get('MIRROR'))"
)


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.production"])
def test_a_replica_url_adds_the_alias_router_and_middleware(module):
    env = {
        **PRODUCTION_ENV,
        "DJANGO_SETTINGS_MODULE": module,
        "DATABASE_REPLICA_URL": "postgres://reader@replica.internal:5432/taskflow",
    }
    result = manage("shell", "-v0", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    wiring, replica = result.stdout.strip().splitlines()
    assert wiring == (
        "['default', 'replica'] ['core.routers.PrimaryReplicaRouter'] "
        "core.routers.ReplicaRoutingMiddleware"
    )
    assert replica == "replica.internal default"


def test_without_a_replica_url_nothing_changes():
    result = manage("shell", "-v0", "-c", SHOW, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    wiring = result.stdout.strip().splitlines()[0]
    assert wiring.startswith("['default'] []")
    assert "routers" not in wiring


def test_production_with_a_replica_passes_the_deploy_check():
    env = {**PRODUCTION_ENV, "DATABASE_REPLICA_URL": "postgres://root@127.0.0.1:5432/test"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stderr
