"""What bench/run.py is built from: loopback HTTP, gunicorn processes and wrk runs.

Nothing here knows TaskFlow: a request, a server started with gunicorn.conf.py, a wrk run
and the summary of several.
"""

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
WRK = "/usr/bin/wrk"


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


# --- wrk ---------------------------------------------------------------------------------


def wrk_threads(connections) -> int:
    return max(1, min(2, connections))


def wrk_command(port, path, duration, connections, script=BENCH / "wrk.lua", threads=None):
    threads = threads or wrk_threads(connections)
    return [
        WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s",
        "--timeout", "10s", "--latency", "-s", str(script), f"http://127.0.0.1:{port}{path}",
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


def run_wrk(port, path, duration, connections, env, script=BENCH / "wrk.lua", threads=None):
    command = wrk_command(port, path, duration, connections, script, threads)
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


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
