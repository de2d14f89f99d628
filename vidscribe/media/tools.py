"""Running ffmpeg and ffprobe: found on PATH, never through a shell, always with a time limit."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Sequence

from vidscribe.errors import ConfigError, SourceError


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


def run_tool(args: Sequence[str], timeout: float, source: str, what: str) -> bytes:
    """Run ffmpeg/ffprobe `args` (args[0] is the tool name); return stdout, or raise one-line errors."""
    cmd = [require(args[0]), *args[1:]]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise SourceError(f"{what} took longer than {timeout:g} s (raise VIDSCRIBE_FFMPEG_TIMEOUT)",
                          source=source) from None
    if done.returncode != 0:
        raise SourceError(f"{what} failed: {last_error_line(done.stderr)}", source=source)
    return done.stdout
