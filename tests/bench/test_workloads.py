"""bench/workloads.py and bench/report.py helpers: no servers, no database."""

from bench import report, workloads

METRICS = """\
# HELP taskflow_http_requests_total HTTP requests answered, by route template, method and status.
# TYPE taskflow_http_requests_total counter
taskflow_http_requests_total{method="GET",route="/api/v1/tasks/",status="200"} 120.0
taskflow_http_requests_total{method="GET",route="/api/v1/tasks/",status="404"} 2.0
taskflow_http_requests_total{method="POST",route="/api/v1/tasks/",status="201"} 50.0
taskflow_http_requests_total{method="GET",route="/api/v1/auth/me/",status="200"} 9.0
taskflow_db_queries_per_request_bucket{le="0.0",route="/api/v1/tasks/"} 90.0
taskflow_db_queries_per_request_bucket{le="1.0",route="/api/v1/tasks/"} 140.0
taskflow_db_queries_per_request_bucket{le="0.0",route="/api/v1/auth/me/"} 9.0
taskflow_db_queries_per_request_bucket{le="+Inf",route="/api/v1/tasks/"} 172.0
"""


def test_list_counts_reads_gets_and_queryless_requests_of_the_route():
    assert workloads.list_counts(METRICS) == (122.0, 90.0)
    assert workloads.list_counts(METRICS, "/api/v1/auth/me/") == (9.0, 9.0)


def test_cached_share_between_two_readings():
    assert workloads.cached_share((100.0, 40.0), (200.0, 115.0)) == 0.75
    assert workloads.cached_share((100.0, 40.0), (100.0, 40.0)) is None


def test_metric_samples_parses_labels_in_any_order():
    samples = workloads.metric_samples(METRICS, "taskflow_db_queries_per_request_bucket")
    assert samples[0] == ({"le": "0.0", "route": "/api/v1/tasks/"}, 90.0)
    assert len(samples) == 4


def test_latest_seed_run_keeps_the_newest_run_of_that_seed_in_user_order():
    emails = [
        "seed-13-100-0@example.com",
        "seed-13-200-10@example.com",
        "seed-13-200-2@example.com",
        "seed-42-300-0@example.com",
        "heavy-1000-13-200@example.com",
    ]
    assert workloads.latest_seed_run(emails) == [
        "seed-13-200-2@example.com",
        "seed-13-200-10@example.com",
    ]
    assert workloads.latest_seed_run(emails, seed=7) == []


def test_pages_for_caps_at_400_and_at_the_users_own_pages():
    assert workloads.pages_for(100_000) == 400
    assert workloads.pages_for(1000) == 50
    assert workloads.pages_for(1001) == 51
    assert workloads.pages_for(0) == 1


def test_first_pages_spread_the_threads_over_the_cycle():
    assert workloads.first_pages(400, 2) == [1, 201]
    assert workloads.first_pages(50, 4) == [1, 13, 25, 37]


def test_only_keys_resolve_aliases():
    assert workloads.only_keys("raw, page_through,many") == {
        "read_after_write",
        "page_through",
        "many_users",
    }
    assert workloads.only_keys(None) == set()


def test_entry_names_are_unique_per_variant():
    names = {
        workloads.entry_name(workload, 200, 16)
        for workload in workloads.WORKLOADS
        if workload.key == "read_after_write"
    }
    assert names == {"read_after_write@16x200", "read_after_write@200"}


def test_before_allows_ten_percent_slower_in_ratio_to_the_floor():
    assert report.before_ok(0.2196, 0.244)
    assert not report.before_ok(0.2195, 0.244)
    before = {"endpoints": {"api_list@1000": {"floor_ratio": 0.244}}}
    now = {"api_list@1000": {}, "api_me@1000": {}}
    assert report.before_ratios(now, before) == {"api_list@1000": 0.244}


def test_workload_checks_hold_each_variant_to_its_drf_target():
    entry = {
        "label": "API read after write, one user", "user_tasks": 1000, "drf_target": 2.0,
        "drf_ratio": 1.9, "non2xx": 0, "preflight_status": 201, "drf_preflight_status": 201,
        "drf": {"non2xx": 0},
    }  # fmt: skip
    rows = report.workload_checks({"workloads": {"read_after_write@1000": entry}})
    assert [(row["target"], row["ok"]) for row in rows] == [("≥ 2.0", False), ("0, 0; 2xx", True)]
