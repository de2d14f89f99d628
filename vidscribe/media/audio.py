"""Extract the speech-ready audio track: 16 kHz mono 16-bit PCM WAV."""

from __future__ import annotations

import os
import shutil
import tempfile
import wave
from pathlib import Path

import ffmpeg

from vidscribe.atomic import atomic_move
from vidscribe.errors import VidscribeError
from vidscribe.media.tools import input_guard, run_tool

SAMPLE_RATE = 16000


# ffmpeg writes the WAV header first and can end with status 0 when the disk fills mid-way, leaving
# a header that promises more samples than the file holds (seen: 16 KiB of a 250 KiB track). A
# complete file is its header (44 bytes, more with optional chunks) plus every promised sample.
MAX_WAV_HEADER = 4096


def _check_complete(wav: Path, folder: Path, source: str) -> None:
    try:
        with wave.open(str(wav), "rb") as w:
            promised = w.getnframes() * w.getsampwidth() * w.getnchannels()
    except (EOFError, wave.Error):  # the disk filled before ffmpeg finished even the header
        promised = None
    if promised is None or not 0 < wav.stat().st_size - promised <= MAX_WAV_HEADER:
        free = shutil.disk_usage(folder).free
        raise VidscribeError(f"cannot write to {folder}: the audio track came out cut short "
                             f"({free // 1024} KiB free)", source=source)


def extract_audio(media: Path, out: Path, timeout: float, source: str | None = None) -> Path:
    """Write `out` atomically; an ffmpeg failure or time-out leaves no partial file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial.wav", dir=out.parent)
    os.close(fd)  # a unique name, so two extractions of one video never write the same file
    tmp = Path(name)
    args = (
        ffmpeg.input(str(media))
        .output(str(tmp), vn=None, sn=None, dn=None, ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le",
                map_metadata=-1, f="wav")
        .overwrite_output()
        .compile()
    )
    # ffmpeg-python appends global options after the output, where ffmpeg ignores them.
    args = [args[0], "-nostdin", "-hide_banner", "-v", "error", *input_guard(), *args[1:]]
    try:
        run_tool(args, timeout, source or str(media), "audio extraction: ffmpeg", writes=out.parent)
        _check_complete(tmp, out.parent, source or str(media))
        atomic_move(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
