"""The size and duration limits (VIDSCRIBE_MAX_FILESIZE, VIDSCRIBE_MAX_DURATION) and their messages."""

from __future__ import annotations

from vidscribe.errors import SourceError
from vidscribe.settings import Settings


class TooLarge(Exception):
    """Raised inside a download (from yt-dlp's progress hook) once it has passed the size limit."""


def too_large(source: str, limit: int, size: int | None = None, how: str = "") -> SourceError:
    what = f"{mib(size)} is over" if size else "over"
    return SourceError(f"too large: {how}{what} the limit of {mib(limit)} (VIDSCRIBE_MAX_FILESIZE)", source=source)


def too_long(source: str, duration: float, limit: float) -> SourceError:
    return SourceError(f"too long: {duration:.0f} s is over the limit of {limit:.0f} s (VIDSCRIBE_MAX_DURATION)",
                       source=source)


def check_limits(source: str, settings: Settings, duration: float | None, size: int | None) -> None:
    """Refuse what is known to be over a limit; unknown values pass (they are checked later)."""
    if duration and duration > settings.max_duration:
        raise too_long(source, duration, settings.max_duration)
    if size and size > settings.max_filesize:
        raise too_large(source, settings.max_filesize, size)


def mib(n: float) -> str:
    for unit, scale in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{int(n)} bytes"
