"""A real gunicorn with two workers: /metrics adds up both, and stderr is JSON with our ids.

Loopback only, a throwaway SQLite file (the requests made never query it) and a bounded
wait for everything; the server is stopped, then killed if it will not stop.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
TOKEN = "gunicorn-metrics-test-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - http, loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def json_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        if raw.startswith("{"):
            lines.append(json.loads(raw))  # a broken JSON line fails the test here
    return lines


@pytest.fixture
def server(tmp_path):
    """gunicorn.conf.py as deployed: WEB_CONCURRENCY=2, metrics in a directory of our own."""
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by a previous run")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SENTRY_", "CELERY_")) and key != "REDIS_URL"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        GUNICORN_MAX_REQUESTS="0",
    )
    stderr_path = tmp_path / "gunicorn.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [
                str(GUNICORN),
                "config.wsgi:application",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, stderr_path.read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, stderr_path.read_text()
                time.sleep(0.1)
        yield base, metrics_dir, stderr_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def health_requests_total(base: str) -> float:
    status, headers, body = get(f"{base}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain")
    return sum(
        sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
        if sample.name == "taskflow_http_requests_total"
        and sample.labels == {"route": "/health/", "method": "GET", "status": "200"}
    )


def test_metrics_add_up_every_worker_and_logs_are_json(server):
    base, metrics_dir, stderr_path = server
    assert not (metrics_dir / "counter_999999.db").exists(), "on_starting empties the directory"
    assert get(f"{base}/metrics")[0] == 401

    sent = []

    def health():
        request_id = f"gunicorn-test-{uuid.uuid4().hex}"
        status, headers, _ = get(f"{base}/health/", {"X-Request-ID": request_id})
        assert status == 200
        assert headers["X-Request-ID"] == request_id
        sent.append(request_id)

    # Concurrent requests, so both sync workers answer some; more rounds until they have.
    deadline = time.monotonic() + 30
    with ThreadPoolExecutor(max_workers=4) as pool:
        while True:
            list(pool.map(lambda _: health(), range(20)))
            served_by = {
                line["pid"] for line in json_lines(stderr_path) if line.get("request_id") in sent
            }
            if len(served_by) >= 2 or time.monotonic() > deadline:
                break
    assert len(served_by) == 2, "both workers answered /health/"
    assert get(f"{base}/no-such-page/", {"X-Request-ID": "gunicorn-404"})[0] == 404

    # Each scrape is answered by one worker, and each sees every worker's count.
    for _ in range(6):
        assert health_requests_total(base) == len(sent)

    pids = {path.stem.rsplit("_", 1)[1] for path in metrics_dir.glob("histogram_*.db")}
    assert pids == {str(pid) for pid in served_by}

    lines = json_lines(stderr_path)
    [missing] = [line for line in lines if line.get("request_id") == "gunicorn-404"]
    assert missing["status"] == 404
    assert missing["route"] == "unmatched"
    assert missing["logger"] == "taskflow.request"
    for request_id in sent:
        [line] = [line for line in lines if line.get("request_id") == request_id]
        assert line["route"] == "/health/"
    assert any(line["logger"] == "gunicorn.error" for line in lines), "gunicorn's lines: JSON"
