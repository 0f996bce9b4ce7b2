"""No project module reaches into a third-party package's private internals (GUIDE.md).

The checker (tests/core/private_internals.py) reads every module of accounts, tasks, core,
config, bench and tests, and the root scripts. Tests are scanned too: a test that patches
a library's private name breaks on upgrade just as silently as the code would.
"""

import textwrap
from pathlib import Path

import pytest

from tests.core.private_internals import scan

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("accounts", "tasks", "core", "config", "bench", "tests")
PROJECT = {*SCANNED, "manage"}


def project_files(root: Path) -> list[Path]:
    files = [path for path in root.glob("*.py")]
    for package in SCANNED:
        for path in (root / package).rglob("*.py"):
            relative = path.relative_to(root).parts
            if "__pycache__" not in relative and not any(p.startswith(".") for p in relative):
                files.append(path)
    return files


def findings_in(tmp_path: Path, source: str) -> list[str]:
    module = tmp_path / "core" / "planted.py"
    module.parent.mkdir(exist_ok=True)
    module.write_text(textwrap.dedent(source))
    return [finding.name for finding in scan(tmp_path, [module], PROJECT)]


def test_the_tree_uses_no_private_internals():
    found = scan(ROOT, project_files(ROOT), PROJECT)
    assert [str(f) for f in found] == []


@pytest.mark.parametrize(
    ("source", "name"),
    [
        ("from django_ratelimit.core import _split_rate\n", "django_ratelimit.core._split_rate"),
        ("import django_redis._private\n", "django_redis._private"),
        ("from csp._internal import build\n", "csp._internal"),
        (
            "import django_ratelimit.core\ndjango_ratelimit.core._get_window('a', 60)\n",
            "_get_window",
        ),
        (
            "from django.core.cache import cache\nif cache._ignore_exceptions: pass\n",
            "_ignore_exceptions",
        ),
        (
            "from rest_framework import throttling as t\nt.SimpleRateThrottle._cache_key\n",
            "_cache_key",
        ),
        ("def first(qs):\n    return qs._result_cache[0]\n", "_result_cache"),
        (
            "def set_none(task):\n    task._prefetched_objects_cache = {}\n",
            "_prefetched_objects_cache",
        ),
        (
            "def exempt(response):\n    return getattr(response, '_csp_exempt', False)\n",
            "_csp_exempt",
        ),
        ("def later(monkeypatch, gen):\n    monkeypatch.setattr(gen, '_now', None)\n", "_now"),
        (
            "from unittest import mock\nmock.patch('django_ratelimit.core._split_rate')\n",
            "django_ratelimit.core._split_rate",
        ),
    ],
)
def test_a_planted_private_use_is_found(tmp_path, source, name):
    assert findings_in(tmp_path, source) == [name]


def test_what_is_ours_or_documented_is_allowed(tmp_path):
    source = """
        from django.utils.translation import gettext_lazy as _

        _PERIODS = {"m": 60}


        class Counter:
            def __init__(self):
                self._count = 0

            def _next(self):
                self._count += 1
                return self._count


        def label(model, counter: Counter):
            counter._next()
            return _(model._meta.verbose_name), model.__class__.__name__, model._base_manager


        def periods(module):
            return module._PERIODS
    """
    assert findings_in(tmp_path, source) == []
