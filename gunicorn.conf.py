"""gunicorn settings; every knob comes from the environment (see README)."""

import os
import shutil
import tempfile
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
# 4 sync workers on 2 cores, chosen with bench/run.py (bench/README.md "Levers"): threads
# cost throughput (the GIL); 2 workers left nothing to serve pages while two logins hash;
# 6 made a login storm gentler but cost task creation 15 % (more concurrent INSERTs).
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak can never take an instance down. Each
# recycle re-imports Django (~1 s of CPU here): at 2,000 a busy worker (500 req/s) paid
# that every few seconds under the benchmark.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
errorlog = "-"
# Render/Railway put one proxy in front; the app trusts X-Forwarded-* per its own settings.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# --- Observability (docs/operations.md#monitoring) ---------------------------------
# Logs: one JSON object per line on stderr, gunicorn's own lines too. The app logs one line
# per request (core.http.middleware), so gunicorn's access log is off unless asked for.
from core.observability.logging import json_formatter  # noqa: E402

_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "").lower() in {"1", "true", "yes"}
accesslog = "-" if _access_log else None
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": json_formatter()},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {
            "level": "INFO",
            "handlers": ["stderr"] if _access_log else [],
            "propagate": False,
        },
    },
}

# Metrics: every worker writes its counters to files in this directory and /metrics adds
# them up (prometheus_client's multiprocess mode); without it a scrape would see one
# worker's numbers. Set here, before any worker imports prometheus_client. The default is
# private to this master; a directory you name is emptied at start like the default.
_DEFAULT_METRICS_DIR = os.path.join(tempfile.gettempdir(), f"taskflow-metrics-{os.getpid()}")
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", _DEFAULT_METRICS_DIR)


def on_starting(server):
    """Counters restart with the master: drop files a previous run left behind."""
    path = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    for kind in ("counter", "gauge", "histogram", "summary"):
        for stale in path.glob(f"{kind}_*.db"):
            stale.unlink()


def child_exit(server, worker):
    """A dead worker's counters still count; its live gauges (none yet) must not."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the default directory; one you named is emptied at the next start."""
    if os.environ["PROMETHEUS_MULTIPROC_DIR"] == _DEFAULT_METRICS_DIR:
        shutil.rmtree(_DEFAULT_METRICS_DIR, ignore_errors=True)
