"""Extract the speech-ready audio track: 16 kHz mono 16-bit PCM WAV."""

from __future__ import annotations

from pathlib import Path

import ffmpeg

from vidscribe.atomic import atomic_move
from vidscribe.media.tools import run_tool

SAMPLE_RATE = 16000


def extract_audio(media: Path, out: Path, timeout: float, source: str | None = None) -> Path:
    """Write `out` atomically; an ffmpeg failure or time-out leaves no partial file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial.wav")
    args = (
        ffmpeg.input(str(media))
        .output(str(tmp), vn=None, sn=None, dn=None, ac=1, ar=SAMPLE_RATE, acodec="pcm_s16le",
                map_metadata=-1, f="wav")
        .overwrite_output()
        .compile()
    )
    # ffmpeg-python appends global options after the output, where ffmpeg ignores them.
    args = [args[0], "-nostdin", "-hide_banner", "-v", "error", *args[1:]]
    try:
        run_tool(args, timeout, source or str(media), "audio extraction: ffmpeg")
        atomic_move(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
