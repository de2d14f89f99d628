"""A video's media folder, `media/<id>/`: what is stored there, and how a new set of files commits.

    source.<ext>   the media     info.json   its metadata (yt-dlp's, or a local file's)     audio.wav   16 kHz audio

Every write here happens under the video's lock (`Store.locked`), as every write under
`transcripts/<id>/` does. info.json goes in before the media it describes, so a stored media file
always has its info beside it. A run killed at any point leaves only hidden temporaries
(`.source.*.partial.*`, `.download-*/`, `.audio.wav.*`, `.*.tmp`); the next run of the video removes
them, holding the lock, which tells it that no live process is still writing them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from vidscribe.atomic import atomic_move, atomic_write
from vidscribe.transcripts.store import Store

MEDIA_STEM = "source"
INFO_FILE = "info.json"
AUDIO_FILE = "audio.wav"
DOWNLOAD_PREFIX = ".download-"  # a private folder yt-dlp downloads (and merges) in


def stored_media(directory: Path) -> Path | None:
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.glob(f"{MEDIA_STEM}.*") if p.is_file())
    return found[0] if found else None


def read_info(directory: Path) -> dict[str, Any] | None:
    """The stored info, or None when it is missing or unreadable (a run killed before writing it)."""
    try:
        info = json.loads((directory / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def write_info(directory: Path, info: dict[str, Any]) -> None:
    atomic_write(directory / INFO_FILE, json.dumps(info, ensure_ascii=False, indent=1, default=str))


def remove_leftovers(store: Store, video_id: str) -> None:
    """Remove what killed runs left: every hidden entry of the media folder (only temporaries are
    hidden there) and the atomic writes' `.*.tmp` files under the transcript folder. Call it holding
    the video's lock: every writer of these folders holds it, so none of them is alive."""
    media = store.media_dir(video_id)
    if media.is_dir():
        for entry in media.glob(".*"):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    transcripts = store.transcript_dir(video_id)
    if transcripts.is_dir():
        for tmp in transcripts.rglob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def temp_file(directory: Path, stem: str, suffix: str) -> Path:
    """A new empty hidden file in `directory` for a file on its way to `stem`."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{stem}.", suffix=suffix, dir=directory)
    os.close(fd)
    return Path(name)


def download_folder(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX, dir=directory))


def commit(directory: Path, media: Path, name: str, info: dict[str, Any], audio: Path | None) -> Path:
    """Put a new media file in as `name`, with its info and audio (None: it has no audio). The order
    keeps the folder consistent wherever a kill stops it: the old audio goes first (a media file
    without audio gets it extracted again), then the info, then the media, then its audio."""
    (directory / AUDIO_FILE).unlink(missing_ok=True)
    write_info(directory, info)
    target = directory / name
    atomic_move(media, target)
    for old in directory.glob(f"{MEDIA_STEM}.*"):
        if old.name != target.name:
            old.unlink(missing_ok=True)
    if audio is not None:
        atomic_move(audio, directory / AUDIO_FILE)
    return target


def remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: it holds media from before
        directory.rmdir()
