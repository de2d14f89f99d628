"""Perceptual hashes of a clip's pictures: PDQ (256 bits, `pdqhash`) of frames sampled at a fixed
rate, one kept per stretch of similar pictures, each hashed in several variants so that a repost
still matches when it was mirrored, cropped to another aspect ratio or letterboxed:

- `full`: the whole frame; `full~`: the same mirrored left to right;
- `inner`: the frame without flat borders (black letterbox or pillarbox bars of any size); "" when
  there are none;
- `zoom`: the centred `ZOOM` of the frame, what a repost zoomed in by 5-20% (to dodge matching, or
  to hide a watermark at the edge) shows;
- `top`: the frame without its bottom `TOP_CUT`, where reposts burn their own subtitles or captions;
- `9:16`, `3:4`, `1:1`, `16:9`: the centred crop of that aspect ratio (only those narrower or wider
  than the frame by more than `ASPECT_TOLERANCE`): a narrower one is what a repost cropped to that
  shape shows, a wider one the band a repost padded to this frame's shape (black bars, or the
  blurred copy of itself many reposts put above and below a landscape clip) has its picture in.

Every variant has its mirror (`~`). Re-encodes, scaling, small watermarks and overlays move a PDQ
hash by a few to a few dozen of its 256 bits; unrelated pictures differ in about half of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pdqhash

from vidscribe.media.frames import FrameReader
from vidscribe.transcripts.model import FrameHash

ALGORITHM = "pdq"
HASH_BITS = 256
# PDQ reduces any picture to 64x64 luma before its DCT; handing it 64x64 (INTER_AREA, a box filter)
# costs 0.1 ms instead of 50 ms for a 1080p frame.
HASH_SIDE = 64
SAMPLE_EVERY = 0.5  # seconds between sampled frames: 2 per second still sees a 1 s shot twice
# A sampled frame within this many bits of the frame kept last belongs to its stretch (a still or
# slowly moving shot). Re-encodes of one frame measure 2-18 bits apart in bench/clusters.py, so a
# repost's frame is within KEEP_BITS + that of a kept frame.
KEEP_BITS = 24
MAX_FRAMES = 24  # kept frames per clip: the longest stretches stay (a fast-cut clip has more)
# Aspect ratios (width / height) of the centred crops hashed beside the whole frame.
ASPECTS = {"9:16": 9 / 16, "3:4": 3 / 4, "1:1": 1.0, "16:9": 16 / 9}
ZOOM = 0.88  # bench/clusters.py: a 10% zoom is 54-70 bits from the whole frame, 10-30 from this
TOP_CUT = 0.22  # a repost's subtitle band (14% of the height, at 76-90%) moved the hash 36-62 bits
ASPECT_TOLERANCE = 0.08  # a crop within 8% of the frame's own shape is the whole frame again
# Borders: a row (column) whose mean absolute gradient across it is below this (grey levels per
# pixel, on the frame scaled to BORDER_SIDE) is flat: a black bar measures 0-0.7 after x264, the
# smoothest picture content of the bench 1.3 and more.
FLAT_GRADIENT = 1.0
BORDER_SIDE = 160
MIN_INNER = 0.96  # borders are only cut when they take more than 4% of the width or height
MAX_CUT = 0.4  # never cut more than 40% from one side (a dark scene is not a letterbox)
MIRROR = "~"
# Frames are scaled to this longest side once, before their regions are cut and hashed: every region
# ends up 64x64, and a 1080x1920 frame cost 2 ms per variant at full size.
WORK_SIDE = 480


def variant_names(width: int, height: int) -> list[str]:
    """The variants hashed for frames of this size, each followed by its mirror."""
    aspect = width / height if height else 1.0
    names = ["full", "inner", "zoom", "top"]
    names += [name for name, ratio in ASPECTS.items() if abs(ratio / aspect - 1) > ASPECT_TOLERANCE]
    return [n for name in names for n in (name, name + MIRROR)]


def pdq(grey: np.ndarray) -> tuple[str, int]:
    """The PDQ hash of a grey picture as 64 hex digits, and PDQ's quality (0..100)."""
    small = cv2.resize(grey, (HASH_SIDE, HASH_SIDE), interpolation=cv2.INTER_AREA)
    bits, quality = pdqhash.compute(np.repeat(small[:, :, None], 3, axis=2))  # it wants three channels
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def centre_crop(width: int, height: int, ratio: float) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the largest centred rectangle of aspect `ratio` inside width x height."""
    if width / height > ratio:
        w = max(1, round(height * ratio))
        x0 = (width - w) // 2
        return x0, 0, x0 + w, height
    h = max(1, round(width / ratio))
    y0 = (height - h) // 2
    return 0, y0, width, y0 + h


def _flat_run(energy: np.ndarray) -> int:
    """How many entries from the start are flat (below FLAT_GRADIENT)."""
    busy = np.flatnonzero(energy >= FLAT_GRADIENT)
    return int(busy[0]) if busy.size else len(energy)


def inner_box(grey: np.ndarray) -> tuple[int, int, int, int] | None:
    """x0, y0, x1, y1 of the picture without flat borders, or None when there are none to cut."""
    h, w = grey.shape
    scale = BORDER_SIDE / max(h, w)
    small = cv2.resize(grey, (max(2, round(w * scale)), max(2, round(h * scale))),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    rows = np.abs(np.diff(small, axis=1)).mean(axis=1)  # detail along each row
    cols = np.abs(np.diff(small, axis=0)).mean(axis=0)
    sh, sw = small.shape
    top, bottom = _flat_run(rows), _flat_run(rows[::-1])
    left, right = _flat_run(cols), _flat_run(cols[::-1])
    if top + bottom >= sh or left + right >= sw:  # flat all over: nothing to hash differently
        return None
    top, bottom = (min(v, int(sh * MAX_CUT)) for v in (top, bottom))
    left, right = (min(v, int(sw * MAX_CUT)) for v in (left, right))
    if (sh - top - bottom) / sh >= MIN_INNER and (sw - left - right) / sw >= MIN_INNER:
        return None
    return (round(left / scale), round(top / scale), w - round(right / scale), h - round(bottom / scale))


def hash_frame(grey: np.ndarray, variants: list[str]) -> tuple[list[str], int]:
    """Every variant's hash of one grey frame ("" where it does not apply), and the whole frame's quality."""
    h, w = grey.shape
    if max(h, w) > WORK_SIDE:
        scale = WORK_SIDE / max(h, w)
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
        h, w = grey.shape
    zx, zy = round(w * (1 - ZOOM) / 2), round(h * (1 - ZOOM) / 2)
    boxes: dict[str, tuple[int, int, int, int] | None] = {
        "full": (0, 0, w, h), "inner": inner_box(grey), "zoom": (zx, zy, w - zx, h - zy),
        "top": (0, 0, w, round(h * (1 - TOP_CUT)))}
    boxes.update({name: centre_crop(w, h, ratio) for name, ratio in ASPECTS.items()})
    hashes: list[str] = []
    quality = 0
    for name in variants:
        base = name.rstrip(MIRROR)
        box = boxes[base]
        if box is None:
            hashes.append("")
            continue
        x0, y0, x1, y1 = box
        region = grey[y0:y1, x0:x1]
        digest, q = pdq(region[:, ::-1] if name.endswith(MIRROR) else region)
        hashes.append(digest)
        if name == "full":
            quality = q
    return hashes, quality


def hamming_hex(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass
class _Stretch:
    start: float
    end: float
    quality: int
    hashes: list[str]


def keep_stretches(samples: Iterator[tuple[float, list[str], int]], duration: float) -> list[FrameHash]:
    """Sampled (time, hashes, quality), in time order -> one FrameHash per stretch of similar
    pictures (a new one where the whole frame moves more than KEEP_BITS from the last kept), the
    MAX_FRAMES longest kept."""
    kept: list[_Stretch] = []
    for t, hashes, quality in samples:
        if kept and hashes[0] and kept[-1].hashes[0] and hamming_hex(hashes[0], kept[-1].hashes[0]) <= KEEP_BITS:
            continue
        if kept:
            kept[-1].end = t
        kept.append(_Stretch(t, t, quality, hashes))
    if kept:
        kept[-1].end = max(kept[-1].start + SAMPLE_EVERY, duration)
    if len(kept) > MAX_FRAMES:
        longest = sorted(kept, key=lambda s: s.end - s.start, reverse=True)[:MAX_FRAMES]
        kept = sorted(longest, key=lambda s: s.start)
    return [FrameHash(round(s.start, 3), round(s.end, 3), s.quality, s.hashes) for s in kept]


def picture_hashes(path: Path, every: float = SAMPLE_EVERY) -> tuple[list[str], list[FrameHash]]:
    """The variants and kept frames of the video at `path` (decoded with PyAV, grey from luma)."""
    with FrameReader(path) as reader:
        info = reader.info
        variants = variant_names(info.width, info.height)
        times = (k * every for k in range(1 << 30))

        def samples() -> Iterator[tuple[float, list[str], int]]:
            for picture in reader.pictures(times=times):
                h, w = picture.shape
                hashes, quality = hash_frame(picture.gray(0, 0, w, h), variants)
                yield picture.t, hashes, quality

        frames = keep_stretches(samples(), info.duration)
    return variants, frames
