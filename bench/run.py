"""TaskFlow benchmark: product endpoints against a bare-Django FLOOR and a default-DRF
ANCHOR, in the same run.

    .venv/bin/python bench/run.py [--database-url URL] [--duration 10] [--repeats 5]
                                  [--connections 16] [--quick] [--compare RESULTS.json]
                                  [--only KEYS] [--before RESULTS.json]

Starts three gunicorns with gunicorn.conf.py on loopback: the product (production
settings), the floor (bench/floor_settings.py) and the anchor (bench/drf_settings.py: the
task list and create as default DRF builds them). Logs in once per heavy user, then runs
wrk on each endpoint and on issue 13's workloads (bench/workloads.py) in rounds of floor,
product and, where it serves the path, the anchor, `--repeats` times; then login alone,
the hasher's own ceiling, and the task list during a login storm. Writes
bench/results/<timestamp>.json and bench/RESULTS.md (bench/report.py). See bench/README.md.
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))  # run as a script: bench/ is on the path, the repository not

from bench import report, workloads  # noqa: E402
from bench.harness import (  # noqa: E402
    PYTHON,
    WRK,
    Server,
    cookie_header,
    cookies_from,
    free_ports,
    log,
    parse_wrk,
    request,
    run_wrk,
    summarise,
    wrk_command,
    wrk_env,
    wrk_threads,
)

RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
PASSWORD = "taskflow-demo-2024"
DEFAULT_DB = "postgres://root@127.0.0.1:5432/taskflow_bench"
CREATE_TITLE = "bench-create"
# What issue 13's "no workload more than 10 % slower" compares with: the committed runs
# before it, by database name (RESULTS.md on taskflow_bench, RESULTS-10k.md on _10k).
BEFORE_RUNS = [
    Path("bench/results/20261123T054919Z.json"),
    Path("bench/results/20261123T053641Z.json"),
]

# (key, label, method, path, auth kind); "{id}" is one of the user's own tasks.
ENDPOINTS = [
    ("api_list", "API task list", "GET", "/api/v1/tasks/", "jwt"),
    ("api_detail", "API task detail", "GET", "/api/v1/tasks/{id}/", "jwt"),
    ("api_me", "API auth/me", "GET", "/api/v1/auth/me/", "jwt"),
    ("api_create", "API create task", "POST", "/api/v1/tasks/", "jwt"),
    ("api_search", "API search", "GET", "/api/v1/tasks/?search=report", "jwt"),
    ("html_list", "HTML task list", "GET", "/tasks/", "session"),
    ("html_dashboard", "HTML dashboard", "GET", "/", "session"),
]
ENDPOINT_KEYS = {endpoint[0] for endpoint in ENDPOINTS}


# --- database ----------------------------------------------------------------------------


class ConnectionSampler(threading.Thread):
    """Samples the app database's connection count every `interval` seconds.

    The product's alone: the anchor's and the harness's scripts name theirs
    (PGAPPNAME `taskflow-bench-*`), and the sampler's own is left out.
    """

    def __init__(self, database_url, interval=0.5):
        super().__init__(daemon=True)
        self.database_url, self.interval = database_url, interval
        self.dbname = urllib.parse.urlparse(database_url).path.lstrip("/")
        self.samples: list[int] = []
        self.stop_event = threading.Event()

    def run(self):
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self.stop_event.wait(self.interval):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()"
                    " AND application_name NOT LIKE %s",
                    (self.dbname, f"{workloads.APP_NAME_PREFIX}%"),
                ).fetchone()
                self.samples.append(row[0])

    def stop(self):
        self.stop_event.set()
        if self.ident is not None:  # started
            self.join(timeout=10)


def heavy_users(database_url) -> list[tuple[int, str]]:
    """(task count, email) of the seeded heavy users, smallest first."""
    import psycopg

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT email FROM accounts_user WHERE email LIKE 'heavy-%%@example.com'"
        ).fetchall()
    users = {}
    for (email,) in rows:
        match = re.match(r"heavy-(\d+)-", email)
        if match:
            users.setdefault(int(match.group(1)), email)
    return sorted(users.items())


def delete_created_tasks(database_url, emails) -> int:
    import psycopg

    with psycopg.connect(database_url) as conn:
        cursor = conn.execute(
            "DELETE FROM tasks_task WHERE title = %s AND owner_id IN"
            " (SELECT id FROM accounts_user WHERE email = ANY(%s))",
            (CREATE_TITLE, list(emails)),
        )
        return cursor.rowcount


# --- logins ------------------------------------------------------------------------------


def api_login(port, email) -> str:
    body = json.dumps({"email": email, "password": PASSWORD})
    status, _, data = request(
        port, "POST", "/api/v1/auth/token/", body=body,
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    if status != 200:
        raise RuntimeError(f"API login for {email}: HTTP {status} {data[:200]!r}")
    return json.loads(data)["access"]


def page_login(port, email) -> str:
    """Session cookie via the login page: GET for the CSRF token, then POST the form."""
    jar: dict = {}
    status, headers, page = request(port, "GET", "/accounts/login/")
    cookies_from(headers, jar)
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if status != 200 or not match:
        raise RuntimeError(f"login page: HTTP {status}, CSRF token found: {bool(match)}")
    form = urllib.parse.urlencode(
        {"username": email, "password": PASSWORD, "csrfmiddlewaretoken": match.group(1)}
    )
    status, headers, page = request(
        port, "POST", "/accounts/login/", body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
        },
    )  # fmt: skip
    cookies_from(headers, jar)
    if status != 302:
        raise RuntimeError(f"page login for {email}: HTTP {status} (expected a redirect)")
    return cookie_header(jar)


# --- environment -------------------------------------------------------------------------


def product_env(args) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "RATE_", "SENTRY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.production_settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": workloads.REDIS_URL,  # the bench's own database (index 3)
            # Loopback has no TLS; with the redirect on every request would be a 301.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_FORMAT": "json",
            "WEB_CONCURRENCY": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            # DRF throttles (600/min per user, 60/min anonymous) would cap a benchmark.
            "RATE_API_USER": "1000000/min",
            "RATE_API_ANON": "1000000/min",
            # Long enough for a full run; the default 15 minutes is shorter than one.
            "JWT_ACCESS_TOKEN_MINUTES": "240",
            "METRICS_TOKEN": secrets.token_urlsafe(24),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def floor_env(args) -> dict:
    env = product_env(args)
    env["DJANGO_SETTINGS_MODULE"] = "bench.floor_settings"
    return env


def anchor_env(product: dict) -> dict:
    """The product's environment (its secret and token lifetime: its tokens work there)."""
    return {
        **product,
        "DJANGO_SETTINGS_MODULE": "bench.drf_settings",
        "PGAPPNAME": f"{workloads.APP_NAME_PREFIX}anchor",
    }


