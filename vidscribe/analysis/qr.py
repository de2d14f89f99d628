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


def decode_frame(detector: cv2.QRCodeDetector, frame: np.ndarray) -> list[str]:
    """Every QR payload OpenCV decodes in `frame` (BGR); empty strings (found, unreadable) dropped."""
    try:
        ok, payloads, _, _ = detector.detectAndDecodeMulti(frame)
    except cv2.error:
        ok, payloads = False, ()
    found = [p for p in payloads if p] if ok else []
    if not found:  # the multi detector misses some single codes the plain one reads
        try:
            single, _, _ = detector.detectAndDecode(frame)
        except cv2.error:
            single = ""
        found = [single] if single else []
    return sorted(set(found))


def sightings(frames: Iterable[tuple[float, np.ndarray]], interval: float) -> list[QrSighting]:
    """Merge per-frame decodes into spans; a payload missed in one sample (motion blur, a fade)
    but seen again in the next stays one sighting."""
    detector = cv2.QRCodeDetector()
    open_spans: dict[str, list[float]] = {}  # payload -> [start, last seen]
    done: list[QrSighting] = []
    for t, frame in frames:
        for payload in decode_frame(detector, frame):
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
