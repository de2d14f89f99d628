"""tests/real_whisper.py, the real-model tier's helper: it hands out the pinned model or fails saying
how to get it; a cache that is not the pinned model is never used."""

from __future__ import annotations

from pathlib import Path

import pytest
import real_whisper
from real_whisper import MODEL_FILES, WHEELS, ModelUnavailable, folder, installed


def fake_wheels(root: Path, part1: bytes = b"part one", part2: bytes = b"part two") -> Path:
    """Both wheels' folders as pip --target leaves them, with small stand-ins for the model parts."""
    for wheel in WHEELS:
        (root / f"{wheel.package}-{wheel.version}.dist-info").mkdir(parents=True)
        for file in wheel.files:
            path = wheel.path(root, file)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes({"data/model.bin.part1": part1, "data/model.bin.part2": part2}.get(file, b"{}"))
    return root


def test_without_the_wheels_it_fails_with_the_set_up_command(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"\./dev setup") as info:
        folder(tmp_path / "wheels", tmp_path / "model")
    assert "\n" not in str(info.value)
    assert not installed(tmp_path / "wheels")


def test_parts_that_do_not_make_the_pinned_model_are_refused(tmp_path: Path) -> None:
    wheels = fake_wheels(tmp_path / "wheels")
    assert installed(wheels)
    with pytest.raises(ModelUnavailable, match="not the pinned"):
        folder(wheels, tmp_path / "model")
    assert not (tmp_path / "model").exists()  # nothing half-made is left to be taken for the model


def test_another_version_of_a_wheel_is_not_the_installed_one(tmp_path: Path) -> None:
    wheels = fake_wheels(tmp_path / "wheels")
    old = wheels / f"{WHEELS[1].package}-{WHEELS[1].version}.dist-info"
    old.rename(wheels / f"{WHEELS[1].package}-0.9.dist-info")
    assert not installed(wheels)


def test_the_pinned_model_is_assembled_once_and_verified(whisper_base: Path) -> None:
    assert whisper_base == real_whisper.MODEL_DIR
    assert sorted(p.name for p in whisper_base.iterdir()) == sorted(("model.bin", *MODEL_FILES))
    assert real_whisper.sha256_of(whisper_base / "model.bin") == real_whisper.MODEL_SHA256
    mtime = (whisper_base / "model.bin").stat().st_mtime_ns
    assert folder() == whisper_base and (whisper_base / "model.bin").stat().st_mtime_ns == mtime  # not rebuilt
