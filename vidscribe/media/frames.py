"""Decoded video frames with container timestamps, read sequentially with OpenCV.

Decoding is the floor of every video stage's cost, so this reader avoids the two things that make
it slower than it needs to be: allocating a new array per frame (frames are decoded into a small
ring of reused buffers, `cap.read(buffer)`), and converting frames nobody looks at (with `every`,
skipped frames are only `grab()`bed, never converted to BGR). Timestamps come from the container
(`CAP_PROP_POS_MSEC`), not `index / fps`, so variable-frame-rate clips (phone recordings, screen
captures) keep their true times.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidscribe.errors import SourceError

Crop = tuple[int, int, int, int]  # x0, y0, x1, y1 in frame pixels, end exclusive


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float  # nominal (average) rate as the container declares it; 0 when unknown
    frame_count: int  # container's estimate; may be off for VFR or damaged files
    duration: float  # seconds, from frame_count / fps (0 when unknown)


class FrameReader:
    """One pass over a video's frames. Not thread-safe; use as a context manager or `close()`."""

    def __init__(self, path: str | Path, *, threads: int | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError("no such file", source=str(path))
        params = [cv2.CAP_PROP_N_THREADS, int(threads)] if threads else []
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG, params)
        if not self._cap.isOpened():
            raise SourceError("OpenCV cannot open this file as video", source=str(path))
        width = int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width <= 0 or height <= 0:
            self.close()
            raise SourceError("no video stream", source=str(path))
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = fps if math.isfinite(fps) and 0 < fps < 1000 else 0.0
        count = max(0, int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self.info = VideoInfo(width, height, fps, count, count / fps if fps else 0.0)
        self._used = False

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._cap.release()

    def frames(self, *, every: float | None = None, times: Iterable[float] | None = None,
               crop: Crop | None = None, ring: int = 1) -> Iterator[tuple[float, np.ndarray]]:
        """Yield `(timestamp_seconds, frame)` in presentation order.

        `every`: seconds between yielded frames (the first frame at or after each multiple of
        `every`); `times`: an increasing sequence of wanted times (the first frame at or after
        each; read lazily, so it may depend on what the caller saw); neither: every frame.
        `crop`: yield a view of that rectangle only.
        `ring`: number of decode buffers cycled through; a yielded array stays valid until `ring`
        more frames have been yielded (copy it to keep it longer). BGR, uint8.
        """
        if self._used:
            raise RuntimeError("FrameReader.frames() can run once; open a new reader for another pass")
        self._used = True
        if ring < 1:
            raise ValueError("ring must be >= 1")
        if every is not None and times is not None:
            raise ValueError("give every or times, not both")
        if every is not None:
            if every <= 0:
                raise ValueError("every must be > 0")
            times = (k * every for k in itertools.count())
        wanted = iter(times) if times is not None else None
        cap = self._cap
        h, w = self.info.height, self.info.width
        buffers = [np.empty((h, w, 3), np.uint8) for _ in range(ring)]
        slot = 0
        next_t = next(wanted, math.inf) if wanted is not None else -math.inf
        last_t = -math.inf
        index = 0
        while cap.grab():
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            if not math.isfinite(t) or t < last_t:
                # Some demuxers report nothing useful; fall back to the nominal rate, kept monotonic.
                t = max(last_t + 1e-6, index / self.info.fps if self.info.fps else last_t + 1 / 30)
            last_t = t
            index += 1
            if next_t == math.inf:
                return  # no more wanted times: stop decoding
            if t + 1e-6 < next_t:
                continue
            ok, frame = cap.retrieve(buffers[slot])
            if not ok:
                continue
            if frame is not buffers[slot]:  # size changed mid-stream: OpenCV allocated a new array
                buffers[slot] = frame
            slot = (slot + 1) % ring
            if wanted is not None:
                while next_t <= t + 1e-6:  # skip wanted times this frame already answered
                    next_t = next(wanted, math.inf)
            yield t, (frame if crop is None else frame[crop[1]:crop[3], crop[0]:crop[2]])


def iter_frames(path: str | Path, *, every: float | None = None, times: Iterable[float] | None = None,
                crop: Crop | None = None, ring: int = 1,
                threads: int | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """`FrameReader(path).frames(...)`, closing the file when the iteration ends."""
    with FrameReader(path, threads=threads) as reader:
        yield from reader.frames(every=every, times=times, crop=crop, ring=ring)


def probe_video(path: str | Path) -> VideoInfo:
    with FrameReader(path) as reader:
        return reader.info
