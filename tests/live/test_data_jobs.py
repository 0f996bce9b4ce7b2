"""Import and export never run in a web request (issue 14 §4), against real servers:
gunicorn with the repository's configuration (its 30 s timeout unchanged), a Celery worker
with 4 processes, PostgreSQL and Redis.

- A 100,000-task account exports completely: every row is in the downloaded file.
- Four 20,000-row imports, each creating 500 new tags, run in parallel and complete, while
  /health/ keeps answering under 100 ms at the 95th percentile.

Each test prints its figures.
"""

import csv
import io
import json
import re
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.live.harness import (
    PASSWORD,
    ROOT,
    CeleryWorker,
    Gunicorn,
    api_login,
    create_user,
    fresh_shared_database,
    fresh_shared_redis,
    manage,
    prepare,
    production_env,
)

EXPORTED_TASKS = 100_000
IMPORT_ROWS = 20_000
NEW_TAGS = 500
IMPORTERS = 4
JOB_SECONDS = 240
HEALTH_P95_MS = 100


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    redis_url = fresh_shared_redis(14)
    env = production_env(
        database_url=fresh_shared_database("taskflow_live_jobs"),
        redis_url=redis_url,
        CELERY_BROKER_URL=redis_url,  # a real queue: jobs run in the worker
        DATA_FILES_ROOT=str(tmp_path_factory.mktemp("data-files")),  # web and worker share it
    )
    env.pop("GUNICORN_TIMEOUT", None)  # the shipped default
    prepare(env)
    seeded = manage(
        env, "seed_demo", "--users", "0", "--heavy", str(EXPORTED_TASKS),
        "--notes-per-user", "5", "--password", PASSWORD, timeout=600,
    )  # fmt: skip
    heavy = re.search(rf"heavy user (\S+): {EXPORTED_TASKS} tasks", seeded).group(1)
    importers = [f"importer-{n}@example.com" for n in range(IMPORTERS)]
    for email in importers:
        create_user(env, email)
    with Gunicorn(env, name="jobs-web") as web, CeleryWorker(env, concurrency=IMPORTERS) as worker:
        print(f"\nweb {web.url} (gunicorn timeout {shipped_timeout()} s), worker x{IMPORTERS}")
        yield web, worker, env, heavy, importers


def shipped_timeout() -> int:
    config = (ROOT / "gunicorn.conf.py").read_text()
    return int(re.search(r'"GUNICORN_TIMEOUT", "(\d+)"', config).group(1))


def bearer(base: str, email: str) -> dict:
    return {"Authorization": f"Bearer {api_login(base, email)['access']}"}


