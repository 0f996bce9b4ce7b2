"""Parallel refreshes of one token: exactly one may win (needs PostgreSQL row locks)."""

import threading

import pytest
from django.db import connection
from rest_framework_simplejwt.exceptions import TokenError

from accounts import services

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_refreshes_of_one_token_mint_exactly_one_successor(user):
    refresh = services.token_pair_issue(user=user)["refresh"]
    start = threading.Barrier(4)
    outcomes = []

    def attempt():
        start.wait()
        try:
            services.token_pair_refresh(refresh=refresh)
            outcomes.append("ok")
        except TokenError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
