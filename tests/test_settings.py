"""Production settings: refuse to start without secrets, and pass the deploy check."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x7#kq2!vR9zL0p$Wm4nB8cT1yF6hJ3sD5gA-e_uXoIiZ+Qw7Er2Ty9Ui0Op3As",
    "DJANGO_ALLOWED_HOSTS": "taskflow.example.com",
    "DATABASE_URL": "postgres://root@127.0.0.1:5432/test",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, env):
    clean = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    clean.pop("RATELIMIT_REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
)
def test_production_settings_refuse_to_start_without(missing):
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_the_defaults_need_no_environment_at_all():
    result = manage("check", env={"DJANGO_SETTINGS_MODULE": "config.settings.local"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("env", "backend", "location"),
    [
        ({}, "django_redis.cache.RedisCache", PRODUCTION_ENV["REDIS_URL"]),
        (
            {"RATELIMIT_REDIS_URL": "redis://counters.internal:6379/0"},
            "django_redis.cache.RedisCache",
            "redis://counters.internal:6379/0",
        ),
    ],
    ids=["defaults to REDIS_URL", "a server of its own"],
)
def test_rate_limit_counters_have_a_cache_alias_of_their_own(env, backend, location):
    show = (
        "from django.conf import settings as s; import json; "
        "print(json.dumps([s.RATELIMIT_USE_CACHE, s.CACHES[s.RATELIMIT_USE_CACHE]]))"
    )
    result = manage("shell", "-v0", "-c", show, env={**PRODUCTION_ENV, **env})
    assert result.returncode == 0, result.stderr
    alias, config = json.loads(result.stdout)
    assert alias != "default"
    assert (config["BACKEND"], config["LOCATION"]) == (backend, location)
    # Errors reach core.ratelimit, which decides (RATELIMIT_FAIL_OPEN); nothing swallows them.
    assert not config["OPTIONS"].get("IGNORE_EXCEPTIONS")


def test_without_redis_the_counters_keep_a_local_memory_of_their_own():
    show = "from django.conf import settings as s; import json; print(json.dumps(s.CACHES))"
    result = manage(
        "shell", "-v0", "-c", show, env={"DJANGO_SETTINGS_MODULE": "config.settings.local"}
    )
    assert result.returncode == 0, result.stderr
    caches = json.loads(result.stdout)
    assert caches["ratelimit"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert caches["ratelimit"]["LOCATION"] != caches["default"].get("LOCATION", "")