def command_output(command, **kwargs) -> str:
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=30, check=False, **kwargs
        )
        return done.stdout.rstrip()
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"unavailable ({error})"


def machine(args) -> dict:
    import psycopg
    import redis

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with psycopg.connect(args.database_url) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()[0]
    try:
        redis_version = redis.Redis.from_url(workloads.REDIS_URL).info("server")["redis_version"]
    except redis.RedisError as error:
        redis_version = f"unavailable ({error})"
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "nproc": command_output(["nproc"]),
        "free_h": command_output(["free", "-h"]),
        "cpu_model": cpu,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "redis": redis_version,
        "gunicorn": command_output([PYTHON, "-m", "gunicorn", "--version"]),
        "wrk": command_output([WRK, "-v"]) or "wrk 4.x",
        "workers": args.workers,
        "threads": args.threads,
        "database_url": args.database_url,
    }


def hash_ceiling(args, env) -> dict:
    count = 4 if args.quick else 20
    processes = str(os.cpu_count() or 2)  # one per core, as many as the logins in flight
    command = [
        PYTHON,
        str(BENCH / "hash_ceiling.py"),
        "--processes",
        processes,
        "--count",
        str(count),
    ]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        return {"error": done.stderr[-1000:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def query_totals(port, token) -> dict:
    """{route: (sum of queries, requests)} from /metrics; every worker's counters added up."""
    status, _, body = request(port, "GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
    if status != 200:
        raise RuntimeError(f"/metrics: HTTP {status}")
    totals: dict = {}
    pattern = re.compile(r'^taskflow_db_queries_per_request_(sum|count)\{route="([^"]*)"\} (\S+)$')
    for line in body.decode().splitlines():
        match = pattern.match(line)
        if match:
            kind, route, value = match.groups()
            queries, requests = totals.get(route, (0.0, 0.0))
            if kind == "sum":
                totals[route] = (float(value), requests)
            else:
                totals[route] = (queries, float(value))
    return totals


def queries_per_request(port, token) -> dict:
    """Mean queries per request by route over the whole run (GET and POST alike)."""
    return {
        route: {"requests": int(count), "mean_queries": round(total / count, 2)}
        for route, (total, count) in sorted(query_totals(port, token).items())
        if count
    }


def list_queries(port, token, jwt, workers, count=20) -> dict:
    """Queries per API task list request, from /metrics before and after `count` GETs:
    `rendered`, pages 2, 3, ... (each URL's first request: read from the database) and
    `cached`, the same URLs again (answered from the user's cache)."""
    route = "/api/v1/tasks/"
    headers = {"Authorization": f"Bearer {jwt}", "Accept": "application/json"}
    # Warm up first: the page login may have re-saved the user (a password hash upgrade),
    # and each worker's first request opens its database connection, whose setup runs
    # two queries of its own (django.contrib.postgres looks up type OIDs). Workers pick up
    # requests at random, so several per worker, each a URL not cached yet.
    for n in range(8 * workers):
        request(port, "GET", f"{route}?warmup={n}", headers=headers)
    # The count is kept per task generation (any write starts a new one): count once, with
    # a URL not answered from the cache yet, before measuring.
    request(port, "GET", f"{route}?page=1", headers=headers)
    figures = {}
    for kind in ("rendered", "cached"):
        before = query_totals(port, token).get(route, (0.0, 0.0))
        for page in range(2, count + 2):
            request(port, "GET", f"{route}?page={page}", headers=headers)
        after = query_totals(port, token).get(route, (0.0, 0.0))
        requests = after[1] - before[1]
        figures[kind] = round((after[0] - before[0]) / requests, 2) if requests else None
    return figures


# --- the run -----------------------------------------------------------------------------


def endpoint_request(endpoint, user) -> tuple[str, str, dict]:
    """(path, method, wrk environment) of one endpoint for one logged-in user."""
    key, _, method, path, auth = endpoint
    path = path.replace("{id}", str(user["task_id"]))
    body = json.dumps({"title": CREATE_TITLE}) if key == "api_create" else ""
    if auth == "jwt":
        env = wrk_env(method, body, auth=f"Bearer {user['jwt']}")
    else:
        env = wrk_env(method, body, cookie=user["cookie"])
    return path, method, env


def preflight(port, path, method, env) -> int:
    headers = {"Accept": "application/json, text/html"}
    if env["BENCH_AUTH"]:
        headers["Authorization"] = env["BENCH_AUTH"]
    if env["BENCH_COOKIE"]:
        headers["Cookie"] = env["BENCH_COOKIE"]
    body = env["BENCH_BODY"] or None
    if body:
        headers["Content-Type"] = "application/json"
    status, _, _ = request(port, method, path, headers=headers, body=body)
    return status


def workload_threads(workload, args) -> int:
    if workload.thread_per_connection:
        return args.connections
    return wrk_threads(args.connections)


def workload_request(workload, user, args, tokens_file=None) -> tuple[str, dict]:
    """(path shown in the report, wrk environment) of one workload for one user."""
    threads = workload_threads(workload, args)
    if workload.key == "read_after_write":
        body = json.dumps({"title": CREATE_TITLE})
        auth = f"Bearer {user['jwt']}" if user["jwt"] else ""
        env = workloads.wrk_env(
            workload, threads=threads, auth=auth, body=body, tokens_file=tokens_file
        )
        return f"POST + GET {workloads.LIST_PATH}", env
    if workload.key == "page_through":
        pages = workloads.pages_for(user["list_count"])
        env = workloads.wrk_env(
            workload, threads=threads, auth=f"Bearer {user['jwt']}", pages=pages
        )
        return f"GET {workloads.LIST_PATH}?page=1..{pages}", env
    env = workloads.wrk_env(workload, threads=threads, tokens_file=tokens_file)
    return f"GET {workloads.LIST_PATH} (a random user's token)", env


def workload_preflight(port, workload, env) -> int:
    """The first non-2xx status among a workload's kinds of request, else the last one."""
    path, auth = workloads.LIST_PATH, env["BENCH_AUTH"]
    if not auth and "BENCH_TOKENS_FILE" in env:
        auth = f"Bearer {json.loads(Path(env['BENCH_TOKENS_FILE']).read_text())[0]}"
    if workload.key == "read_after_write":
        steps = [("POST", path, auth, env["BENCH_BODY"]), ("GET", path, auth, None)]
    elif workload.key == "page_through":
        last = f"{path}?page={env['BENCH_PAGES']}"
        steps = [("GET", f"{path}?page=1", auth, None), ("GET", last, auth, None)]
    else:
        tokens = json.loads(Path(env["BENCH_TOKENS_FILE"]).read_text())
        steps = [("GET", path, f"Bearer {token}", None) for token in (tokens[0], tokens[-1])]
    status = 0
    for method, step_path, auth, body in steps:
        headers = {"Accept": "application/json, text/html", "Authorization": auth}
        if body:
            headers["Content-Type"] = "application/json"
        status, _, _ = request(port, method, step_path, headers=headers, body=body)
        if not 200 <= status < 300:
            return status
    return status


def anchor_warm_up(port, jwt, workers) -> None:
    headers = {"Authorization": f"Bearer {jwt}", "Accept": "application/json"}
    for n in range(8 * workers):
        status, _, body = request(
            port, "GET", f"{workloads.LIST_PATH}?page={n % 3 + 1}", headers=headers
        )
        if status != 200:
            raise RuntimeError(f"anchor: HTTP {status} {body[:200]!r}")


def list_counts(port, token) -> tuple[float, float]:
    """The product's (list GETs, list GETs without a query) so far, from /metrics."""
    status, _, body = request(port, "GET", "/metrics", headers={"Authorization": f"Bearer {token}"})
    if status != 200:
        raise RuntimeError(f"/metrics: HTTP {status}")
    return workloads.list_counts(body.decode())


def measure(entry, args, ports, floor_runs, *, path, env, script=BENCH / "wrk.lua",
            threads=None, anchor=False, cold=False, metrics_token=None) -> dict:  # fmt: skip
    """`--repeats` rounds of floor, product and (`anchor`) default DRF on `path`; the
    medians go into `entry`, the floor's runs into `floor_runs`.

    `cold`: the product's cache (Redis database 3) is flushed before each of its runs.
    `metrics_token`: the share of the product's list GETs answered from its cache is read
    from /metrics around each of its runs.
    """
    runs, drf_runs, shares = [], [], []
    name = report.name_of(entry)
    for repeat in range(args.repeats):
        floor_runs.append(
            run_wrk(ports["floor"], "/floor/", args.duration, args.connections, wrk_env())
        )
        if cold:
            workloads.cache_flush()
        before = list_counts(ports["app"], metrics_token) if metrics_token else None
        runs.append(
            run_wrk(ports["app"], path, args.duration, args.connections, env, script, threads)
        )
        if metrics_token:
            shares.append(workloads.cached_share(before, list_counts(ports["app"], metrics_token)))
        if anchor:
            drf_runs.append(
                run_wrk(
                    ports["anchor"], path, args.duration, args.connections, env, script, threads
                )
            )
        drf = f", DRF {drf_runs[-1]['rps']:.1f}" if anchor else ""
        cached = f", {shares[-1]:.0%} from cache" if shares and shares[-1] is not None else ""
        log(
            f"{name} #{repeat + 1}: {runs[-1]['rps']:.1f} req/s{drf}, p95"
            f" {runs[-1]['p95_ms']:.1f} ms{cached} (floor {floor_runs[-1]['rps']:.0f})"
        )
    entry.update(summarise(runs))
    if drf_runs:
        entry["drf"] = summarise(drf_runs)
        drf_rps = entry["drf"]["rps"]
        entry["drf_ratio"] = round(entry["rps"] / drf_rps, 3) if drf_rps else None
    if metrics_token:
        known = [share for share in shares if share is not None]
        entry["cached_share"] = statistics.median(known) if known else None
    return entry


def before_run(args) -> dict | None:
    """The committed run issue 13 compares with: `--before`, else the one on this database."""
    paths = [args.before] if args.before else [ROOT / path for path in BEFORE_RUNS]
    database = urllib.parse.urlparse(args.database_url).path
    for path in paths:
        if path.exists():
            earlier = json.loads(path.read_text())
            url = earlier.get("machine", {}).get("database_url", "")
            if args.before or urllib.parse.urlparse(url).path == database:
                path = path.resolve()
                shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                return {"path": str(shown), "run": earlier}
    return None


def planned_wrk_runs(args, user_count, endpoints, selected_workloads, login) -> int:
    """How many wrk runs of `--duration` the run makes (to say how long it will take)."""
    rounds = sum(3 if e[0] in workloads.ANCHOR_ENDPOINTS else 2 for e in endpoints) * user_count
    for workload in selected_workloads:
        rounds += 3 * (user_count if workload.users == "heavy" else 1)
    return rounds * args.repeats + (2 if login else 0)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    # gunicorn.conf.py's defaults unless the environment says otherwise.
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 1)))
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 s, 1 repeat")
    parser.add_argument("--compare", type=Path, help="an earlier results JSON (10k database)")
    parser.add_argument(
        "--before",
        type=Path,
        help="the results JSON issue 13's '10 %% slower' check compares with (default: the "
        "committed run on the same database, if any)",
    )
    parser.add_argument(
        "--rerender",
        type=Path,
        help="measure nothing: write RESULTS.md again from this results JSON, its checks "
        "against --before (a same-machine 'before' measured after the run)",
    )
    parser.add_argument(
        "--only",
        help="a lever check: these keys only (comma-separated): endpoint keys (api_list, ...), "
        "workloads (read_after_write or raw, page_through, many_users), login (adds the "
        "login runs and api_list, the storm's baseline); the first heavy user only; writes "
        "bench/results/<stamp>-partial.json, not RESULTS.md",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.repeats = min(args.duration, 3), 1
    args.only_keys = workloads.only_keys(args.only)
    unknown = args.only_keys - ENDPOINT_KEYS - workloads.WORKLOAD_KEYS - {"login"}
    if unknown:
        parser.error(f"--only: unknown keys {sorted(unknown)}")
    if "login" in args.only_keys:
        args.only_keys.add("api_list")  # the storm's baseline
    return args


def rerender(args) -> int:
    """RESULTS.md and the results JSON's checks, again, against another "before"."""
    path = args.rerender.resolve()
    result = json.loads(path.read_text())
    args.database_url = result["args"]["database_url"]
    before = before_run(args)
    if before:
        result["before"] = {
            "path": before["path"],
            "floor_ratio": report.before_ratios(result["endpoints"], before["run"]),
        }
    result["checks"] = report.checks(result)
    path.write_text(json.dumps(result, indent=2, default=str))
    ran = result["args"]  # as the run was asked for (all strings)
    saved = argparse.Namespace(
        quick=ran["quick"] == "True",
        duration=int(ran["duration"]),
        repeats=int(ran["repeats"]),
        connections=int(ran["connections"]),
        compare=None if ran["compare"] == "None" else Path(ran["compare"]),
    )
    (BENCH / "RESULTS.md").write_text(report.markdown(result, path, saved, ROOT))
    log(f"rewrote {path.relative_to(ROOT)}'s checks and bench/RESULTS.md")
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.rerender:
        return rerender(args)
    only = args.only_keys
    selected = [e for e in ENDPOINTS if not only or e[0] in only]
    selected_workloads = [w for w in workloads.WORKLOADS if not only or w.key in only]
    run_login = not only or "login" in only
    needs_anchor = bool(selected_workloads) or any(
        e[0] in workloads.ANCHOR_ENDPOINTS for e in selected
    )

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    LOGS.mkdir(parents=True, exist_ok=True)
    env = product_env(args)
    result = {
        "args": {k: str(v) for k, v in vars(args).items() if k != "only_keys"},
        "machine": machine(args),
        "skipped": [],
    }
    log(f"machine: {result['machine']['cpu_model']}, nproc {result['machine']['nproc']}")

    users_found = heavy_users(args.database_url)
    if not users_found:
        log("no heavy-* users: seed with manage.py seed_demo --heavy ...")
        return 1
    many_emails, many_tasks = [], None
    if workloads.needs_many_users(selected_workloads):
        many_emails, many_tasks = workloads.many_users(args.database_url)
        if many_emails:
            result["many_users"] = {
                "users": len(many_emails), "tasks_per_user": many_tasks,
                "minimum": workloads.MANY_USERS_MIN,
                "ok": len(many_emails) >= workloads.MANY_USERS_MIN,
            }  # fmt: skip
        else:
            why = (
                f"no users seeded with --seed {workloads.MANY_USERS_SEED}: manage.py seed_demo "
                f"--users {workloads.MANY_USERS_MIN} --tasks-per-user 200 "
                f"--seed {workloads.MANY_USERS_SEED}"
            )
            if only:
                log(f"many users: {why}")
                return 1
            for workload in selected_workloads:
                if workloads.needs_many_users([workload]):
                    log(f"skipping {workload.label}: {why}")
                    result["skipped"].append({"workload": workload.label, "why": why})
            selected_workloads = [
                w for w in selected_workloads if not workloads.needs_many_users([w])
            ]

    user_count = 1 if only else len(users_found)
    wrk_runs = planned_wrk_runs(args, user_count, selected, selected_workloads, run_login)
    log(
        f"{wrk_runs} wrk runs of {args.duration} s: about "
        f"{wrk_runs * (args.duration + 0.6) / 60 + 1.5:.0f} minutes in all"
    )

    log("collectstatic into bench/.staticfiles")
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )  # fmt: skip

    servers: list[Server] = []
    sampler = ConnectionSampler(args.database_url)
    tokens_file = LOGS / f"{stamp}-tokens.json"
    try:
        app_port, floor_port, anchor_port = free_ports(3)
        app = Server("app", app_port, "config.wsgi:application", env, LOGS / f"{stamp}-app.log")
        servers.append(app)
        floor = Server(
            "floor", floor_port, "config.wsgi:application", floor_env(args),
            LOGS / f"{stamp}-floor.log",
        )  # fmt: skip
        servers.append(floor)
        ports = {"app": app.port, "floor": floor.port}
        if needs_anchor:
            anchor = Server(
                "anchor", anchor_port, "config.wsgi:application", anchor_env(env),
                LOGS / f"{stamp}-anchor.log",
            )  # fmt: skip
            servers.append(anchor)
            ports["anchor"] = anchor.port
        for server in servers:
            server.wait_healthy()
        log(", ".join(f"{server.name} on :{server.port}" for server in servers))
        sampler.start()

        users = []
        for tasks, email in users_found:
            jwt = api_login(app.port, email)
            cookie = page_login(app.port, email)
            _, _, body = request(
                app.port, "GET", "/api/v1/tasks/",
                headers={"Authorization": f"Bearer {jwt}", "Accept": "application/json"},
            )  # fmt: skip
            page = json.loads(body)
            items = page.get("results", page) if isinstance(page, dict) else page
            users.append(
                {"tasks": tasks, "email": email, "jwt": jwt, "cookie": cookie,
                 "task_id": items[0]["id"], "list_count": page.get("count")}
            )  # fmt: skip
            users[-1]["list_queries"] = list_queries(
                app.port, env["METRICS_TOKEN"], jwt, args.workers
            )
            log(
                f"logged in {email} ({tasks} tasks, list count {page.get('count')},"
                f" {users[-1]['list_queries']} queries per list request)"
            )
        if needs_anchor:
            # As the product's workers were by list_queries: each worker's first requests
            # open its database connection and import what the view needs.
            anchor_warm_up(anchor.port, users[0]["jwt"], args.workers)
        if many_emails:
            minted = workloads.mint_tokens(PYTHON, ROOT, env, many_emails, tokens_file)
            log(f"minted {minted} access tokens for the many users (no password hashes)")

        floor_runs: list[dict] = []
        run_users = users[:1] if only else users
        endpoints = run_endpoints(args, ports, floor_runs, run_users, selected)
        workload_entries = run_workloads(
            args, ports, floor_runs, users, selected_workloads, (many_emails, many_tasks),
            tokens_file, env["METRICS_TOKEN"],
        )  # fmt: skip

        floor_summary = summarise(floor_runs)
        for entry in [*endpoints.values(), *workload_entries.values()]:
            entry["floor_ratio"] = round(entry["rps"] / floor_summary["rps"], 4)
            if "drf" in entry:
                entry["drf_floor_ratio"] = round(entry["drf"]["rps"] / floor_summary["rps"], 4)
        result |= {"floor": floor_summary, "endpoints": endpoints, "workloads": workload_entries}
        if only and not run_login:
            out = RESULTS / f"{stamp}-partial.json"
            out.write_text(json.dumps(result, indent=2, default=str))
            for entry in [*endpoints.values(), *workload_entries.values()]:
                drf = f", {entry['drf_ratio']:.2f}x default DRF" if "drf" in entry else ""
                log(f"{report.name_of(entry)}: {entry['floor_ratio']:.3f} of the floor{drf}")
            log(f"wrote {out.relative_to(ROOT)}")
            return 0

        result["login"] = login_runs(args, app, env, users, endpoints)
        result["list_queries"] = {str(u["tasks"]): u["list_queries"] for u in users}
        result["queries_per_request"] = queries_per_request(app.port, env["METRICS_TOKEN"])
    finally:
        sampler.stop()
        for server in reversed(servers):
            server.stop()
        tokens_file.unlink(missing_ok=True)
        try:
            emails = [email for _, email in users_found] + many_emails
            deleted = delete_created_tasks(args.database_url, emails)
            # Cached counts and pages of those users still hold the deleted tasks.
            workloads.cache_flush()
            log(f"deleted {deleted} tasks created by the benchmark, flushed the cache")
        except Exception as error:
            log(f"cleanup failed: {error}")

    samples = sampler.samples or [0]
    result["db_connections"] = {
        "samples": len(sampler.samples),
        "max": max(samples),
        "median": statistics.median(samples),
        "limit": args.workers * args.threads + 2,
    }
    if only:  # with `login`: a lever check of the login figures
        (RESULTS / f"{stamp}-partial.json").write_text(json.dumps(result, indent=2, default=str))
        ratio, storm = result["login"]["ratio_to_ceiling"], result["login"]["storm"]
        log(f"logins ÷ ceiling {ratio}, list p95 x{storm['p95_ratio']} during a login storm")
        return 0
    if args.compare:
        result["compare"] = report.compare(endpoints, json.loads(args.compare.read_text()))
    before = before_run(args)
    if before:
        result["before"] = {
            "path": before["path"],
            "floor_ratio": report.before_ratios(endpoints, before["run"]),
        }
    result["checks"] = report.checks(result)

    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    (BENCH / "RESULTS.md").write_text(report.markdown(result, out, args, ROOT))
    log(f"wrote {out.relative_to(ROOT)} and bench/RESULTS.md")
    return 0


