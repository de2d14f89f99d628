"""Decoded video frames with container timestamps, read sequentially with PyAV.

Every pass decodes with PyAV under the same restrictions as ffprobe and ffmpeg (`tools.input_guard`):
the file protocol and self-contained demuxers only, so a "video" that is a playlist naming other files
is refused here too. libav's own log lines stay off the terminal, and a damaged packet is skipped (and
counted in `FrameReader.decode_errors`), so a clip whose middle is broken still yields what is readable.

Decoding is the floor of every video stage's cost, so the readers avoid converting frames nobody looks
at: `frames()` converts only the frames it yields to BGR (into a small ring of reused buffers), and
`pictures()` converts nothing up front: a `Picture` hands out the luma plane as grey (a lookup table,
no colour conversion) and makes BGR only when asked, for the few frames a caller keeps or reads.
Timestamps come from the stream, not `index / fps`, so variable-frame-rate clips keep their true
times; a stream without timestamps falls back to its frame rate (and a missing rate to a nominal one).
"""

from __future__ import annotations

import itertools
import logging
import math
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.logging
import cv2
import numpy as np

from vidscribe.errors import SourceError
from vidscribe.geometry import Box
from vidscribe.media.tools import PROTOCOLS, SAFE_DEMUXERS

log = logging.getLogger(__name__)

# What avformat_open_input may do for us: as `tools.input_guard` gives ffprobe and ffmpeg.
OPEN_OPTIONS = {"protocol_whitelist": PROTOCOLS, "format_whitelist": ",".join(SAFE_DEMUXERS)}
# A rate outside this range is a container's placeholder (0, or a time base such as 90000), not a frame rate.
MAX_FPS = 1000.0
# Without a usable rate or timestamps, frames are spaced at a common phone rate.
NOMINAL_FPS = 30.0
# Packets looked at to find the first frame's size and rotation when the reader opens.
PEEK_PACKETS = 64

