"""Atomic file writes: readers see the old file or the new one, never a half-written one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Write to a hidden temporary file beside `path`; on success fsync and rename it over `path`.

    If the block raises (or the process dies) the temporary file is removed (or left as a hidden
    `.tmp` name that no reader looks for) and `path` keeps its previous content.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> None:
    with atomic_open(path) as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)


def atomic_move(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Rename `src` over `dst` (same filesystem) after making `src`'s bytes durable."""
    with open(src, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(src, 0o644)  # as every other output (mkstemp makes 0600)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    os.replace(src, dst)
    _fsync_dir(Path(dst).parent)


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a directory be fsynced
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
