"""Production's password hasher: Django's Argon2, run on a low-priority thread (issue 6)."""

import os
import threading

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

from accounts import hashers


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = settings.PASSWORD_HASHERS_PRODUCTION


def test_hashes_are_djangos_argon2_both_ways(production_hashers):
    ours = make_password("correct horse")
    assert ours.startswith("argon2$")
    assert Argon2PasswordHasher().verify("correct horse", ours)
    theirs = Argon2PasswordHasher().encode("correct horse", Argon2PasswordHasher().salt())
    assert check_password("correct horse", theirs)
    assert not check_password("wrong horse", theirs)


def test_hashing_runs_on_one_low_priority_thread_per_process(production_hashers, monkeypatch):
    seen = []
    real_verify = Argon2PasswordHasher.verify

    def spy(self, password, encoded):
        seen.append(
            (threading.get_ident(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        )
        return real_verify(self, password, encoded)

    monkeypatch.setattr(Argon2PasswordHasher, "verify", spy)
    encoded = make_password("pw")
    hasher = hashers.BackgroundArgon2PasswordHasher()
    assert hasher.verify("pw", encoded)
    assert hasher.verify("pw", encoded)
    (first_thread, niceness), (second_thread, _) = seen
    assert first_thread == second_thread != threading.get_ident()
    assert (
        niceness >= os.getpriority(os.PRIO_PROCESS, 0) + hashers.HASHING_NICENESS - 1
        or niceness == 19
    )
