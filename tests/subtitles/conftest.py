"""Clips for the subtitle tests, generated once per session with known ground truth."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from subtitle_clips import NO_SUBTITLES, REALISTIC, SIMPLE, STILL, SUBTITLED, TALL

from vidscribe.samples import make_clip


@pytest.fixture(scope="session")
def sub_clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("subtitle-clips")
    out = {
        "subtitled": make_clip(SUBTITLED, root / "subtitled.mp4"),
        "simple": make_clip(SIMPLE, root / "simple.mp4"),
        "none": make_clip(NO_SUBTITLES, root / "none.mkv"),
        "realistic": make_clip(REALISTIC, root / "realistic.mp4"),
        "still": make_clip(STILL, root / "post.png"),
        "tall": make_clip(TALL, root / "tall.mp4"),
    }
    # Variable frame rate: 25 fps for a second, then frames 80 ms apart (setpts rewrites times).
    vfr = root / "vfr.mkv"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=3",
                    "-vf", "setpts='if(lt(N,25),N/25/TB,(25+(N-25)*2)/25/TB)'", "-fps_mode", "vfr",
                    "-c:v", "libx264", "-preset", "veryfast", str(vfr)], check=True, capture_output=True, timeout=120)
    out["vfr"] = vfr
    return out
