"""Errors a user can act on: one line naming the input and the reason.

Anything else that escapes a stage is a bug and keeps its traceback (shown with `--debug`).
"""

from __future__ import annotations

from vidscribe.redact import redact_text
from vidscribe.terminal import exact_line, one_line


class VidscribeError(Exception):
    """A failure whose message is a complete one-line explanation.

    `permanent` tells the queue whether retrying can help: a 404 or an unsupported URL never
    will, a network timeout or an HTTP 5xx may.
    """

    permanent: bool = True

    def __init__(self, reason: str, *, source: str | None = None, permanent: bool | None = None):
        # One line, whatever the library said, and no credentials from a URL in either part.
        self.reason = one_line(redact_text(str(reason)))
        self.source = exact_line(redact_text(source)) if source else source
        if permanent is not None:
            self.permanent = permanent
        super().__init__(self.reason)

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}" if self.source else self.reason


class SourceError(VidscribeError):
    """The input itself is unusable: bad URL, not a video, too long, refused address."""


class TransientError(VidscribeError):
    """Worth retrying later: network trouble, HTTP 5xx, a busy service."""

    permanent = False


class ConfigError(VidscribeError):
    """A setting, a missing tool or a missing model: fix the environment, then run again."""
