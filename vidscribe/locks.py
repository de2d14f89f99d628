"""Advisory file locks (flock) between processes on this host: one place for how a lock is held."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def _held(f: BinaryIO, mode: int) -> Iterator[None]:
    fcntl.flock(f.fileno(), mode)
    try:
        yield
    finally:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold `path` (created with its folder when missing) exclusively: what every writer takes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+b") as f, _held(f, fcntl.LOCK_EX):
        yield


@contextlib.contextmanager
def shared(path: Path) -> Iterator[None]:
    """Hold `path` shared (readers together, no writer meanwhile). The file is opened read-only and
    never created, so a reader leaves the store as it was; no lock file means no writer ever held it."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (closed below)
    except FileNotFoundError:
        yield
        return
    with f, _held(f, fcntl.LOCK_SH):
        yield
