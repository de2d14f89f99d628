"""Where a finding was read: the subtitle cue, overlay or screen text block its text came from, and
that item's keyframe (the image a reader checks the finding against).

A finding records its track, start and context (the whole text it was found in); the item is the
one on that track with the same start and text (else the first with the same start: the text may
have been edited since). Speech and QR findings have no such item.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from vidscribe.transcripts.model import Cue, Finding, Overlay, ScreenText, Transcript

Source = Cue | Overlay | ScreenText
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")


def _items(t: Transcript, track: str) -> list[Cue] | list[Overlay] | list[ScreenText]:
    sub = t.subtitles
    if sub is None:
        return []
    if track in ("subtitle", "subtitles"):
        return sub.cues
    if track == "overlay":
        return sub.overlays
    return sub.screen_text if track == "screen" else []


def finding_source(t: Transcript, f: Finding) -> Source | None:
    """The cue, overlay or screen text block `f` was read from, or None (speech, a QR code, gone)."""
    if f.start is None:
        return None
    same_start = [i for i in _items(t, f.track) if i.start == f.start]
    context = (f.context or "").strip()
    return next((i for i in same_start if i.text.strip() == context), same_start[0] if same_start else None)


def safe_keyframe(name: str | None) -> str | None:
    """`name` when it is a plain relative path inside the transcript folder (`keyframes/0001.jpg`),
    else None: a hostile transcript's "../../x" or "/etc/x" never becomes a link or a path."""
    if not name or not _SAFE_NAME.fullmatch(name) or ".." in PurePosixPath(name).parts:
        return None
    return name


def finding_keyframe(t: Transcript, f: Finding) -> str | None:
    """The keyframe of the item `f` was read from, relative to the transcript folder (overlays and
    speech have none)."""
    return safe_keyframe(getattr(finding_source(t, f), "keyframe", None))
