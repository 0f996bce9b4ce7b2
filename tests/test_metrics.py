"""/metrics: token-protected Prometheus text, counting what real requests, reads and jobs did.

Metrics live in the test process's registry and add up across tests, so every assertion is
about the change a test made (`Scrape.delta`).
"""

import pytest
from celery import Celery
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from tests.tasks.factories import TaskFactory

TOKEN = "metrics-test-token-3f9a"
METRICS = "/metrics"
HEALTH = reverse("health")


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN


def scrape(client) -> dict:
    """Every sample of a scrape as {(name, sorted label pairs): value}."""
    response = client.get(METRICS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


class Scrape:
    """A scrape now, to compare with one taken after the code under test ran."""

    def __init__(self, client):
        self.client = client
        self.before = scrape(client)

    def delta(self, name, **labels):
        key = (name, tuple(sorted(labels.items())))
        return scrape(self.client).get(key, 0) - self.before.get(key, 0)

    def requests(self, route, method, status):
        return self.delta("taskflow_http_requests_total", route=route, method=method, status=status)


def test_metrics_are_disabled_without_a_token(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get(METRICS, headers={"Authorization": "Bearer "})
    assert response.status_code == 404


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
)
def test_metrics_refuse_a_missing_or_wrong_token(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(METRICS, headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"taskflow_" not in response.content


@pytest.mark.usefixtures("metrics_on")
def test_metrics_answer_prometheus_text_with_every_metric(client):
    response = client.get(METRICS, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "no-cache" in response["Cache-Control"]
    text = response.content.decode()
    for name in (
        "taskflow_http_requests_total",
        "taskflow_http_request_duration_seconds",
        "taskflow_db_queries_per_request",
        "taskflow_cache_operations_total",
        "taskflow_login_failures_total",
        "taskflow_jobs_total",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in text


@pytest.mark.usefixtures("metrics_on")
def test_requests_are_counted_by_route_method_and_status(client):
    scraped = Scrape(client)
    client.get(HEALTH)
    client.get(HEALTH)
    client.get("/no-such-page/")
    assert scraped.requests("/health/", "GET", "200") == 2
    assert scraped.requests("unmatched", "GET", "404") == 1


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.django_db
def test_routes_are_url_templates_never_raw_paths(client, jwt_client):
    """Ids and tokens in a path would make a series per object (and leak the tokens)."""
    scraped = Scrape(client)
    verify = client.get(reverse("accounts:verify-email", args=["secret-token-abc"]))
    assert verify.status_code == 200
    jwt_client.get("/api/v1/tasks/987654/")
    jwt_client.generic("BREW", "/api/v1/tasks/")
    text = client.get(METRICS, headers={"Authorization": f"Bearer {TOKEN}"}).content.decode()
    assert "secret-token-abc" not in text
    assert "987654" not in text
    assert scraped.requests("/accounts/verify-email/<str:token>/", "GET", "200") == 1
    assert scraped.requests("/api/v1/tasks/<pk>/", "GET", "404") == 1
    # Made-up methods share one label value: clients cannot add series.
    assert scraped.requests("/api/v1/tasks/", "other", "405") == 1


@pytest.mark.usefixtures("metrics_on")
def test_request_durations_fill_histogram_buckets(client):
    scraped = Scrape(client)
    client.get(HEALTH)
    labels = {"route": "/health/", "method": "GET"}
    name = "taskflow_http_request_duration_seconds"
    assert scraped.delta(f"{name}_count", **labels) == 1
    assert scraped.delta(f"{name}_bucket", le="+Inf", **labels) == 1
    assert scraped.delta(f"{name}_bucket", le="10.0", **labels) == 1
    assert scraped.delta(f"{name}_sum", **labels) > 0


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.django_db
def test_database_queries_are_counted_per_request(client, user):
    scraped = Scrape(client)
    client.get(HEALTH)
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("tasks:list"))
    queries = len(captured)  # now: the next request (the scrape) empties Django's query log
    assert queries > 0
    name = "taskflow_db_queries_per_request"
    assert scraped.delta(f"{name}_bucket", route="/health/", le="0.0") == 1
    assert scraped.delta(f"{name}_count", route="/tasks/") == 1
    assert scraped.delta(f"{name}_sum", route="/tasks/") == queries


@pytest.mark.usefixtures("metrics_on")
def test_cache_hits_and_misses_are_counted(client):
    scraped = Scrape(client)
    assert cache.get("metrics-test:absent") is None
    cache.set("metrics-test:present", None)  # a stored None is a hit, not a miss
    assert cache.get("metrics-test:present", "default") is None
    cache.set("metrics-test:other", 1)
    assert cache.get_many(["metrics-test:other", "metrics-test:gone"]) == {"metrics-test:other": 1}
    # A miss, then (Django's guard against a racing writer) a read-back that hits.
    assert cache.get_or_set("metrics-test:new", 5) == 5
    name = "taskflow_cache_operations_total"
    assert scraped.delta(name, result="hit") == 3
    assert scraped.delta(name, result="miss") == 3


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.django_db
def test_the_dashboard_misses_then_hits_the_stats_cache(client, user):
    TaskFactory(owner=user)
    client.force_login(user)
    scraped = Scrape(client)
    client.get(reverse("tasks:dashboard"))
    misses = scraped.delta("taskflow_cache_operations_total", result="miss")
    hits = scraped.delta("taskflow_cache_operations_total", result="hit")
    assert misses >= 1
    client.get(reverse("tasks:dashboard"))
    assert scraped.delta("taskflow_cache_operations_total", result="hit") > hits
    assert scraped.delta("taskflow_cache_operations_total", result="miss") == misses


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.django_db
def test_failed_logins_are_counted_from_pages_and_the_api(client, api_client, user):
    scraped = Scrape(client)
    client.post(reverse("accounts:login"), {"username": user.email, "password": "wrong"})
    response = api_client.post(
        reverse("auth-api:token"), {"email": user.email, "password": "wrong"}, format="json"
    )
    assert response.status_code == 401
    assert scraped.delta("taskflow_login_failures_total") == 2


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.django_db
def test_a_successful_login_is_not_a_failure(client, user, password):
    scraped = Scrape(client)
    client.post(reverse("accounts:login"), {"username": user.email, "password": password})
    assert scraped.delta("taskflow_login_failures_total") == 0


@pytest.mark.usefixtures("metrics_on")
def test_job_outcomes_are_counted_by_task_name(client):
    app = Celery("metrics-test", set_as_current=False)

    @app.task(name="tests.metrics.works")
    def works():
        return "done"

    @app.task(name="tests.metrics.breaks")
    def breaks():
        raise ValueError("job failed on purpose")

    scraped = Scrape(client)
    assert works.apply().get() == "done"
    assert works.apply().get() == "done"
    assert breaks.apply().failed()
    name = "taskflow_jobs_total"
    assert scraped.delta(name, job="tests.metrics.works", outcome="success") == 2
    assert scraped.delta(name, job="tests.metrics.breaks", outcome="failure") == 1
    assert scraped.delta(name, job="tests.metrics.works", outcome="failure") == 0
