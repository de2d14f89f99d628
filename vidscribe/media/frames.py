"""Decoded video frames with container timestamps, read sequentially (OpenCV, or PyAV for luma).

Decoding is the floor of every video stage's cost, so this reader avoids the two things that make
it slower than it needs to be: allocating a new array per frame (frames are decoded into a small
ring of reused buffers, `cap.read(buffer)`), and converting frames nobody looks at (with `every`,
skipped frames are only `grab()`bed, never converted to BGR). Timestamps come from the container
(`CAP_PROP_POS_MSEC`), not `index / fps`, so variable-frame-rate clips (phone recordings, screen
captures) keep their true times.

`FrameReader.pictures()` decodes with PyAV instead (decoder threads on) and converts nothing up
front: a `Picture` hands out the luma plane as grey (a lookup table, no colour conversion) and
makes BGR only when asked, for the few frames a caller keeps or reads. Passes that look at grey
crops of every frame (subtitle change tracking) cost about half as much that way.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from vidscribe.errors import SourceError
from vidscribe.geometry import Box


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
               crop: Box | None = None, ring: int = 1) -> Iterator[tuple[float, np.ndarray]]:
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
            yield t, (frame if crop is None else frame[crop.y0:crop.y1, crop.x0:crop.x1])


    def pictures(self, *, times: Iterable[float] | None = None, threaded: bool = True) -> Iterator[Picture]:
        """Every frame (or the first at or after each of `times`, as in `frames`) as a `Picture`,
        decoded with PyAV. Pictures stay valid as long as they are referenced. `threaded`: the
        decoder's own frame/slice threads."""
        if self._used:
            raise RuntimeError("FrameReader can make one pass; open a new reader for another")
        self._used = True
        wanted = iter(times) if times is not None else None
        next_t = next(wanted, math.inf) if wanted is not None else -math.inf
        try:
            container = av.open(str(self.path))
        except av.FFmpegError as e:
            raise SourceError(f"PyAV cannot open this file as video ({e})", source=str(self.path)) from e
        with container:
            stream = container.streams.video[0]
            if threaded:
                stream.thread_type = "AUTO"
            last_t = -math.inf
            for index, frame in enumerate(container.decode(stream)):
                if next_t == math.inf:
                    return
                t = float(frame.time) if frame.time is not None else math.nan
                if not math.isfinite(t) or t < last_t:  # no usable timestamp: nominal rate, kept monotonic
                    t = max(last_t + 1e-6, index / self.info.fps if self.info.fps else last_t + 1 / 30)
                last_t = t
                if t + 1e-6 < next_t:
                    continue
                if wanted is not None:
                    while next_t <= t + 1e-6:
                        next_t = next(wanted, math.inf)
                yield Picture(t, frame)


def _grey_lut(pixel_format: str) -> np.ndarray:
    """Luma -> the grey BGR2GRAY gives after the decoder's own BGR conversion, for neutral pixels
    (measured through that conversion, so its fixed-point rounding is matched too). BT.601's
    chroma terms cancel in R, G, B -> grey: for unclipped colours this is their grey as well."""
    frame = av.VideoFrame(256, 2, pixel_format)
    for plane, value in zip(frame.planes, (None, 128, 128), strict=True):
        rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
        rows[:] = np.arange(plane.line_size, dtype=np.uint8) if value is None else value
    return cv2.cvtColor(frame.to_ndarray(format="bgr24"), cv2.COLOR_BGR2GRAY)[0].copy()


_LUTS = {name: _grey_lut(name) for name in ("yuv420p", "yuvj420p")}
_PLANAR = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p", "nv12", "nv21", "gray"}


class Picture:
    """One decoded frame: grey crops from its luma plane, BGR converted once, on demand."""

    __slots__ = ("t", "_frame", "_luma", "_lut", "_bgr")

    def __init__(self, t: float, frame: av.VideoFrame):
        self.t = t
        self._frame = frame
        self._bgr: np.ndarray | None = None
        self._luma: np.ndarray | None = None
        full_range = frame.format.name.startswith("yuvj") or frame.color_range == 2  # 2: JPEG range
        self._lut = _LUTS["yuvj420p" if full_range else "yuv420p"]
        if frame.format.name in _PLANAR:
            plane = frame.planes[0]
            luma = np.frombuffer(plane, np.uint8, count=plane.line_size * plane.height)
            luma = luma.reshape(plane.height, plane.line_size)[:, :plane.width]
            turns = (frame.rotation // 90) % 4 if frame.rotation else 0
            # Displayed upright, as OpenCV shows it (rare: a copy, since cv2 wants positive strides).
            self._luma = np.ascontiguousarray(np.rot90(luma, turns)) if turns else luma

    @property
    def shape(self) -> tuple[int, int]:
        return self._luma.shape[:2] if self._luma is not None else self.bgr().shape[:2]  # type: ignore[return-value]

    def gray(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        """Grey (0-255, as BGR2GRAY) of a rectangle, a new array."""
        if self._luma is None:  # an unusual pixel format: through BGR
            return cv2.cvtColor(self.bgr()[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
        return cv2.LUT(self._luma[y0:y1, x0:x1], self._lut)

    def bgr(self) -> np.ndarray:
        """The whole frame, BGR uint8 (converted at the first call, then kept)."""
        if self._bgr is None:
            bgr = self._frame.to_ndarray(format="bgr24")
            turns = (self._frame.rotation // 90) % 4 if self._frame.rotation else 0
            self._bgr = np.ascontiguousarray(np.rot90(bgr, turns)) if turns else bgr
        return self._bgr


class Ahead:
    """Pictures decoded ahead in a thread (PyAV decodes without the GIL), at most `limit_bytes`
    of them waiting: decoding goes on while the caller does something else first (the subtitle
    locate pass) and while it looks at each picture. Iterate once; `close()` stops the decoder."""

    _END = object()

    def __init__(self, reader: FrameReader, *, limit_bytes: int = 160 << 20, threaded: bool = True):
        info = reader.info
        frame_bytes = max(1, info.width * info.height * 3 // 2)  # 4:2:0
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(8, limit_bytes // frame_bytes))
        self._stop = threading.Event()
        self._pictures = reader.pictures(threaded=threaded)
        self._thread = threading.Thread(target=self._run, name="frames-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for picture in self._pictures:
                if not self._put(picture):
                    return
            self._put(self._END)
        except BaseException as e:  # handed to the consumer, raised there
            self._put(e)
        finally:
            self._pictures.close()

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[Picture]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Ahead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_frames(path: str | Path, *, every: float | None = None, times: Iterable[float] | None = None,
                crop: Box | None = None, ring: int = 1,
                threads: int | None = None) -> Iterator[tuple[float, np.ndarray]]:
    """`FrameReader(path).frames(...)`, closing the file when the iteration ends."""
    with FrameReader(path, threads=threads) as reader:
        yield from reader.frames(every=every, times=times, crop=crop, ring=ring)


def probe_video(path: str | Path) -> VideoInfo:
    with FrameReader(path) as reader:
        return reader.info
