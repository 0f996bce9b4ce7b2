"""Issue 13's realistic workloads for bench/run.py, and what they need around wrk.

Each workload runs bench/workloads.lua (one mode per workload) against the product and
against the default-DRF anchor (bench/drf_settings.py), interleaved with the floor:

- `read_after_write`: each connection POSTs a task, then GETs the list once the POST is
  answered, then POSTs again; as one user per connection (the seeded many users: no GET
  can find a cached answer) and as each heavy user on every connection;
- `page_through`: GET pages 1 to 400 in turn for the largest heavy user;
- `many_users`: GET the list as a random one of 500+ seeded users, caches flushed first.

Pure helpers (parsing /metrics, picking the seeded users, page offsets) are kept apart
from those that start processes or touch Redis, so tests/bench can check them alone.
"""

import json
import os
import re
import subprocess
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPT = BENCH / "workloads.lua"
LIST_PATH = "/api/v1/tasks/"
PAGE_SIZE = 20  # the product's and the anchor's
PAGES = 400  # page_through walks pages 1..PAGES (fewer when the user has fewer)
# seed_demo names its users seed-<seed>-<run stamp>-<n>@example.com: the many users are
# the latest run seeded with this --seed (issue 13), apart from every other seed.
MANY_USERS_SEED = 13
MANY_USERS_MIN = 500
# The product's cache in the benchmark: bench/run.py's own Redis database, flushed before
# the runs that must start cold. Never another index, never FLUSHALL.
REDIS_URL = "redis://127.0.0.1:6379/3"
BENCH_REDIS_DB = 3
# Connections the benchmark opens besides the product's carry these names (PGAPPNAME), so
# the connection sampler counts the product's alone.
APP_NAME_PREFIX = "taskflow-bench-"


@dataclass(frozen=True)
class Workload:
    key: str  # what --only names; a workload may run in several variants
    label: str
    # Whose requests: "heavy" (each heavy user in turn, on every connection), "largest"
    # (the largest heavy user), "many" (a random many-user per request), "per_connection"
    # (many-user k on connection k).
    users: str
    drf_target: float | None  # minimum product req/s ÷ default DRF's, if issue 13 sets one
    cold: bool = False  # the product's cache is flushed before each of its runs
    method: str = "GET"
    # wrk keeps one Lua state per thread: one thread per connection gives each connection
    # its own state (read_after_write's POST-then-GET).
    thread_per_connection: bool = False


WORKLOADS = [
    Workload(
        "read_after_write", "API read after write, a user per connection", "per_connection",
        2.0, method="POST+GET", thread_per_connection=True,
    ),
    Workload(
        "read_after_write", "API read after write, one user", "heavy",
        2.0, method="POST+GET", thread_per_connection=True,
    ),
    Workload("page_through", "API page-through (pages 1-400)", "largest", 3.0, cold=True),
    Workload("many_users", "API list, many cold users", "many", None, cold=True),
]  # fmt: skip
WORKLOAD_KEYS = {workload.key for workload in WORKLOADS}
# Short names accepted by --only.
ALIASES = {"raw": "read_after_write", "pages": "page_through", "many": "many_users"}
# Existing endpoints (bench/run.py ENDPOINTS) the anchor serves at the same path.
ANCHOR_ENDPOINTS = {"api_list", "api_create"}


def only_keys(text: str | None) -> set[str]:
    """--only's comma-separated keys, aliases resolved; empty when --only is not given."""
    keys = {key.strip() for key in (text or "").split(",") if key.strip()}
    return {ALIASES.get(key, key) for key in keys}


