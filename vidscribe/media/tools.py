"""Running ffmpeg and ffprobe: found on PATH, never through a shell, always with a time limit."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from vidscribe.errors import ConfigError, SourceError, VidscribeError

# Demuxers of self-contained media files: what yt-dlp and users hand us (MP4/MOV, Matroska/WebM,
# FLV, MPEG-TS/PS, AVI, Ogg, ASF, raw streams, audio files) and single pictures (so a still is named
# as one). Demuxers that can refer to other files or URLs (hls, dash, concat, ...) are not on it:
# a downloaded "video" that is really a playlist naming /etc/... or a local .ts is refused, and only
# the file protocol may be opened at all.
SAFE_DEMUXERS = ("mov", "matroska", "flv", "mpegts", "mpeg", "avi", "ogg", "asf", "wav", "mp3", "aac", "flac",
                 "m4v", "h264", "hevc", "amr", "image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe",
                 "tiff_pipe", "gif")
PROTOCOLS = "file"


def input_guard() -> list[str]:
    """ffmpeg/ffprobe input options (before `-i`/the input): the file protocol and safe demuxers only."""
    return ["-protocol_whitelist", PROTOCOLS, "-format_whitelist", ",".join(SAFE_DEMUXERS)]


_NOT_ON_WHITELIST = re.compile(r"\[(\w+) @ [^\]]*\] (?:Format|Protocol) not on whitelist")


def require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise ConfigError(f"{tool} not found on PATH: install ffmpeg (apt-get install ffmpeg)")
    return path


def last_error_line(stderr: bytes | str) -> str:
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # ffmpeg prefixes the message with the file it read: our internal copy, not what the user named.
    return re.sub(r"^/\S+: ", "", lines[-1]) if lines else "no error output"


# ffmpeg's words for an output it could not write: the disk, not the input, is at fault.
_WRITE_FAILURES = ("No space left on device", "File too large", "Read-only file system", "Disk quota exceeded")


def run_tool(args: Sequence[str], timeout: float, source: str, what: str, writes: Path | None = None) -> bytes:
    """Run ffmpeg/ffprobe `args` (args[0] is the tool name); return stdout, or raise one-line errors.
    `writes` is the folder the output goes to, named when the failure was writing there."""
    cmd = [require(args[0]), *args[1:]]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SourceError(f"{what} took longer than {timeout:g} s (raise VIDSCRIBE_FFMPEG_TIMEOUT)",
                          source=source) from None
    if done.returncode != 0:
        refused = _NOT_ON_WHITELIST.search(done.stderr.decode("utf-8", "replace"))
        if refused:
            raise SourceError(f"refused: its content ({refused.group(1)}) points at other files or streams; "
                              "only self-contained media files are read", source=source)
        stderr = done.stderr.decode("utf-8", "replace")
        full = next((w for w in _WRITE_FAILURES if w in stderr), None)
        if writes is not None and full:
            raise VidscribeError(f"cannot write to {writes}: {full}", source=source)
        raise SourceError(f"{what} failed: {last_error_line(done.stderr)}", source=source)
    return done.stdout
