"""Clip specs and ground truth for the subtitle tests (the clips are made in conftest.py)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from vidscribe.samples import CJK_SERIF_FONT, ClipSpec, Rect, TextLayer, subtitle


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


# Real-looking: a Chinese line over a Russian one, two lines of a large caption at the top, a
# countdown one digit apart, the same text shown again three frames later.
REAL_CUES = [
    TrueCue(0.4, 2.6, "加入俄罗斯军队\nКонтракт на один год."),
    TrueCue(1.0, 4.6, "高薪急招\n名额不多"),  # the caption at the top
    TrueCue(2.6, 4.0, "还剩3个名额"),
    TrueCue(4.0, 5.4, "还剩2个名额"),
    TrueCue(5.6, 6.4, "今天报名"),
    TrueCue(6.52, 7.6, "今天报名"),
]
REAL_FPS = 25


def _real_layers() -> list[TextLayer]:
    layers: list[TextLayer] = []
    at = -0.25 / REAL_FPS  # drawtext's enable window a hair early: float noise never drops a frame
    for cue in REAL_CUES:
        if cue.text.startswith("高薪"):
            for i, line in enumerate(cue.text.split("\n")):
                layers.append(TextLayer(line, cue.start + at, cue.end + at, y=f"{120 + i * 86}", size=68, border=3))
        elif "\n" in cue.text:
            zh, ru = cue.text.split("\n")
            layers += subtitle(zh, cue.start + at, cue.end + at, size=34, bottom="h*0.86-44")
            layers += subtitle(ru, cue.start + at, cue.end + at, size=28, bottom="h*0.86")
        else:
            layers += subtitle(cue.text, cue.start + at, cue.end + at, size=34, bottom="h*0.86-44")
    return layers


REALISTIC = ClipSpec(
    duration=8.0, width=540, height=960, fps=REAL_FPS, background="color=c=0x405060",
    background_filters="noise=alls=20:allf=t+u", audio=False,
    layers=_real_layers() + [TextLayer(WATERMARK, 0.0, 8.0, x="16", y="24", size=20, border=1, color="white@0.9")],
)

# A big caption (Douyin's style, 9% of the height): lines tall enough to be tracked at half size.
TALL_CUES = [TrueCue(0.52, 2.0, "俄军招募"), TrueCue(2.0, 3.4, "欢迎咨询")]
TALL = ClipSpec(
    duration=4.0, width=720, height=1280, fps=REAL_FPS, background="color=c=0x405060",
    background_filters="noise=alls=20:allf=t+u", audio=False,
    layers=[TextLayer(c.text, c.start - 0.25 / REAL_FPS, c.end - 0.25 / REAL_FPS, y="300", size=120, border=5)
            for c in TALL_CUES],
)

SCREENSHOT_LINES = ["招聘：俄罗斯合同兵", "月薪：20万卢布起", "联系人：王先生", "电话：138 0013 8000"]

# A photo post: a panel of left-aligned lines (screen text), a caption over the photo.
STILL = ClipSpec(
    duration=1.0, width=540, height=960, fps=1, background="color=c=0x507090", audio=False,
    layers=[Rect(40, 300, 460, 300, 0.0, 1.0, "0xF2F2F2")]
    + [TextLayer(line, 0.0, 1.0, x="70", y=str(330 + i * 64), size=32, color="0x202020", border=0)
       for i, line in enumerate(SCREENSHOT_LINES)]
    + [TextLayer("高薪招聘", 0.0, 1.0, y="120", size=60, color="0xFFE000", border=3)],
)
