"""QR codes in the picture: decoded from frames sampled a few times a second (OpenCV's detector),
with the span of time each payload is on screen.

Clips flash a WeChat or Telegram QR code for a second or two, often small in a corner, so every
sampled frame is scanned at full resolution; consecutive sightings of one payload become one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidscribe.media.frames import iter_frames


@dataclass(frozen=True)
class QrSighting:
    payload: str
    start: float  # first sampled frame showing it
    end: float  # last sampled frame showing it, plus one sampling interval


class Decoder:
    """OpenCV's two QR detectors: the ArUco-based one finds codes (or their absence) several times
    faster on the frames that have none, which is most of them; the classic one reads some codes
    the ArUco one locates but cannot decode (small or blurred), so it runs only on those frames."""

    def __init__(self) -> None:
        self.fast = cv2.QRCodeDetectorAruco()
        self.thorough = cv2.QRCodeDetector()

    def __call__(self, frame: np.ndarray) -> list[str]:
        """Every QR payload decoded in `frame` (BGR); codes found but unreadable are left out."""
        found, located = _multi(self.fast, frame)
        if located > len(found):
            more, _ = _multi(self.thorough, frame)
            found |= more
        if located > len(found):
            try:
                single = self.thorough.detectAndDecode(frame)[0]
            except cv2.error:
                single = ""
            if single:
                found.add(single)
        return sorted(found)


def _multi(detector: cv2.QRCodeDetector | cv2.QRCodeDetectorAruco, frame: np.ndarray) -> tuple[set[str], int]:
    """(payloads decoded, number of codes located)."""
    try:
        ok, payloads, points, _ = detector.detectAndDecodeMulti(frame)
    except cv2.error:  # OpenCV raises on some degenerate candidate shapes
        return set(), 0
    return ({p for p in payloads if p} if ok else set()), (0 if points is None else len(points))


def sightings(frames: Iterable[tuple[float, np.ndarray]], interval: float) -> list[QrSighting]:
    """Merge per-frame decodes into spans; a payload missed in one sample (motion blur, a fade)
    but seen again in the next stays one sighting."""
    decode = Decoder()
    open_spans: dict[str, list[float]] = {}  # payload -> [start, last seen]
    done: list[QrSighting] = []
    for t, frame in frames:
        for payload in decode(frame):
            span = open_spans.get(payload)
            if span is not None and t - span[1] <= 2.5 * interval:
                span[1] = t
            else:
                if span is not None:
                    done.append(_sighting(payload, span, interval))
                open_spans[payload] = [t, t]
    done += [_sighting(p, span, interval) for p, span in open_spans.items()]
    return sorted(done, key=lambda s: (s.start, s.payload))


def _sighting(payload: str, span: list[float], interval: float) -> QrSighting:
    return QrSighting(payload, round(span[0], 3), round(span[1] + interval, 3))


def scan_video(path: Path, fps: float = 2.0, duration: float | None = None,
               progress: Callable[[float], None] = lambda f: None) -> list[QrSighting]:
    """QR codes in the video at `path`, sampled `fps` times a second."""
    interval = 1.0 / fps

    def frames() -> Iterable[tuple[float, np.ndarray]]:
        for t, frame in iter_frames(path, every=interval):
            if duration:
                progress(min(1.0, t / duration))
            yield t, frame

    return sightings(frames(), interval)
