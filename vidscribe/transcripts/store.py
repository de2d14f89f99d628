"""The transcript store: one folder per video under the data root, written atomically.

    <data>/media/<video_id>/        source media, yt-dlp's info.json, audio.wav
    <data>/transcripts/<video_id>/  transcript.json (canonical) and the files derived from it

Video IDs are checked against a strict pattern before they touch a path, so no ID (and no
title: titles never become paths) can escape the data root.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from vidscribe import locks
from vidscribe.atomic import atomic_write
from vidscribe.errors import ConfigError, SourceError, VidscribeError
from vidscribe.transcripts.model import Transcript
from vidscribe.transcripts.render import derived_files

VIDEO_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
TRANSCRIPT_FILE = "transcript.json"


def check_video_id(video_id: str) -> str:
    if not VIDEO_ID_RE.match(video_id):
        raise SourceError(f"not a valid video ID: {video_id!r}")
    return video_id


class Store:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def check_writable(self) -> None:
        """Fail with one line naming the data root when it cannot hold outputs (not a directory,
        read-only, no space), before any download or model load."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-check-"):
                pass
        except OSError as e:
            raise ConfigError(f"cannot write to the data root {self.root}: {e.strerror or e}") from None

    def media_dir(self, video_id: str) -> Path:
        return self.root / "media" / check_video_id(video_id)

    def transcript_dir(self, video_id: str) -> Path:
        return self.root / "transcripts" / check_video_id(video_id)

    def transcript_path(self, video_id: str) -> Path:
        return self.transcript_dir(video_id) / TRANSCRIPT_FILE

    def exists(self, video_id: str) -> bool:
        return self.transcript_path(video_id).is_file()

    def load(self, video_id: str) -> Transcript:
        path = self.transcript_path(video_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return Transcript.from_dict(data)
        except FileNotFoundError:
            raise VidscribeError(f"no transcript for video ID {video_id!r} in {self.root}") from None
        except (ValueError, TypeError, AttributeError, KeyError) as e:  # not JSON, or not our shape
            raise VidscribeError(f"{path}: unreadable transcript ({type(e).__name__}: {e})") from None

    def save(self, transcript: Transcript) -> Path:
        """Write transcript.json, after the files derived from it (SRT, VTT, transcript.md), so the
        derived files always match the transcript they came from; each write is atomic."""
        path = self.transcript_path(transcript.video.id)
        text = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
        for name, content in derived_files(transcript).items():
            target = path.parent / name
            if content is None:
                target.unlink(missing_ok=True)
            elif not (target.is_file() and target.read_bytes() == content.encode("utf-8")):
                atomic_write(target, content)
        atomic_write(path, text + "\n")
        return path

    def write_output(self, video_id: str, name: str, data: bytes | str) -> Path:
        """Write a derived output (SRT, keyframe, ...) under the video's transcript folder."""
        if name.startswith(("/", ".")) or ".." in Path(name).parts:
            raise ValueError(f"output name must be a relative path inside the folder: {name!r}")
        path = self.transcript_dir(video_id) / name
        atomic_write(path, data)
        return path

    @contextlib.contextmanager
    def locked(self, video_id: str) -> Iterator[None]:
        """Serialise read-modify-write of one video's folders across processes on this host.

        Every writer under `media/<id>/` and `transcripts/<id>/` holds it, so a temporary file found
        there by a holder belongs to a dead process. Not re-entrant: never take it twice."""
        with locks.exclusive(self.transcript_dir(video_id) / ".lock"):
            yield

    def update(self, video_id: str, change: Callable[[Transcript], Transcript]) -> Transcript:
        """Load, change and save one transcript under the video's lock."""
        with self.locked(video_id):
            transcript = change(self.load(video_id))
            self.save(transcript)
            return transcript

    def video_ids(self) -> list[str]:
        base = self.root / "transcripts"
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir()
                      if VIDEO_ID_RE.match(p.name) and (p / TRANSCRIPT_FILE).is_file())

    def transcript_stats(self) -> dict[str, os.stat_result]:
        """Video ID -> stat of its transcript.json, for every stored transcript: one directory scan,
        what the corpus index and the server's catalog compare to find what changed."""
        base = self.root / "transcripts"
        found: dict[str, os.stat_result] = {}
        if not base.is_dir():
            return found
        with os.scandir(base) as entries:
            for entry in entries:
                if VIDEO_ID_RE.match(entry.name):
                    with contextlib.suppress(OSError):
                        found[entry.name] = os.stat(os.path.join(entry.path, TRANSCRIPT_FILE))
        return found

    def transcripts(self) -> Iterator[Transcript]:
        for video_id in self.video_ids():
            with contextlib.suppress(VidscribeError):  # one unreadable file must not hide the rest
                yield self.load(video_id)