def run_endpoints(args, ports, floor_runs, users, selected) -> dict:
    """Issue 6's endpoints, each user's in turn: {key@user tasks: entry}."""
    endpoints = {}
    for user in users:
        for endpoint in selected:
            key, label = endpoint[0], endpoint[1]
            path, method, wrk_environment = endpoint_request(endpoint, user)
            served = key in workloads.ANCHOR_ENDPOINTS
            entry = {
                "key": key, "label": label, "user_tasks": user["tasks"], "method": method,
                "path": path,
                "preflight_status": preflight(ports["app"], path, method, wrk_environment),
            }  # fmt: skip
            if served:
                entry["drf_preflight_status"] = preflight(
                    ports["anchor"], path, method, wrk_environment
                )
            endpoints[f"{key}@{user['tasks']}"] = measure(
                entry, args, ports, floor_runs, path=path, env=wrk_environment, anchor=served
            )
    return endpoints


def run_workloads(args, ports, floor_runs, users, selected, many, tokens_file,
                  metrics_token) -> dict:  # fmt: skip
    """Issue 13's workloads (bench/workloads.py): {entry name: entry}.

    `many`: (emails, tasks per user) of the many users, their tokens in `tokens_file`.
    """
    entries = {}
    many_emails, many_tasks = many
    for workload in selected:
        if workload.users in ("many", "per_connection"):
            run_users = [{"tasks": many_tasks, "jwt": None}]
        elif workload.users == "largest":
            run_users = users[-1:]
        else:
            run_users = users[:1] if args.only_keys else users
        entry_users = {
            "many": len(many_emails),
            "per_connection": min(len(many_emails), args.connections),
        }.get(workload.users, 1)
        threads = workload_threads(workload, args)
        for user in run_users:
            shown, wrk_environment = workload_request(workload, user, args, tokens_file)
            entry = {
                "key": workload.key, "label": workload.label, "user_tasks": user["tasks"],
                "users": entry_users, "method": workload.method, "path": shown,
                "drf_target": workload.drf_target,
                "pages": int(wrk_environment["BENCH_PAGES"]) or None,
                "preflight_status": workload_preflight(ports["app"], workload, wrk_environment),
                "drf_preflight_status": workload_preflight(
                    ports["anchor"], workload, wrk_environment
                ),
            }  # fmt: skip
            if entry["pages"]:  # where each wrk thread starts (workloads.lua)
                entry["first_pages"] = workloads.first_pages(entry["pages"], threads)
            entries[workloads.entry_name(workload, user["tasks"], entry_users)] = measure(
                entry, args, ports, floor_runs, path=workloads.LIST_PATH, env=wrk_environment,
                script=workloads.SCRIPT, threads=threads, anchor=True, cold=workload.cold,
                metrics_token=metrics_token,
            )  # fmt: skip
    return entries


