"""Real servers for tests/live: gunicorn on production settings, private PostgreSQL and Redis.

Everything binds to 127.0.0.1 on a free port, every wait is bounded, and every process is
stopped when its `with` block ends. The machine's shared PostgreSQL and Redis are only ever
given a database or a database index of our own, never stopped.
"""

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from glob import glob
from pathlib import Path

import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
ARTIFACTS = ROOT / "artifacts" / "live"
# One signing key for every instance this test run starts: sessions and JWTs cross them.
SECRET_KEY = "live-" + secrets.token_urlsafe(48)
PASSWORD = "Live-tests-Passw0rd!"
SHARED_POSTGRES = os.environ.get("LIVE_POSTGRES", "postgres://root@127.0.0.1:5432")
SHARED_REDIS = os.environ.get("LIVE_REDIS", "redis://127.0.0.1:6379")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, seconds: float, what: str, every: float = 0.2):
    """Call `check` until it returns something truthy; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {seconds} s")
        time.sleep(every)


# --- the app ----------------------------------------------------------------------------


def production_env(*, database_url: str, redis_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a production deploy, over plain loopback HTTP."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "RATE_", "CELERY_", "SENTRY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",  # no TLS on loopback
        DJANGO_LOG_FORMAT="json",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_BROKER_URL="",  # no worker here: jobs (emails) run in the request
        EMAIL_URL="consolemail://",
        WEB_CONCURRENCY="2",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(overrides)
    return env


def manage(env: dict, *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=timeout,
    )  # fmt: skip
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)}: {done.stdout}{done.stderr}")
    return done.stdout


def prepare(env: dict) -> None:
    """Migrate the database and collect static files (production's manifest storage)."""
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")


def create_user(env: dict, email: str, password: str = PASSWORD, full_name: str = "Live Tester"):
    defaults = {"full_name": full_name}
    script = (
        "from accounts.models import User\n"
        f"u, _ = User.objects.get_or_create(email={email!r}, defaults={defaults!r})\n"
        f"u.set_password({password!r}); u.is_active = True; u.save()\n"
    )
    manage(env, "shell", "-c", script)


class Gunicorn:
    """`gunicorn config.wsgi` with the repository's gunicorn.conf.py, on a free port."""

    def __init__(self, env: dict, *, name: str = "app", port: int | None = None):
        self.env = {**env, "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="live-metrics-")}
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{name}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [PY, "-m", "gunicorn", "config.wsgi:application", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(
            lambda: requests.get(f"{self.url}/health/", timeout=2).status_code == 200,
            seconds=60,
            what=f"{self.name} answering /health/",
        )
        return self

    def __exit__(self, *exc) -> None:
        stop_group(self.process)
        shutil.rmtree(self.env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class CeleryWorker:
    """`celery -A config worker` with `concurrency` prefork processes, as the Procfile's
    worker runs, on the broker in env's CELERY_BROKER_URL."""

    def __init__(self, env: dict, *, concurrency: int = 2, name: str = "worker"):
        self.env, self.concurrency = env, concurrency
        self.node = f"{name}-{secrets.token_hex(4)}@localhost"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "CeleryWorker":
        from celery import Celery

        log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [PY, "-m", "celery", "-A", "config", "worker", "--pool", "prefork",
             "--concurrency", str(self.concurrency), "-n", self.node, "--without-gossip",
             "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        client = Celery("live-ping", broker=self.env["CELERY_BROKER_URL"])
        try:
            wait_for(
                lambda: (
                    self.process.poll() is None
                    and client.control.ping(destination=[self.node], timeout=1.0)
                ),
                seconds=60,
                what=f"{self.node} answering a ping",
            )
        finally:
            client.close()
        return self

    def __exit__(self, *exc) -> None:
        stop_group(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def stop_group(process: subprocess.Popen | None) -> None:
    """Stop a process started in a session of its own, and its children: TERM, then KILL."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


# --- signing in -------------------------------------------------------------------------


def api_login(base: str, email: str, password: str = PASSWORD) -> dict:
    """{"access": ..., "refresh": ...} from the API's password login."""
    response = requests.post(
        f"{base}/api/v1/auth/token/", json={"email": email, "password": password}, timeout=10
    )
    response.raise_for_status()
    return response.json()


def page_login(base: str, email: str, password: str = PASSWORD) -> requests.Session:
    """A browser-like session signed in through the login form.

    Production cookies are Secure: see sending_secure_cookies.
    """
    session = sending_secure_cookies(requests.Session())
    page = session.get(f"{base}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"username": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        allow_redirects=False,
        timeout=10,
    )
    if response.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"page login: HTTP {response.status_code}")
    return session


def sending_secure_cookies(session: requests.Session) -> requests.Session:
    """Make `session` send production's Secure cookies over plain HTTP, as over TLS.

    requests keeps Secure cookies from http:// URLs, and copies the session's cookies into
    a fresh jar for every request (so a cookie policy would not reach it): the flag is
    cleared on every cookie just before each request instead.
    """
    send = session.request

    def request(method, url, *args, **kwargs):
        for cookie in session.cookies:
            cookie.secure = False
        return send(method, url, *args, **kwargs)

    session.request = request
    return session


def csrf_token(session: requests.Session, base: str, path: str) -> str:
    page = session.get(f"{base}{path}", timeout=10)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


# --- databases and caches -----------------------------------------------------------------


def fresh_shared_database(name: str) -> str:
    """A new, empty database on the machine's PostgreSQL: its URL."""
    for command in (["dropdb", "--if-exists", "--force"], ["createdb"]):
        subprocess.run(
            [*command, "-h", "127.0.0.1", "-U", "root", name], check=True, capture_output=True
        )
    return f"{SHARED_POSTGRES}/{name}"


def fresh_shared_redis(index: int) -> str:
    """An emptied database index on the machine's Redis: its URL.

    Entries a previous run left (cached users of a database since re-created) would
    otherwise answer for the new run's users.
    """
    url = f"{SHARED_REDIS}/{index}"
    redis.Redis.from_url(url).flushdb()
    return url


def postgres_bin(program: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{program}")) or [shutil.which(program)]
    if not found[-1]:
        raise RuntimeError(f"{program} not found (Debian's postgresql package)")
    return found[-1]


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb into a temporary directory) on a spare port."""

    def __init__(self):
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="live-pg-"))
        self.data = self.directory / "data"
        self.url = f"postgres://root@127.0.0.1:{self.port}/taskflow"
        # PostgreSQL refuses to run as root: CI is root, so the cluster belongs to postgres.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.directory, "postgres")

    def _run(self, *command: str, timeout: float = 60) -> None:
        done = subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)}: {done.stdout}{done.stderr}")

    def __enter__(self) -> "PrivatePostgres":
        self._run(
            postgres_bin("initdb"), "-D", str(self.data), "-U", "root", "--auth=trust",
            "--no-sync",
        )  # fmt: skip
        self.start()
        self._run(
            postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "root",
            "taskflow",
        )  # fmt: skip
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.directory} -c fsync=off"
        self._run(
            postgres_bin("pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.directory / "server.log"), "-w", "-t", "30", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    """A Redis server of its own on a spare port; stop() and start() at will."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, seconds=10, what="private Redis")

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def __enter__(self) -> "PrivateRedis":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