def pages_for(task_count: int | None, wanted: int = PAGES) -> int:
    """How many pages page_through walks: `wanted`, or all the user has if fewer."""
    if not task_count:
        return 1
    return max(1, min(wanted, -(-task_count // PAGE_SIZE)))


def first_pages(pages: int, threads: int) -> list[int]:
    """The first page each wrk thread asks for (workloads.lua's offsets)."""
    stride = pages // threads
    return [(index * stride) % pages + 1 for index in range(threads)]


def latest_seed_run(emails: list[str], seed: int = MANY_USERS_SEED) -> list[str]:
    """The emails of the latest seed_demo run made with `--seed seed`, by user number."""
    pattern = re.compile(rf"^seed-{seed}-(\d+)-(\d+)@example\.com$")
    runs: dict[int, list[tuple[int, str]]] = {}
    for email in emails:
        match = pattern.match(email)
        if match:
            runs.setdefault(int(match.group(1)), []).append((int(match.group(2)), email))
    if not runs:
        return []
    return [email for _, email in sorted(runs[max(runs)])]


def many_users(database_url: str, seed: int = MANY_USERS_SEED) -> tuple[list[str], int | None]:
    """(emails of the latest `--seed` run, tasks of its first user)."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT email FROM accounts_user WHERE email LIKE %s", (f"seed-{seed}-%",)
        ).fetchall()
        emails = latest_seed_run([email for (email,) in rows], seed)
        if not emails:
            return [], None
        (tasks,) = conn.execute(
            "SELECT count(*) FROM tasks_task WHERE owner_id ="
            " (SELECT id FROM accounts_user WHERE email = %s)",
            (emails[0],),
        ).fetchone()
    return emails, tasks


def mint_tokens(python: str, root: Path, env: dict, emails: list[str], out: Path) -> int:
    """Access tokens for `emails` from bench/mint_tokens.py, written to `out` (mode 0600)."""
    done = subprocess.run(
        [python, str(BENCH / "mint_tokens.py")],
        cwd=root, env={**env, "PGAPPNAME": f"{APP_NAME_PREFIX}mint"},
        input=json.dumps(emails), capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"mint_tokens.py failed: {done.stderr[-1000:]}")
    tokens = json.loads(done.stdout)
    out.touch(mode=0o600)
    out.write_text(json.dumps(tokens))
    return len(tokens)


def cache_flush(redis_url: str = REDIS_URL) -> None:
    """FLUSHDB on the benchmark's own Redis database (index 3), nothing else."""
    import redis

    database = int(urllib.parse.urlparse(redis_url).path.lstrip("/") or 0)
    if database != BENCH_REDIS_DB:
        raise RuntimeError(f"refusing to flush Redis database {database}: the bench owns 3")
    redis.Redis.from_url(redis_url).flushdb()


def needs_many_users(selected: list[Workload]) -> bool:
    return any(workload.users in ("many", "per_connection") for workload in selected)


def entry_name(workload: Workload, user_tasks, users: int) -> str:
    """A workload's key in the results: key@tasks, or key@<users>x<tasks> for many users."""
    if workload.users in ("many", "per_connection"):
        return f"{workload.key}@{users}x{user_tasks}"
    return f"{workload.key}@{user_tasks}"


def wrk_env(workload: Workload, *, threads: int, auth="", body="", pages=0, tokens_file=None):
    env = {
        **os.environ,
        "BENCH_WORKLOAD": workload.key,
        "BENCH_AUTH": auth,
        "BENCH_BODY": body,
        "BENCH_THREADS": str(threads),
        "BENCH_PAGES": str(pages),
    }
    if tokens_file is not None:
        env["BENCH_TOKENS_FILE"] = str(tokens_file)
    return env


# --- /metrics: how many list GETs the product answered from its cache ---------------------

_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metric_samples(text: str, name: str) -> list[tuple[dict, float]]:
    """(labels, value) of every sample of metric `name` in Prometheus text format."""
    samples = []
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match and match.group(1) == name:
            labels = dict(_LABEL.findall(match.group(2) or ""))
            samples.append((labels, float(match.group(3))))
    return samples


def list_counts(text: str, route: str = LIST_PATH) -> tuple[float, float]:
    """(GET requests, requests that ran no database query) on `route` so far.

    A list GET with no query was answered from the cache: an uncached one reads its rows
    (and tags), and a POST on the same route inserts, so never runs none.
    """
    gets = sum(
        value
        for labels, value in metric_samples(text, "taskflow_http_requests_total")
        if labels.get("route") == route and labels.get("method") == "GET"
    )
    without_queries = sum(
        value
        for labels, value in metric_samples(text, "taskflow_db_queries_per_request_bucket")
        if labels.get("route") == route and float(labels.get("le", "nan")) == 0
    )
    return gets, without_queries


def cached_share(before: tuple[float, float], after: tuple[float, float]) -> float | None:
    """The share of the list GETs between two list_counts answered from the cache."""
    gets = after[0] - before[0]
    return round((after[1] - before[1]) / gets, 4) if gets > 0 else None
