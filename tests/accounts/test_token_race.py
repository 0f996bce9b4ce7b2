"""Parallel refreshes of one token: exactly one may win (needs PostgreSQL row locks)."""

import pytest
from rest_framework_simplejwt.exceptions import TokenError

from accounts import services
from tests.concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_refreshes_of_one_token_mint_exactly_one_successor(user):
    refresh = services.token_pair_issue(user=user)["refresh"]

    def attempt():
        try:
            services.token_pair_refresh(refresh=refresh)
        except TokenError:
            return "refused"
        return "ok"

    assert run_at_once(attempt, 4) == ["ok", "refused", "refused", "refused"]
