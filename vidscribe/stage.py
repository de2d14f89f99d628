"""The tiny interface every pipeline stage implements.

A stage is a function from a `StageContext` (settings, the stored transcript so far, the media
and audio paths) to a `StageOutput` (new transcript parts and derived files). Stages do not write:
the pipeline commits their output atomically, so a stage that fails or is killed leaves the
previous outputs as they were.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vidscribe.settings import Settings
from vidscribe.transcripts.model import Transcript

MEDIA_STAGE = "media"
# Stage name -> module exposing STAGE, in pipeline order. Imported lazily: each pulls in a heavy library.
STAGE_MODULES: dict[str, str] = {
    "speech": "vidscribe.speech",
    "subtitles": "vidscribe.subtitles",
    "align": "vidscribe.align",
    "analysis": "vidscribe.analysis.stage",
    "fingerprint": "vidscribe.fingerprint",
}


def in_pipeline_order(names: Iterable[str]) -> list[str]:
    """`names` in the order the stages run (media first); names of no known stage last, as given."""
    order = {name: i for i, name in enumerate([MEDIA_STAGE, *STAGE_MODULES])}
    return sorted(names, key=lambda name: order.get(name, len(order)))


@dataclass(frozen=True)
class StageContext:
    settings: Settings
    transcript: Transcript  # as stored before this stage; treat as read-only
    media_path: Path  # the source media file
    audio_path: Path | None  # 16 kHz mono WAV, None when the media has no audio stream
    output_dir: Path  # the video's transcript folder (for reading earlier outputs only)
    progress: Callable[[float], None] = lambda fraction: None  # 0..1 within this stage

    @property
    def video_id(self) -> str:
        return self.transcript.video.id


@dataclass
class StageOutput:
    # Transcript field name -> new value, e.g. {"speech": Speech(...)}; applied with dataclasses.replace.
    changes: dict[str, Any] = field(default_factory=dict)
    # Files to write under the video's transcript folder (relative name -> content).
    files: dict[str, bytes | str] = field(default_factory=dict)
    # Set when the stage decided not to run (e.g. "no audio stream"): recorded as status "skipped".
    skipped: str | None = None


@dataclass(frozen=True)
class Stage:
    name: str
    version: str  # bump when the stage's output for the same input changes
    run: Callable[[StageContext], StageOutput]
    after: tuple[str, ...] = ()  # stages whose outputs this one reads
    queue: str = "post"  # RQ queue its jobs go to
