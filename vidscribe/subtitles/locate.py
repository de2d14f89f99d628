"""Locating the subtitle bands: a short pass OCRs a few whole frames until centred text stands
still at one height (or the video ends). Each sample is looked at twice, PAIR_GAP apart, so that a
sign moving through the picture is told from text that stays put.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from vidscribe.errors import SourceError
from vidscribe.media.frames import FrameReader, VideoInfo
from vidscribe.subtitles.band import Band, Sample, candidate_bands, parse_band
from vidscribe.subtitles.detect import stays_put_in, text_mask
from vidscribe.subtitles.engines import Box, OcrEngine, TextLine
from vidscribe.subtitles.reading import add_uncovered, proposal_lines, read_lines
from vidscribe.subtitles.text import Row, group_rows, is_centred

SAMPLE_SIDE = 640  # whole frames are OCRed for band finding at this long side (thin text needs >480)
DETECTOR_AFTER = 3  # samples read by text-mask proposals alone before the detector joins in
PAIR_GAP = 0.15  # s: each sample is looked at twice this far apart, to tell still text from moving
FIRST_SAMPLE = 0.3  # s: the first sample (a clip's first frames are often a fade-in)
DENSE_STEP = 0.7  # s between samples at first: the band is usually clear within a few seconds
DENSE_UNTIL = 6.0  # s: then sparse, ~MAX_SAMPLES over the clip, at least SPARSE_STEP apart
SPARSE_STEP = 1.5
MAX_SAMPLES = 40
DARK_LIGHT_SHARE = 0.03  # light-text mask share of a subtitle row's pixels under which the text
DARK_RATIO = 3  # may be dark on a light box, when the inverted mask holds this many times more


class _Timed(Protocol):
    locate: float
    samples: int


def sample_times(duration: float) -> Iterator[float]:
    """Sample times, each twice, PAIR_GAP apart: dense at first, then sparse."""
    t = FIRST_SAMPLE
    step = DENSE_STEP
    while True:
        yield t
        yield t + PAIR_GAP
        t += step
        if t >= DENSE_UNTIL:
            step = max(SPARSE_STEP, duration / MAX_SAMPLES if duration > 0 else SPARSE_STEP)


def still_rows(rows: list[Row], gray: np.ndarray, later: np.ndarray) -> list[Row]:
    """Rows whose text mask is the same a moment later: a sign moving through the picture is not
    (nor a subtitle changing in between: the next sample sees it)."""
    return [row for row in rows if stays_put_in(gray, later, row.box)]


@dataclass
class Located:
    info: VideoInfo
    bands: list[Band]
    samples: list[Sample]
    images: list[np.ndarray]  # the downscaled sample frames
    scale: float
    still: np.ndarray | None = None  # the picture, when the source is a single one (PNG, JPEG, WebP)


def locate(path: Path, engine: OcrEngine, *, band_setting: str | None, timings: _Timed) -> Located:
    """Sample whole frames until a centred line stands still in one (or the video ends)."""
    started = time.perf_counter()
    samples: list[Sample] = []
    images: list[np.ndarray] = []
    if path.suffix.lower() in STILL_SUFFIXES or _single_picture(path):
        return _still(path, timings, started)
    with FrameReader(path) as reader:
        info = reader.info
        scale = min(1.0, SAMPLE_SIDE / max(info.width, info.height))
        override = parse_band(band_setting, info.height) if band_setting else None
        lines: list[list[TextLine]] = []
        grays: list[tuple[np.ndarray, np.ndarray]] = []  # each sample's grey frame and the one after
        seen: list[tuple[Box, np.ndarray, list[TextLine]]] = []
        use_detector = False
        first: tuple[float, np.ndarray] | None = None
        for t, frame in reader.frames(times=sample_times(info.duration), ring=2):
            if first is None:  # the sample; read once its pair frame, PAIR_GAP later, is there
                first = (t, frame)
                continue
            t0, sample = first
            first = None
            later = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            small = cv2.resize(sample, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) \
                if scale < 1.0 else sample.copy()
            found = proposal_lines(engine, sample, seen, later)
            if use_detector:
                found = add_uncovered(found, read_lines(engine, small, scale=scale))
            lines.append(found)
            grays.append((cv2.cvtColor(sample, cv2.COLOR_BGR2GRAY), later))
            # Keep what stood still: a single sighting then suffices for a band.
            samples.append(Sample(t0, still_rows(group_rows(found), *grays[-1])))
            images.append(small)
            if override and len(samples) >= 2:
                break
            if not override and candidate_bands(samples, info.width, info.height, min_samples=1):
                break
            if len(samples) == DETECTOR_AFTER and not use_detector:
                # No band from the mask's proposals: the text may be dark on light, or unoutlined.
                # From now on the detector reads each (downscaled) sample too, earlier ones included.
                use_detector = True
                for i, image in enumerate(images):
                    lines[i] = add_uncovered(lines[i], read_lines(engine, image, scale=scale))
                    samples[i] = Sample(samples[i].t, still_rows(group_rows(lines[i]), *grays[i]))
                if candidate_bands(samples, info.width, info.height, min_samples=1):
                    break
    if override:
        rows = [r for s in samples for r in s.rows if override[0] <= r.cy < override[1]]
        h = float(np.median([r.height for r in rows])) if rows else (override[1] - override[0]) / 3
        bands = [Band(override[0], override[1], h, source="setting",
                      lines_cy=tuple(sorted({r.cy for r in rows if is_centred(r, info.width)})))]
    else:
        bands = candidate_bands(samples, info.width, info.height, min_samples=1)
    timings.locate = time.perf_counter() - started
    timings.samples = len(samples)
    return Located(info, bands, samples, images, scale)


STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")


def _single_picture(path: Path) -> bool:
    """Whether the file holds one picture only (a PNG named .mp4): decodes at most two frames."""
    with FrameReader(path) as reader:
        if reader.info.frame_count > 1:
            return False
        return sum(1 for _ in zip(range(2), reader.frames(), strict=False)) == 1


def _still(path: Path, timings: _Timed, started: float) -> Located:
    """A single picture: no bands to locate, the picture itself kept for reading."""
    with FrameReader(path) as reader:
        info = reader.info
        picture = next((frame.copy() for _, frame in reader.frames()), None)
    if picture is None:
        raise SourceError("no picture could be decoded", source=str(path))
    timings.locate = time.perf_counter() - started
    return Located(VideoInfo(info.width, info.height, 0.0, 1, 0.0), [], [], [], 1.0, still=picture)


def polarity(band: Band, located: Located) -> str:
    """Light text with a dark outline or box (nearly all subtitles), unless the light mask misses
    the subtitle rows the samples read and the inverted one finds them (dark text, light box)."""
    light = dark = 0.0
    for sample, image in zip(located.samples, located.images, strict=True):
        for row in sample.rows:
            if not (band.y0 <= row.cy < band.y1 and is_centred(row, located.info.width)):
                continue
            x0, y0, x1, y1 = (int(v * located.scale) for v in row.box)
            gray = cv2.cvtColor(image[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
            if gray.size:
                light += cv2.countNonZero(text_mask(gray)) / gray.size
                dark += cv2.countNonZero(text_mask(255 - gray)) / gray.size
    return "dark" if light < DARK_LIGHT_SHARE and dark > DARK_RATIO * light else "light"
