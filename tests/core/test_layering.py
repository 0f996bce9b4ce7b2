"""The import-linter contract in pyproject.toml holds, and fails when it is broken."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("config", "core", "accounts", "tasks")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path) -> Path:
    """The four packages and pyproject.toml, copied where a breach can be planted."""
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core/breach.py", "from tasks import models\n", "core imports no app and not config"),
        ("core/breach.py", "import config.urls\n", "core imports no app and not config"),
        ("tasks/breach.py", "from config import celery\n", "the apps do not import config"),
        ("accounts/breach.py", "import tasks.selectors\n", "accounts does not import tasks"),
    ],
)
def test_a_planted_import_breaks_its_contract(tree_copy, module, line, contract):
    (tree_copy / module).write_text(line)
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout
    assert f"{contract} BROKEN" in result.stdout
