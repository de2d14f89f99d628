"""The frame reader: every frame, sampling, crops, buffer reuse, container timestamps; PyAV
pictures (grey from luma, BGR on demand) agreeing with the OpenCV frames."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from subtitle_clips import FPS, SUBTITLED, frame_times

from vidscribe.errors import SourceError
from vidscribe.geometry import Box
from vidscribe.media.frames import Ahead, FrameReader, iter_frames, probe_video


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
        for i, (_, frame) in enumerate(reader.frames(crop=Box(10, 600, 400, 700), ring=3)):
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


def test_pictures_agree_with_opencv_frames(sub_clips: dict[str, Path]) -> None:
    path = sub_clips["subtitled"]
    frames = [(t, frame.copy()) for t, frame in iter_frames(path)]
    with FrameReader(path) as reader:
        pictures = list(reader.pictures())
    assert [p.t for p in pictures] == pytest.approx([t for t, _ in frames], abs=1e-6)
    h, w = SUBTITLED.height, SUBTITLED.width
    for picture, (_, frame) in zip(pictures[::10], frames[::10], strict=True):
        assert picture.shape == (h, w)
        assert np.array_equal(picture.bgr(), frame)
        # Grey from the luma plane is BGR2GRAY to rounding (chroma cancels for unclipped colours;
        # the conversion to BGR rounds R, G, B apart).
        diff = np.abs(picture.gray(0, 0, w, h).astype(int) - cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
        assert diff.mean() < 1 and np.percentile(diff, 99.9) <= 2
        assert np.array_equal(picture.gray(10, 600, 400, 700), picture.gray(0, 0, w, h)[600:700, 10:400])


def test_pictures_keep_vfr_times_and_sample(sub_clips: dict[str, Path]) -> None:
    with FrameReader(sub_clips["vfr"]) as reader:
        times = [p.t for p in reader.pictures(threaded=False)]
    assert times == pytest.approx(frame_times(sub_clips["vfr"]), abs=1e-3)
    with FrameReader(sub_clips["subtitled"]) as reader:
        picked = [p.t for p in reader.pictures(times=[0.01, 0.02, 1.0, 2.51, 100.0])]
    assert picked == pytest.approx([0.04, 1.0, 2.52], abs=1e-3)


def test_pictures_are_upright_like_opencv_frames(sub_clips: dict[str, Path], tmp_path: Path) -> None:
    rotated = tmp_path / "rotated.mp4"  # a phone recording: landscape pixels, shown portrait
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(sub_clips["vfr"]), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(rotated)], check=True, capture_output=True, timeout=60)
    t, frame = next(iter_frames(rotated))
    with FrameReader(rotated) as reader:
        picture = next(reader.pictures())
    assert frame.shape[:2] == (160, 120) == picture.shape
    assert np.array_equal(picture.bgr(), frame)
    assert np.abs(picture.gray(0, 0, 120, 160).astype(int) - cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)).mean() < 1


def test_pictures_decoded_ahead(sub_clips: dict[str, Path]) -> None:
    path = sub_clips["subtitled"]
    with FrameReader(path) as reader:
        expected = [(p.t, p.gray(0, 600, 432, 700)) for p in reader.pictures()]
    # A small queue: the decoder waits for the consumer, and nothing is lost or reordered.
    with FrameReader(path) as reader, Ahead(reader, limit_bytes=1) as ahead:
        got = [(p.t, p.gray(0, 600, 432, 700)) for p in ahead]
    assert [t for t, _ in got] == [t for t, _ in expected]
    assert all(np.array_equal(a, b) for (_, a), (_, b) in zip(got, expected, strict=True))
    # Closed early (the consumer stopped), the decoding thread ends.
    with FrameReader(path) as reader:
        ahead = Ahead(reader, limit_bytes=1)
        next(iter(ahead))
        ahead.close()
        assert not ahead._thread.is_alive()