def wait_for_job(url: str, headers: dict) -> dict:
    deadline = time.monotonic() + JOB_SECONDS
    while True:
        job = requests.get(url, headers=headers, timeout=10).json()
        if job["status"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"job not finished within {JOB_SECONDS} s: {job}"
        time.sleep(0.5)


def import_file() -> bytes:
    """IMPORT_ROWS tasks naming NEW_TAGS tags between them, one to three a row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "title", "priority", "tags"])
    for n in range(IMPORT_ROWS):
        tags = sorted({f"tag-{(n * k) % NEW_TAGS:03d}" for k in (1, 7, 13)[: 1 + n % 3]})
        writer.writerow(
            ["task", f"Imported task {n}", ("low", "medium", "high")[n % 3], ", ".join(tags)]
        )
    return out.getvalue().encode()


def test_a_100000_task_account_exports_completely(service):
    web, worker, _, heavy, _ = service
    headers = bearer(web.url, heavy)

    started = time.monotonic()
    response = requests.post(
        f"{web.url}/api/v1/export/", json={"format": "json"}, headers=headers, timeout=30
    )
    answered = time.monotonic() - started
    assert response.status_code == 202, response.text
    job = wait_for_job(response.headers["Location"], headers)
    finished = time.monotonic() - started
    assert job["status"] == "done", (job, worker.log()[-3000:])
    download = requests.get(job["download_url"], headers=headers, timeout=60)
    assert download.status_code == 200
    document = json.loads(download.content)

    assert len(document["tasks"]) == job["result"]["tasks"] == EXPORTED_TASKS
    assert len({task["id"] for task in document["tasks"]}) == EXPORTED_TASKS
    assert len(document["notes"]) == job["result"]["notes"] == 5
    assert len(download.content) == job["result"]["bytes"]
    assert answered < shipped_timeout()
    print(
        f"export of {EXPORTED_TASKS:,} tasks: POST answered 202 in {answered * 1000:.0f} ms; "
        f"file ready after {finished:.1f} s, {len(download.content) / 1e6:.1f} MB, "
        f"{len(document['tasks']):,} tasks and {len(document['notes'])} notes in it"
    )


def test_four_parallel_imports_complete_while_health_stays_fast(service):
    web, worker, env, _, importers = service
    content = import_file()
    assert len(content) < 5 * 1024 * 1024
    headers = [bearer(web.url, email) for email in importers]
    baseline = sample_health(web.url, seconds=3)
    samples: list[float] = []
    done = threading.Event()

    def watch_health():
        while not done.is_set():
            samples.append(timed_get(f"{web.url}/health/"))
            time.sleep(0.05)

    def run_import(auth: dict) -> tuple[float, float, dict]:
        started = time.monotonic()
        response = requests.post(
            f"{web.url}/api/v1/import/", headers=auth, timeout=30,
            files={"file": ("tasks.csv", content, "text/csv")},
        )  # fmt: skip
        answered = time.monotonic() - started
        assert response.status_code == 202, response.text
        job = wait_for_job(response.headers["Location"], auth)
        return answered, time.monotonic() - started, job

    watcher = threading.Thread(target=watch_health)
    watcher.start()
    try:
        with ThreadPoolExecutor(IMPORTERS) as pool:
            outcomes = list(pool.map(run_import, headers))
    finally:
        done.set()
        watcher.join()

    for answered, _, job in outcomes:
        assert job["status"] == "done", (job, worker.log()[-3000:])
        assert job["result"]["tasks"] == IMPORT_ROWS
        assert answered < shipped_timeout()
    counts = manage(
        env, "shell", "-v0", "-c",
        "from tasks.models import Tag, Task\n"
        f"for email in {importers!r}:\n"
        "    print(Task.objects.filter(owner__email=email).count(),"
        " Tag.objects.filter(owner__email=email).count())",
    ).split()  # fmt: skip
    assert counts == [str(IMPORT_ROWS), str(NEW_TAGS)] * IMPORTERS
    p95 = percentile(samples, 95)
    assert p95 < HEALTH_P95_MS, f"/health/ p95 {p95:.1f} ms during the imports"
    slowest = max(seconds for _, seconds, _ in outcomes)
    print(
        f"{IMPORTERS} parallel imports of {IMPORT_ROWS:,} rows ({len(content) / 1e6:.1f} MB, "
        f"{NEW_TAGS} new tags each): POSTs answered 202 in "
        f"{max(a for a, _, _ in outcomes) * 1000:.0f} ms at most; all done after {slowest:.1f} s"
    )
    print(
        f"/health/ during the imports: p50 {percentile(samples, 50):.1f} ms, p95 {p95:.1f} ms, "
        f"max {max(samples):.1f} ms over {len(samples)} requests "
        f"(before: p95 {percentile(baseline, 95):.1f} ms); gunicorn timeout {shipped_timeout()} s"
    )


def timed_get(url: str) -> float:
    started = time.perf_counter()
    response = requests.get(url, timeout=10)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    return elapsed


def sample_health(base: str, *, seconds: float) -> list[float]:
    samples, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(timed_get(f"{base}/health/"))
        time.sleep(0.05)
    return samples


def percentile(values: list[float], pct: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]