def login_runs(args, app, env, users, endpoints) -> dict:
    """Login alone, the hasher's ceiling, and the task list during a login storm."""
    # Login alone: correct password (successes refund the per-account failure limit).
    # As many logins in flight as the machine has cores, like the hasher's ceiling
    # (one process per core): enough to keep hashing at its full rate; more would
    # only wait in line for the low-priority hashing threads (accounts.hashers).
    login_body = json.dumps({"email": users[0]["email"], "password": PASSWORD})
    login_connections = os.cpu_count() or 2
    log(f"login alone ({login_connections} connections)")
    login = run_wrk(
        app.port, "/api/v1/auth/token/", args.duration, login_connections,
        wrk_env("POST", login_body),
    )  # fmt: skip
    log(f"login: {login['rps']:.2f}/s, non-2xx {login['non2xx']}")
    log("hasher ceiling (2 processes)")
    ceiling = hash_ceiling(args, env)
    log(f"ceiling: {ceiling}")

    # The task list (first user) during a login storm, against its own baseline.
    log("task list during a login storm")
    list_path, _, list_env = endpoint_request(ENDPOINTS[0], users[0])
    storm = subprocess.Popen(
        wrk_command(app.port, "/api/v1/auth/token/", args.duration + 2, login_connections),
        env=wrk_env("POST", login_body), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        time.sleep(1)
        during = run_wrk(app.port, list_path, args.duration, args.connections, list_env)
        storm_out, _ = storm.communicate(timeout=args.duration + 60)
    finally:
        if storm.poll() is None:
            storm.kill()
            storm.wait(timeout=10)
    storm_login = parse_wrk(storm_out)
    baseline = endpoints[f"api_list@{users[0]['tasks']}"]
    return {
        "alone": login,
        "connections": login_connections,
        "hash_ceiling": ceiling,
        "ratio_to_ceiling": (
            round(login["rps"] / ceiling["hashes_per_second"], 3)
            if "hashes_per_second" in ceiling
            else None
        ),
        "storm": {
            "login": storm_login,
            "list_during": during,
            "list_baseline_p95_ms": baseline["p95_ms"],
            "p95_ratio": round(during["p95_ms"] / baseline["p95_ms"], 3),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
