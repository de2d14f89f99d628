"""Every import the package makes is declared in pyproject.toml, and every declared runtime
dependency is used: a module that only arrives as a dependency of a dependency breaks the day
that dependency drops it (phonenumbers once did: a fresh clone could not run either README command).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _deptry() -> str:
    found = shutil.which("deptry", path=str(Path(sys.executable).parent))
    assert found, "deptry is part of the test extra: pip install -e '.[test]'"
    return found


def test_every_import_is_declared() -> None:
    run = subprocess.run([_deptry(), "--no-ansi", "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr


def test_deptry_catches_an_undeclared_import(tmp_path: Path) -> None:
    """The check can fail: a package importing a module it does not declare is reported."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("import click\nimport phonenumbers\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "0"\ndependencies = ["click"]\n')
    run = subprocess.run([_deptry(), "--no-ansi", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "phonenumbers" in run.stdout + run.stderr
