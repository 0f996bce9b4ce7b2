"""Locust, headless: 40 users, 2 minutes, pages and API, reads and writes (issue 7.5).

gunicorn as shipped (gunicorn.conf.py, WEB_CONCURRENCY 4) on the machine's PostgreSQL and
Redis. Passes with zero failed requests; prints the p95 of every endpoint.
"""

import csv
import subprocess

from tests.live.harness import (
    ARTIFACTS,
    PASSWORD,
    PY,
    ROOT,
    Gunicorn,
    fresh_shared_database,
    fresh_shared_redis,
    manage,
    prepare,
    production_env,
)

USERS = 40
RUN_SECONDS = 120
EMAILS = "load-{}@example.com"
TASKS_PER_USER = 200

SEED = f"""
from django.contrib.auth.hashers import make_password
from accounts.models import User
from tasks import counts
from tasks.models import Task
password = make_password({PASSWORD!r})  # one hash for all: {USERS} real hashings add nothing
users = User.objects.bulk_create(
    [User(email={EMAILS!r}.format(n), full_name=f"Load {{n}}", password=password)
     for n in range({USERS})]
)
words = ["report", "invoice", "garden", "meeting", "release", "review", "budget", "trip"]
Task.objects.bulk_create(
    [Task(owner=user, title=f"{{words[n % 8]}} {{n}}", priority=Task.Priority.values[n % 3])
     for user in users for n in range({TASKS_PER_USER})]
)
counts.counts_rebuild(owner_ids=[user.pk for user in users])  # bulk-created: no counts rows
"""


def test_forty_users_for_two_minutes_without_a_failure():
    env = production_env(
        database_url=fresh_shared_database("taskflow_live_load"),
        redis_url=fresh_shared_redis(10),
        WEB_CONCURRENCY="4",
        # Forty users behind one loopback address: the per-address anonymous API limit is
        # for the internet, where each client has its own (the sign-ins are anonymous).
        RATE_API_ANON="10000/min",
    )
    prepare(env)
    manage(env, "shell", "-c", SEED)
    report = ARTIFACTS / "load"
    with Gunicorn(env, name="load") as server:
        done = subprocess.run(
            [PY, "-m", "locust", "-f", str(ROOT / "tests/live/locustfile.py"), "--headless",
             "--users", str(USERS), "--spawn-rate", "10", "--run-time", f"{RUN_SECONDS}s",
             "--host", server.url, "--csv", str(report), "--only-summary",
             "--stop-timeout", "10", "--loglevel", "WARNING"],
            cwd=ROOT, env={**env, "LOAD_EMAIL_PATTERN": EMAILS, "LOAD_PASSWORD": PASSWORD},
            capture_output=True, text=True, timeout=RUN_SECONDS + 120,
        )  # fmt: skip
    rows = list(csv.DictReader((report.parent / "load_stats.csv").open()))
    print(f"\nlocust: {USERS} users for {RUN_SECONDS} s against {server.url}")
    print(f"{'endpoint':<42} {'requests':>9} {'failures':>9} {'p50 ms':>7} {'p95 ms':>7}")
    for row in rows:
        print(
            f"{row['Name'] if row['Name'] != 'Aggregated' else 'all':<42.42}"
            f" {row['Request Count']:>9} {row['Failure Count']:>9} {row['50%']:>7} {row['95%']:>7}"
        )
    failures = (report.parent / "load_failures.csv").read_text()
    total = next(row for row in rows if row["Name"] == "Aggregated")
    assert done.returncode == 0, done.stderr[-2000:] + failures
    assert int(total["Request Count"]) > USERS * RUN_SECONDS / 3  # the users kept working
    assert int(total["Failure Count"]) == 0, failures
    assert len(rows) > 15  # every endpoint of the mix was requested
