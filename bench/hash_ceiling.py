"""The password hasher's own ceiling: check_password calls per second across N processes.

Run by bench/run.py with the production environment, so PASSWORD_HASHERS[0] is the
hasher production uses. Prints one JSON line.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.production_settings")

PASSWORD = "taskflow-demo-2024"


def _setup() -> None:
    import django

    django.setup()


def _check(encoded: str) -> bool:
    from django.contrib.auth.hashers import check_password

    return check_password(PASSWORD, encoded)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--count", type=int, default=20, help="hashes per process")
    args = parser.parse_args()

    _setup()
    from django.contrib.auth.hashers import get_hasher, make_password

    started = time.perf_counter()
    encoded = make_password(PASSWORD)
    make_seconds = time.perf_counter() - started
    with multiprocessing.Pool(args.processes, initializer=_setup) as pool:
        pool.map(_check, [encoded] * args.processes, chunksize=1)  # warm up every process
        total = args.processes * args.count
        started = time.perf_counter()
        ok = pool.map(_check, [encoded] * total, chunksize=1)
        elapsed = time.perf_counter() - started
    print(
        json.dumps(
            {
                "hasher": get_hasher().algorithm,
                "processes": args.processes,
                "hashes": total,
                "all_ok": all(ok),
                "seconds": round(elapsed, 3),
                "hashes_per_second": round(total / elapsed, 2),
                "one_make_password_seconds": round(make_seconds, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
