"""Clip specs and ground truth for the subtitle tests (the clips are made in conftest.py)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from vidscribe.samples import CJK_SERIF_FONT, ClipSpec, TextLayer, subtitle


@dataclass(frozen=True)
class TrueCue:
    start: float
    end: float
    text: str


WATERMARK = "抖音号：test_2024"
FPS = 25

# Vertical, small enough to be quick, large enough for the OCR: a two-line cue, a cue under a
# second, a gap, back-to-back cues, a corner watermark and a sign crossing the picture.
CUES = [
    TrueCue(0.52, 1.84, "加入俄罗斯军队"),
    TrueCue(1.84, 3.2, "签约奖金两百万卢布\n月薪二十万卢布"),
    TrueCue(3.6, 4.32, "今天报名"),
    TrueCue(4.32, 5.6, "电话 +7 999 123-45-67"),
]


def _layers(style: str = "outline", font: str | None = None) -> list[TextLayer]:
    layers: list[TextLayer] = []
    for cue in CUES:
        kwargs = {"font": font} if font else {}
        layers += subtitle(cue.text, cue.start, cue.end, style=style, size=30, bottom="h*0.86", **kwargs)
    return layers


SUBTITLED = ClipSpec(
    duration=6.0, width=432, height=768, fps=FPS, background="color=c=0x3a4a5a",
    background_filters="noise=alls=25:allf=t+u", audio=False,
    layers=_layers() + [
        # Inside the subtitle band, below the lines: kept out of the cues and of the change masks.
        TextLayer(WATERMARK, 0.0, 6.0, x="16", y="h*0.86+12", size=20, border=1, color="white@0.9"),
        TextLayer("超市 营业中", 0.0, 6.0, x="w-mod(t*90,w+text_w)", y="h*0.4", size=36, color="black", border=0,
                  box="white@0.9"),
    ],
)

# Horizontal, yellow serif subtitles, no watermark: what both engines must read alike.
SIMPLE = ClipSpec(
    duration=4.0, width=640, height=360, fps=30, background="color=c=0x203040", audio=False,
    layers=[layer for layer in _layers("yellow", CJK_SERIF_FONT) if layer.start < 3.6],
)

NO_SUBTITLES = ClipSpec(
    duration=3.0, width=432, height=768, fps=FPS, background="testsrc2", audio=False,
    layers=[TextLayer("超市 营业中", 0.0, 3.0, x="w-mod(t*90,w+text_w)", y="h*0.4", size=36, color="black",
                      border=0, box="white@0.9")],
)


def frame_times(path: Path) -> list[float]:
    """Presentation times of every frame, as ffprobe reads them."""
    done = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                           "frame=best_effort_timestamp_time", "-of", "csv=p=0", str(path)],
                          check=True, capture_output=True, text=True, timeout=120)
    return sorted(float(line.strip().strip(",")) for line in done.stdout.splitlines() if line.strip())
