"""TaskFlow benchmark: product endpoints against a bare-Django FLOOR, in the same run.

    .venv/bin/python bench/run.py [--database-url URL] [--duration 10] [--repeats 5]
                                  [--connections 16] [--quick] [--compare RESULTS.json]

Starts two gunicorns with gunicorn.conf.py on loopback: the product (production settings)
and the floor (bench/floor_settings.py). Logs in once per heavy user, then runs wrk on
each endpoint interleaved with the floor, `--repeats` times; then login alone, the
hasher's own ceiling, and the task list during a login storm. Writes
bench/results/<timestamp>.json and bench/RESULTS.md. See bench/README.md.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
RESULTS = BENCH / "results"
LOGS = RESULTS / "logs"
WRK = "/usr/bin/wrk"
PASSWORD = "taskflow-demo-2024"
DEFAULT_DB = "postgres://root@127.0.0.1:5432/taskflow_bench"
CREATE_TITLE = "bench-create"

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

# The targets: key -> minimum ratio of the floor's requests/s.
FLOOR_TARGETS = {
    "api_list": 0.15,
    "api_detail": 0.25,
    "api_me": 0.25,
    "api_create": 0.10,
    "api_search": None,
    "html_list": 0.10,
    "html_dashboard": 0.10,
}


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (all held open together while choosing)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def request(port, method, path, *, headers=None, body=None, timeout=60):
    """One loopback request without redirects: (status, headers list, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def cookies_from(headers, jar: dict) -> dict:
    for name, value in headers:
        if name.lower() == "set-cookie":
            parsed = SimpleCookie()
            parsed.load(value)
            jar.update({key: morsel.value for key, morsel in parsed.items()})
    return jar


def cookie_header(jar: dict) -> str:
    return "; ".join(f"{key}={value}" for key, value in jar.items())


# --- servers -----------------------------------------------------------------------------


class Server:
    def __init__(self, name, port, app, env, log_path):
        self.name, self.port = name, port
        self.log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py"]
        command += ["--bind", f"127.0.0.1:{port}", app]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_healthy(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} gunicorn exited; see {self.log.name}")
            try:
                status, _, _ = request(self.port, "GET", "/health/", timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not healthy after {timeout}s; see {self.log.name}")

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


# --- database ----------------------------------------------------------------------------


class ConnectionSampler(threading.Thread):
    """Samples the app database's connection count every `interval` seconds."""

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
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (self.dbname,),
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


# --- wrk ---------------------------------------------------------------------------------


def wrk_command(port, path, duration, connections):
    threads = max(1, min(2, connections))
    return [
        WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
        "--latency", "-s", str(BENCH / "wrk.lua"), f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip


def wrk_env(method="GET", body="", auth="", cookie=""):
    return {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_BODY": body,
        "BENCH_AUTH": auth,
        "BENCH_COOKIE": cookie,
    }


def parse_wrk(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line.removeprefix("BENCH_JSON "))
            seconds = data["duration_us"] / 1e6
            data["rps"] = data["requests"] / seconds if seconds else 0.0
            for key in ("p50", "p90", "p95", "p99"):
                data[f"{key}_ms"] = data.pop(f"{key}_us") / 1000
            return data
    raise RuntimeError(f"no BENCH_JSON line in wrk output:\n{output[-2000:]}")


def run_wrk(port, path, duration, connections, env) -> dict:
    command = wrk_command(port, path, duration, connections)
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=duration + 60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-1000:]}")
    return parse_wrk(done.stdout)


def summarise(runs: list[dict]) -> dict:
    def median(key):
        return round(statistics.median(run[key] for run in runs), 3)

    return {
        "runs": len(runs),
        "rps": median("rps"),
        "p50_ms": median("p50_ms"),
        "p95_ms": median("p95_ms"),
        "p99_ms": median("p99_ms"),
        "non2xx": median("non2xx"),
        "socket_errors": median_errors(runs),
        "raw": runs,
    }


def median_errors(runs):
    keys = ("connect_errors", "read_errors", "write_errors", "timeouts")
    return statistics.median(sum(run[key] for key in keys) for run in runs)


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
            "REDIS_URL": "redis://127.0.0.1:6379/3",
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
        redis_version = redis.Redis.from_url("redis://127.0.0.1:6379/3").info("server")[
            "redis_version"
        ]
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


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv=None) -> int:
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
        "--only",
        help="a lever check: these endpoint keys only (comma-separated), the first heavy user "
        "only; `login` adds the login runs (with api_list, the storm's baseline); writes "
        "bench/results/<stamp>-partial.json, not RESULTS.md",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.repeats = min(args.duration, 3), 1

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    LOGS.mkdir(parents=True, exist_ok=True)
    env = product_env(args)
    result = {"args": {k: str(v) for k, v in vars(args).items()}, "machine": machine(args)}
    log(f"machine: {result['machine']['cpu_model']}, nproc {result['machine']['nproc']}")

    log("collectstatic into bench/.staticfiles")
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT, env=env, check=True, timeout=300,
    )  # fmt: skip

    users_found = heavy_users(args.database_url)
    if not users_found:
        log("no heavy-* users: seed with manage.py seed_demo --heavy ...")
        return 1
    servers: list[Server] = []
    sampler = ConnectionSampler(args.database_url)
    try:
        app_port, floor_port = free_ports(2)
        app = Server("app", app_port, "config.wsgi:application", env, LOGS / f"{stamp}-app.log")
        servers.append(app)
        floor = Server(
            "floor", floor_port, "config.wsgi:application", floor_env(args),
            LOGS / f"{stamp}-floor.log",
        )  # fmt: skip
        servers.append(floor)
        app.wait_healthy()
        floor.wait_healthy()
        log(f"app on :{app.port}, floor on :{floor.port}")
        sampler.start()

        users = []
        for tasks, email in users_found:
            jwt = api_login(app.port, email)
            cookie = page_login(app.port, email)
            status, _, body = request(
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

        floor_env_wrk = wrk_env()
        floor_runs: list[dict] = []
        endpoints: dict = {}
        only = set((args.only or "").split(","))
        only |= {"api_list"} if "login" in only else set()  # the storm's baseline
        selected = [e for e in ENDPOINTS if not args.only or e[0] in only]
        for user in users[:1] if args.only else users:
            for endpoint in selected:
                key, label = endpoint[0], endpoint[1]
                path, method, wrk_environment = endpoint_request(endpoint, user)
                status = preflight(app.port, path, method, wrk_environment)
                runs = []
                for repeat in range(args.repeats):
                    floor_runs.append(
                        run_wrk(
                            floor.port, "/floor/", args.duration, args.connections, floor_env_wrk
                        )
                    )
                    runs.append(
                        run_wrk(app.port, path, args.duration, args.connections, wrk_environment)
                    )
                    log(
                        f"{label} [{user['tasks']}] #{repeat + 1}: {runs[-1]['rps']:.1f} req/s,"
                        f" p95 {runs[-1]['p95_ms']:.1f} ms (floor {floor_runs[-1]['rps']:.0f})"
                    )
                endpoints[f"{key}@{user['tasks']}"] = {
                    "key": key, "label": label, "user_tasks": user["tasks"], "method": method,
                    "path": path, "preflight_status": status, **summarise(runs),
                }  # fmt: skip

        floor_summary = summarise(floor_runs)
        for entry in endpoints.values():
            entry["floor_ratio"] = round(entry["rps"] / floor_summary["rps"], 4)
        if args.only and "login" not in only:
            result |= {"floor": floor_summary, "endpoints": endpoints}
            out = RESULTS / f"{stamp}-partial.json"
            out.write_text(json.dumps(result, indent=2, default=str))
            for entry in endpoints.values():
                log(f"{entry['label']}: {entry['floor_ratio']:.3f} of the floor")
            return 0

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
            wrk_command(
                app.port, "/api/v1/auth/token/", args.duration + 2, login_connections
            ),
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
        result["login"] = {
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
        result["list_queries"] = {str(u["tasks"]): u["list_queries"] for u in users}
        result["queries_per_request"] = queries_per_request(app.port, env["METRICS_TOKEN"])
    finally:
        sampler.stop()
        for server in reversed(servers):
            server.stop()
        try:
            deleted = delete_created_tasks(args.database_url, [e for _, e in users_found])
            log(f"deleted {deleted} tasks created by the benchmark")
        except Exception as error:
            log(f"cleanup failed: {error}")

    samples = sampler.samples or [0]
    result["db_connections"] = {
        "samples": len(sampler.samples),
        "max": max(samples),
        "median": statistics.median(samples),
        "limit": args.workers * args.threads + 2,
    }
    result["floor"] = floor_summary
    result["endpoints"] = endpoints
    if args.only:  # with `login`: a lever check of the login figures
        (RESULTS / f"{stamp}-partial.json").write_text(json.dumps(result, indent=2, default=str))
        ratio, storm = result["login"]["ratio_to_ceiling"], result["login"]["storm"]
        log(f"logins ÷ ceiling {ratio}, list p95 x{storm['p95_ratio']} during a login storm")
        return 0
    if args.compare:
        result["compare"] = compare(endpoints, json.loads(args.compare.read_text()))
    result["checks"] = checks(result, args)

    out = RESULTS / f"{stamp}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    (BENCH / "RESULTS.md").write_text(markdown(result, out, args))
    log(f"wrote {out.relative_to(ROOT)} and bench/RESULTS.md")
    return 0


# --- reporting ---------------------------------------------------------------------------


def compare(endpoints, earlier) -> dict:
    """p95 here ÷ p95 in an earlier run (the 10k database), same endpoint and user size."""
    ratios = {}
    earlier_endpoints = earlier.get("endpoints", {})
    for name, entry in endpoints.items():
        # A 10k table holds no 100,000-task user: that one is held to the 1,000-task user's.
        other = earlier_endpoints.get(name) or earlier_endpoints.get(f"{entry['key']}@1000")
        if other and other["p95_ms"]:
            ratios[name] = round(entry["p95_ms"] / other["p95_ms"], 3)
    return {"database": earlier.get("machine", {}).get("database_url"), "p95_ratio": ratios}


def checks(result, args) -> list[dict]:
    rows = []

    def add(name, value, target, ok):
        rows.append({"check": name, "value": value, "target": target, "ok": ok})

    endpoints = result["endpoints"]
    for entry in endpoints.values():
        target = FLOOR_TARGETS.get(entry["key"])
        name = f"{entry['label']} [{entry['user_tasks']}]"
        if target is not None:
            add(
                f"{name} ÷ floor",
                entry["floor_ratio"],
                f"≥ {target}",
                entry["floor_ratio"] >= target,
            )
        tail = entry["p99_ms"] / entry["p50_ms"] if entry["p50_ms"] else None
        add(
            f"{name} p99 ÷ p50, non-2xx",
            f"{tail:.2f}, {entry['non2xx']:.0f}" if tail else "n/a",
            "≤ 3, 0",
            bool(tail and tail <= 3 and entry["non2xx"] == 0 and entry["preflight_status"] < 300),
        )
    for size in sorted({e["user_tasks"] for e in endpoints.values()}):
        search, listing = endpoints.get(f"api_search@{size}"), endpoints.get(f"api_list@{size}")
        if search and listing:
            ratio = round(search["p95_ms"] / listing["p95_ms"], 2)
            add(f"search p95 ÷ list p95 [{size}]", ratio, "≤ 2", ratio <= 2)
    for name, ratio in result.get("compare", {}).get("p95_ratio", {}).items():
        add(f"p95 this ÷ p95 compared run: {name}", ratio, "≤ 1.5", ratio <= 1.5)
    for size, queries in result["list_queries"].items():
        ok = queries["rendered"] is not None and queries["rendered"] <= 2
        add(f"queries per API list request, not cached [{size}]", queries["rendered"], "≤ 2", ok)
    login = result["login"]
    if login["ratio_to_ceiling"] is not None:
        add(
            "logins/s ÷ hashing ceiling",
            login["ratio_to_ceiling"],
            "≥ 0.8",
            login["ratio_to_ceiling"] >= 0.8,
        )
    storm = login["storm"]["p95_ratio"]
    add("task list p95 during a login storm ÷ its baseline", storm, "≤ 2", storm <= 2)
    connections = result["db_connections"]
    add(
        "DB connections (max sampled)", connections["max"], f"≤ {connections['limit']}",
        connections["max"] <= connections["limit"],
    )  # fmt: skip
    return rows


def markdown(result, out, args) -> str:
    m = result["machine"]
    floor = result["floor"]
    lines = []
    if args.quick:
        lines += [
            "# Benchmark results — QUICK SMOKE RUN (not the final measurement)",
            "",
            f"`--quick`: {args.duration} s per wrk run, {args.repeats} repeat(s). It proves the "
            "harness works; the figures are noisy. Run `python bench/run.py` (10 s x 5) for "
            "the measurement.",
        ]
    else:
        lines += ["# Benchmark results", ""]
    lines += [
        "",
        f"Raw data: `{out.relative_to(ROOT)}`. Medians over {args.repeats} run(s) of "
        f"{args.duration} s, {args.connections} connections, wrk interleaved with the floor.",
        "",
        "## Machine",
        "",
        f"- date: {m['date']}",
        f"- CPU: {m['cpu_model']}; `nproc`: {m['nproc']}; kernel {m['kernel']}",
        f"- PostgreSQL {m['postgresql']}; Redis {m['redis']}; Python {m['python']}; "
        f"{m['gunicorn']}",
        f"- gunicorn workers x threads: {m['workers']} x {m['threads']} (app and floor alike)",
        f"- database: `{m['database_url']}`",
        "- wrk runs on the same machine and shares its CPUs with gunicorn.",
        "",
        "```",
        m["free_h"],
        "```",
        "",
        "## Endpoints",
        "",
        f"Floor (bare JSON view, same gunicorn): **{floor['rps']:.0f} req/s**, p50 "
        f"{floor['p50_ms']:.2f} ms, p95 {floor['p95_ms']:.2f} ms, p99 {floor['p99_ms']:.2f} ms "
        f"({floor['runs']} runs).",
        "",
        "| endpoint | user tasks | req/s | ÷ floor | target | p50 ms | p95 ms | p99 ms | "
        "non-2xx | first status |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in result["endpoints"].values():
        target = FLOOR_TARGETS.get(entry["key"])
        lines.append(
            f"| {entry['label']} `{entry['method']} {entry['path']}` | {entry['user_tasks']} "
            f"| {entry['rps']:.1f} | {entry['floor_ratio']:.3f} | "
            f"{'≥ ' + str(target) if target else '—'} | {entry['p50_ms']:.1f} "
            f"| {entry['p95_ms']:.1f} | {entry['p99_ms']:.1f} | {entry['non2xx']:.0f} "
            f"| {entry['preflight_status']} |"
        )
    login = result["login"]
    ceiling = login["hash_ceiling"]
    storm = login["storm"]
    lines += [
        "",
        "## Login",
        "",
        f"- logins/s (`POST /api/v1/auth/token/`, {login['connections']} connections): "
        f"**{login['alone']['rps']:.2f}**, p95 {login['alone']['p95_ms']:.0f} ms, "
        f"non-2xx {login['alone']['non2xx']:.0f}",
        f"- hasher ceiling ({ceiling.get('hasher')}, check_password in "
        f"{ceiling.get('processes')} processes): **{ceiling.get('hashes_per_second')}/s**",
        f"- logins/s ÷ ceiling: **{login['ratio_to_ceiling']}** (target ≥ 0.8)",
        f"- task list during a login storm: p95 {storm['list_during']['p95_ms']:.1f} ms vs "
        f"{storm['list_baseline_p95_ms']:.1f} ms baseline (**x {storm['p95_ratio']}**), "
        f"{storm['list_during']['rps']:.1f} req/s; storm logins/s "
        f"{storm['login']['rps']:.2f}",
        "",
        "## Database",
        "",
        f"- connections to the app database (sampled every 0.5 s): max "
        f"**{result['db_connections']['max']}**, median {result['db_connections']['median']} "
        f"(limit workers x threads + 2 = {result['db_connections']['limit']})",
        "- queries per API task list request (`/metrics` before and after 20 GETs of pages "
        "2-21: `rendered` is each URL's first request, read from the database; `cached` "
        f"the same URLs again, from the user's cache), by user size: {result['list_queries']}",
        "- mean queries per request by route over the whole run (`taskflow_db_queries_per_"
        "request`; GET and POST share a route, so `/api/v1/tasks/` mixes list, search and "
        "create):",
        "",
    ]
    queries = result["queries_per_request"]
    if isinstance(queries, dict) and "error" not in queries:
        lines += ["| route | requests | mean queries |", "|---|---:|---:|"]
        lines += [f"| `{r}` | {d['requests']} | {d['mean_queries']} |" for r, d in queries.items()]
    else:
        lines.append(f"  unavailable: {queries}")
    lines += [
        "",
        "## Targets (issue 6)",
        "",
        "| check | value | target | met |",
        "|---|---:|---:|:---:|",
    ]
    lines += [
        f"| {row['check']} | {row['value']} | {row['target']} | {'yes' if row['ok'] else 'NO'} |"
        for row in result["checks"]
    ]
    if "compare" in result:
        lines += [
            "",
            f"p95 ratios compare with `{args.compare}` ({result['compare']['database']}); "
            "only endpoint/user pairs present in both runs are compared.",
        ]
    else:
        lines += [
            "",
            "p95 on 1M ÷ p95 on 10k needs a 10k run: `python bench/run.py --database-url "
            ".../taskflow_bench_10k`, then this run with `--compare bench/results/<10k>.json`.",
        ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
