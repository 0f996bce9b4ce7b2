"""Argon2 password hashing that cannot starve the requests around it.

One Argon2 hash takes ~0.24 s of both cores here and ~100 MiB of memory. Each worker
process hashes on one background thread at the lowest CPU priority (nice +19): a login
storm then uses the CPU the other requests leave, and at most one hash per process is in
memory at once. The lowest, because a hash runs on 8 lane threads (Django's parallelism)
and the scheduler weighs each: at +10 two hashes weighed nearly as much as two workers, and
a login storm doubled the task list's p95 (bench/README.md, "Levers"). argon2-cffi
releases the GIL while hashing, so with gthread workers the process keeps serving other
requests meanwhile.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import Argon2PasswordHasher

HASHING_NICENESS = 19
_executor: ThreadPoolExecutor | None = None
_executor_pid: int | None = None
_executor_lock = threading.Lock()


def _lower_priority() -> None:
    # On Linux, nice is per thread (and inherited by the threads Argon2 starts for its lanes).
    with contextlib.suppress(AttributeError, OSError):  # elsewhere: an ordinary thread
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


def _hashing_thread() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _executor_lock:
        if _executor is None or _executor_pid != os.getpid():  # none yet, or forked since
            _executor = ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="password-hashing", initializer=_lower_priority
            )
            _executor_pid = os.getpid()
        return _executor


class BackgroundArgon2PasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (same parameters and stored format, "argon2$..."), run on
    the process's low-priority hashing thread."""

    def encode(self, password, salt):
        return _hashing_thread().submit(super().encode, password, salt).result()

    def verify(self, password, encoded):
        return _hashing_thread().submit(super().verify, password, encoded).result()