av.logging.set_level(None)  # libav's messages ("[h264 @ 0x...] ...") never reach the terminal


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed (after the container's rotation)
    height: int
    fps: float  # nominal (average) rate as the container declares it; 0 when unknown
    frame_count: int  # container's estimate; may be off for VFR or damaged files
    duration: float  # seconds, from frame_count / fps (0 when unknown)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path), container_options=OPEN_OPTIONS)
    except av.error.InvalidDataError:
        raise SourceError("not a readable media file (invalid data)", source=str(path)) from None
    except av.FFmpegError as e:  # the whitelist answers EINVAL for a playlist or a URL inside the file
        raise SourceError(f"refused: not a self-contained media file ({e.strerror or type(e).__name__}); only "
                          "the file protocol and self-contained container formats are read", source=str(path)) from None


def _rate(stream: av.video.stream.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        fps = float(rate) if rate else 0.0
        if math.isfinite(fps) and 0 < fps < MAX_FPS:
            return fps
    return 0.0


def _seconds(value: int | None, time_base: Fraction | None) -> float:
    return float(value * time_base) if value and time_base else 0.0


class FrameReader:
    """One pass over a video's frames. Not thread-safe; use as a context manager or `close()`."""

    def __init__(self, path: str | Path, *, threads: int | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError("no such file", source=str(path))
        self._threads = threads
        self.decode_errors = 0  # damaged packets skipped so far
        self._container = _open(self.path)
        try:
            self.info = self._read_info()
        except BaseException:
            self.close()
            raise
        self._used = False

    def _read_info(self) -> VideoInfo:
        if not self._container.streams.video:
            raise SourceError("no video stream", source=str(self.path))
        stream = self._container.streams.video[0]
        width, height = self._displayed_size(stream.codec_context.width, stream.codec_context.height)
        if width <= 0 or height <= 0:
            raise SourceError("no video stream", source=str(self.path))
        fps = _rate(stream)
        seconds = _seconds(stream.duration, stream.time_base) or (self._container.duration or 0) / av.time_base
        count = stream.frames or (round(seconds * fps) if fps else 0)
        return VideoInfo(width, height, fps, count, count / fps if fps and count else seconds)

    def _displayed_size(self, width: int, height: int) -> tuple[int, int]:
        """The size as shown: the rotation is a property of decoded frames, so the first is decoded
        (in a container of its own: this reader's decoder is not opened before its pass)."""
        with _open(self.path) as peek:
            stream = peek.streams.video[0]
            for packet in itertools.islice(peek.demux(stream), PEEK_PACKETS):
                try:
                    frames = stream.decode(packet)
                except av.FFmpegError:
                    continue
                if frames:
                    frame = frames[0]
                    turned = (frame.rotation or 0) % 180 != 0
                    return (frame.height, frame.width) if turned else (frame.width, frame.height)
        return width, height

    def __enter__(self) -> FrameReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._container.close()

    def _start(self) -> None:
        if self._used:
            raise RuntimeError("FrameReader can make one pass; open a new reader for another")
        self._used = True

    def _decoded(self, threaded: bool) -> Iterator[tuple[float, av.VideoFrame]]:
        """(time, frame) for every frame that decodes, in presentation order; damaged packets are
        skipped. Raises SourceError only when not one frame could be decoded."""
        stream = self._container.streams.video[0]
        if threaded:
            stream.thread_type = "AUTO"
        if self._threads:
            stream.thread_count = int(self._threads)
        fps = self.info.fps
        start = _seconds(stream.start_time, stream.time_base)  # MPEG-TS starts at 1.4 s, say: shown from 0
        last_t = -math.inf
        index = 0
        for frame in self._frames(stream):
            t = float(frame.time) - start if frame.time is not None else math.nan
            if not math.isfinite(t) or t <= last_t:  # none, or repeated: the rate, kept increasing
                t = max(last_t + 1e-6, index / fps) if fps else last_t + 1 / NOMINAL_FPS if index else 0.0
            last_t = t
            index += 1
            yield t, frame
        if index == 0 and self.decode_errors:
            raise SourceError("no frame of the video could be decoded (damaged or not video)",
                              source=str(self.path))

    def _frames(self, stream: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
        packets = self._container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as e:  # the container itself is damaged from here on
                self.decode_errors += 1
                log.debug("%s: demuxing stopped: %s", self.path, e)
                break
            try:
                yield from stream.decode(packet)  # an empty packet (the end) flushes the decoder
            except av.EOFError:
                break
            except av.FFmpegError as e:
                self.decode_errors += 1
                log.debug("%s: a damaged packet was skipped: %s", self.path, e)

    def frames(self, *, every: float | None = None, times: Iterable[float] | None = None,
               crop: Box | None = None, ring: int = 1) -> Iterator[tuple[float, np.ndarray]]:
        """Yield `(timestamp_seconds, frame)` in presentation order.

        `every`: seconds between yielded frames (the first frame at or after each multiple of
        `every`); `times`: an increasing sequence of wanted times (the first frame at or after
        each; read lazily, so it may depend on what the caller saw); neither: every frame.
        `crop`: yield a view of that rectangle only.
        `ring`: number of buffers cycled through; a yielded array stays valid until `ring`
        more frames have been yielded (copy it to keep it longer). BGR, uint8, shown upright.
        """
        self._start()
        if ring < 1:
            raise ValueError("ring must be >= 1")
        if every is not None and times is not None:
            raise ValueError("give every or times, not both")
        if every is not None:
            if every <= 0:
                raise ValueError("every must be > 0")
            times = (k * every for k in itertools.count())
        buffers: list[np.ndarray | None] = [None] * ring
        slot = 0
        for picture in self._wanted(times, threaded=True):
            image = picture.bgr()
            buffer = buffers[slot]
            if buffer is None or buffer.shape != image.shape:  # first use, or the size changed mid-stream
                buffer = buffers[slot] = np.empty_like(image)
            np.copyto(buffer, image)
            slot = (slot + 1) % ring
            yield picture.t, (buffer if crop is None else buffer[crop.y0:crop.y1, crop.x0:crop.x1])

    def pictures(self, *, times: Iterable[float] | None = None, threaded: bool = True) -> Iterator[Picture]:
        """Every frame (or the first at or after each of `times`, as in `frames`) as a `Picture`.
        Pictures stay valid as long as they are referenced. `threaded`: the decoder's own
        frame/slice threads."""
        self._start()
        return self._wanted(times, threaded=threaded)

    def _wanted(self, times: Iterable[float] | None, threaded: bool) -> Iterator[Picture]:
        wanted = iter(times) if times is not None else None
        next_t = next(wanted, math.inf) if wanted is not None else -math.inf
        for t, frame in self._decoded(threaded):
            if next_t == math.inf:
                return  # no more wanted times: stop decoding
            if t + 1e-6 < next_t:
                continue
            if wanted is not None:
                while next_t <= t + 1e-6:  # skip wanted times this frame already answered
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

    def luma(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
        """The luma plane's values in a rectangle (a view, not a copy; grey is `grey_lut` of them),
        or None for an unusual pixel format."""
        return None if self._luma is None else self._luma[y0:y1, x0:x1]

    @property
    def grey_lut(self) -> np.ndarray:
        """Luma -> grey (as BGR2GRAY gives), a 256-entry table, non-decreasing."""
        return self._lut

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
        self.cpu = 0.0  # seconds of CPU the decoding thread used (set when it ends)
        self._thread = threading.Thread(target=self._run, name="frames-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.thread_time()
        try:
            for picture in self._pictures:
                if not self._put(picture):
                    return
            self._put(self._END)
        except BaseException as e:  # handed to the consumer, raised there
            self._put(e)
        finally:
            self._pictures.close()
            self.cpu = time.thread_time() - started

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
