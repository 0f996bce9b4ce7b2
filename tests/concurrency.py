"""Run one action from several threads at the same instant, each on its own connection."""

import threading

from django.db import connection


def run_at_once(action, times: int) -> list[str]:
    """The outcomes `action()` returned (or named) in each thread, in any order."""
    start, outcomes = threading.Barrier(times), []

    def run():
        start.wait()
        try:
            outcomes.append(action())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)
