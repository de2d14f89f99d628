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


def _apt_words(text: str) -> set[str]:
    return {w for w in text.replace("\\", " ").split() if w and w[0].isalnum() and "=" not in w}


def test_the_docker_image_installs_what_the_demo_needs() -> None:
    """The Debian packages a first look needs (`./dev demo`: ffmpeg, fonts, espeak-ng, Tesseract's
    data) are in the image too; only the venv tooling the image does not use is left out."""
    dev = (ROOT / "dev").read_text()
    demo = _apt_words(dev.split("DEMO_APT=(", 1)[1].split(")", 1)[0])
    docker = (ROOT / "Dockerfile").read_text()
    installed = _apt_words(docker.split("apt-get install", 1)[1].split("&&", 1)[0])
    assert demo - {"python3-venv", "python3-pip"} <= installed, demo - installed
