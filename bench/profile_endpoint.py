"""Time (and optionally profile) one endpoint in-process: the quick loop behind each lever.

    .venv/bin/python bench/profile_endpoint.py api_list [--user-tasks 100000] [-n 300]
        [--profile] [--database-url URL]

Calls the production WSGI application directly (no gunicorn, no wrk, no network), so the
figure is the application's own cost per request: mean and median milliseconds and the
queries each request made. `--profile` prints cProfile's top functions by cumulative time.
bench/run.py remains the measurement; this only tells which lever is worth trying.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PATHS = {
    "health": ("GET", "/health/", "jwt"),  # the middleware alone: no view work, no query
    "api_list": ("GET", "/api/v1/tasks/", "jwt"),
    "api_detail": ("GET", "/api/v1/tasks/{id}/", "jwt"),
    "api_me": ("GET", "/api/v1/auth/me/", "jwt"),
    "api_create": ("POST", "/api/v1/tasks/", "jwt"),
    # bench/run.py's read_after_write: a create, then the list (one figure for the pair)
    "read_after_write": ("POST+GET", "/api/v1/tasks/", "jwt"),
    "api_search": ("GET", "/api/v1/tasks/?search=report", "jwt"),
    "html_list": ("GET", "/tasks/", "session"),
    "html_dashboard": ("GET", "/", "session"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint", choices=sorted(PATHS))
    parser.add_argument("--user-tasks", type=int, default=1000)
    parser.add_argument("-n", type=int, default=300, help="requests (after 20 warm-up ones)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--query", default=None, help="replace the query string, e.g. page=2")
    parser.add_argument("--many-user", action="store_true", help="a 200-task user (seed 13)")
    parser.add_argument("--pages", type=int, default=0, help="ask ?page=1..N in turn")
    parser.add_argument(
        "--anchor", action="store_true", help="call the default-DRF anchor (bench/drf_settings)"
    )
    parser.add_argument("--database-url", default="postgres://root@127.0.0.1:5432/taskflow_bench")
    args = parser.parse_args()

    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.drf_settings" if args.anchor else "bench.production_settings",
        DJANGO_SECRET_KEY="profile-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=args.database_url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"),
        DJANGO_SECURE_SSL_REDIRECT="false",
        RATE_API_USER="1000000/min",
        RATE_API_ANON="1000000/min",
        PROMETHEUS_MULTIPROC_DIR=os.environ.get("PROMETHEUS_MULTIPROC_DIR", "/tmp/tf-profile"),
    )
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(exist_ok=True)
    import logging

    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    if not args.anchor:
        call_command("collectstatic", "--noinput", verbosity=0)  # production's manifest storage
    application = get_wsgi_application()
    if not os.environ.get("PROFILE_LOGS"):  # PROFILE_LOGS=1 shows them (tracebacks)
        logging.disable(logging.CRITICAL)  # a log line per request would flood the terminal

    from django.conf import settings
    from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User
    from tasks.models import Task

    prefix = "seed-13-" if args.many_user else f"heavy-{args.user_tasks}-"
    user = User.objects.filter(email__startswith=prefix).order_by("-pk").first()
    method, path, auth = PATHS[args.endpoint]
    if "{id}" in path:
        task_id = Task.objects.filter(owner=user).values_list("id", flat=True).first()
        path = path.format(id=task_id)
    headers = {}
    if auth == "jwt":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {AccessToken.for_user(user)}"
    else:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        headers["HTTP_COOKIE"] = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    route, _, query = path.partition("?")
    if args.query is not None:
        query = args.query
    pages = iter(range(10**9))

    def call() -> int:
        if method == "POST+GET":
            return max(request("POST", query), request("GET", query))
        if args.pages:
            return request(method, f"page={next(pages) % args.pages + 1}")
        return request(method, query)

    def request(method: str, query: str) -> int:
        body = b'{"title": "bench-create"}' if method == "POST" else b""
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "application/json, text/html",  # as bench/wrk.lua sends
            "REMOTE_ADDR": "127.0.0.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": "application/json",
            "wsgi.errors": sys.stderr,
            **headers,
        }
        statuses = []
        chunks = application(environ, lambda status, _headers: statuses.append(status))
        b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        return int(statuses[0].split()[0])

    for _ in range(20):
        status = call()
    if status >= 300:
        sys.exit(f"{args.endpoint}: status {status}")
    queries = []  # request_started clears connection.queries, so record them ourselves
    with connection.execute_wrapper(lambda run, sql, *rest: queries.append(sql) or run(sql, *rest)):
        call()
    timings = []
    cpu_started = time.process_time()
    # PROFILE_CPU=1 attributes CPU time (time.process_time) instead of wall time.
    timer = time.process_time if os.environ.get("PROFILE_CPU") else time.perf_counter
    profiler = cProfile.Profile(timer) if args.profile else None
    try:
        for _ in range(args.n):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            call()
            if profiler:
                profiler.disable()
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        if "POST" in method:
            Task.objects.filter(owner=user, title="bench-create").delete()
    cpu_ms = (time.process_time() - cpu_started) * 1000 / args.n
    print(
        f"{args.endpoint} ({args.user_tasks} tasks): mean {statistics.mean(timings):.2f} ms, "
        f"median {statistics.median(timings):.2f} ms, CPU {cpu_ms:.2f} ms, "
        f"{len(queries)} queries"
    )
    for sql in queries:
        print("   ", sql[:200])
    if profiler:
        stream = io.StringIO()
        order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
        pstats.Stats(profiler, stream=stream).sort_stats(order).print_stats(
            int(os.environ.get("PROFILE_LINES", 45))
        )
        print(stream.getvalue())


if __name__ == "__main__":
    main()
