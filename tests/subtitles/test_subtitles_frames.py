"""The OpenCV frame reader: every frame, sampling, crops, buffer reuse, container timestamps."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from subtitle_clips import FPS, SUBTITLED, frame_times

from vidscribe.errors import SourceError
from vidscribe.media.frames import FrameReader, iter_frames, probe_video


def test_every_frame_with_container_times(sub_clips: dict[str, Path]) -> None:
    path = sub_clips["subtitled"]
    got = [(t, frame.shape) for t, frame in iter_frames(path)]
    assert len(got) == round(SUBTITLED.duration * FPS)
    assert {shape for _, shape in got} == {(SUBTITLED.height, SUBTITLED.width, 3)}
    expected = frame_times(path)
    assert [t for t, _ in got] == pytest.approx(expected, abs=1e-3)


def test_info(sub_clips: dict[str, Path]) -> None:
    info = probe_video(sub_clips["subtitled"])
    assert (info.width, info.height, info.fps) == (SUBTITLED.width, SUBTITLED.height, FPS)
    assert info.duration == pytest.approx(SUBTITLED.duration, abs=0.05)


def test_variable_frame_rate_keeps_true_times(sub_clips: dict[str, Path]) -> None:
    path = sub_clips["vfr"]
    times = [t for t, _ in iter_frames(path)]
    expected = frame_times(path)
    assert times == pytest.approx(expected, abs=1e-3)
    gaps = np.diff(times)
    # The first second at 25 fps, then 80 ms apart: index / fps would be wrong after frame 25.
    assert gaps[:20] == pytest.approx(0.04, abs=1e-3)
    assert float(np.median(gaps[30:])) == pytest.approx(0.08, abs=1e-3)
    assert times[-1] > len(times) / 25 + 1.0


def test_sampling_every_and_at_times(sub_clips: dict[str, Path]) -> None:
    path = sub_clips["subtitled"]
    sampled = [t for t, _ in iter_frames(path, every=0.5)]
    # The first frame at or after each multiple of 0.5 s (frames are 40 ms apart).
    assert sampled == pytest.approx([math.ceil(k * 0.5 / 0.04 - 1e-9) * 0.04 for k in range(12)], abs=1e-3)
    # Wanted times between frames get the next frame; two wanted times within one frame get one.
    picked = [t for t, _ in iter_frames(path, times=[0.01, 0.02, 1.0, 2.51, 100.0])]
    assert picked == pytest.approx([0.04, 1.0, 2.52], abs=1e-3)


def test_crop_is_a_view_and_ring_buffers_stay_valid(sub_clips: dict[str, Path]) -> None:
    path = sub_clips["subtitled"]
    full = [frame.copy() for _, frame in iter_frames(path)]
    kept = []
    with FrameReader(path) as reader:
        for i, (_, frame) in enumerate(reader.frames(crop=(10, 600, 400, 700), ring=3)):
            assert frame.shape == (100, 390, 3)
            assert np.array_equal(frame, full[i][600:700, 10:400])
            kept.append(frame)
            if i >= 2:  # the frame yielded two steps ago is still intact (ring of 3)
                assert np.array_equal(kept[i - 2], full[i - 2][600:700, 10:400])
    # Buffers are reused: the views point into a few arrays only.
    assert len({id(frame.base) for frame in kept}) <= 3


def test_one_pass_per_reader(sub_clips: dict[str, Path]) -> None:
    with FrameReader(sub_clips["subtitled"]) as reader:
        next(reader.frames())
        with pytest.raises(RuntimeError):
            next(reader.frames())


def test_unreadable_inputs(tmp_path: Path) -> None:
    with pytest.raises(SourceError):
        FrameReader(tmp_path / "missing.mp4")
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all" * 100)
    with pytest.raises(SourceError):
        FrameReader(junk)
