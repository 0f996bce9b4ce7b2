"""A real Celery worker, in its own process, runs jobs queued through Redis.

The worker gets a queue of its own on Redis database 15, so it never takes anyone else's
jobs, and the suite's cache.clear() (FLUSHDB on REDIS_URL's database) never empties its
queue. Every wait is bounded.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery import Celery
from django.conf import settings

pytestmark = pytest.mark.redis

ROOT = Path(__file__).resolve().parent.parent
CELERY = Path(sys.executable).with_name("celery")
WORKER_DATABASE = 15
START_SECONDS = 60
JOB_SECONDS = 30


def isolated(url: str) -> str:
    return urlsplit(url)._replace(path=f"/{WORKER_DATABASE}").geturl()


@pytest.fixture
def worker(tmp_path):
    """(client app, queue): a worker consuming only `queue`, and an app that sends to it."""
    broker = isolated(settings.REDIS_URL)
    queue = f"test-worker-{uuid.uuid4().hex}"
    node = f"{queue}@localhost"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    env.pop("CELERY_BROKER_URL", None)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "-Q",
                queue,
                "-n",
                node,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    client = Celery("worker-test", broker=broker, backend=broker)
    client.conf.update(broker_connection_retry_on_startup=True, broker_connection_timeout=5)

    def output() -> str:
        return log_path.read_text(errors="replace")[-5000:]

    try:
        deadline = time.monotonic() + START_SECONDS
        while not client.control.ping(destination=[node], timeout=1.0):
            assert process.poll() is None, f"the worker exited:\n{output()}"
            assert time.monotonic() < deadline, f"the worker did not start:\n{output()}"
        yield client, queue, output
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        client.close()


def test_a_worker_runs_queued_jobs_and_returns_their_results(worker):
    client, queue, output = worker
    ping = client.send_task("config.celery.ping", queue=queue)
    assert ping.get(timeout=JOB_SECONDS) == "pong", output()
    message = {
        "message_id": uuid.uuid4().hex,
        "to": ["ann@example.com"],
        "subject": "From the worker",
        "body": "A link that must not reach the logs: https://example.com/reset/SECRET/",
    }
    # As core.emails queues it: logs show the job's arguments as this, not the body.
    shown = repr({"message_id": message["message_id"], "subject": message["subject"]})

    def send():
        return client.send_task(
            "accounts.jobs.send_email",
            kwargs=message,
            kwargsrepr=shown,
            queue=queue,
            ignore_result=False,  # jobs keep no result unless asked (CELERY_TASK_IGNORE_RESULT)
        ).get(timeout=JOB_SECONDS)

    assert send() == 1, output()  # the worker's settings: locmem email, one message sent
    assert send() == 0, output()  # the same message, redelivered, is not sent again
    log = output()
    assert "accounts.jobs.send_email" in log
    assert "SECRET" not in log
