"""The subtitle pass over a video: locate the bands (`locate.py`), track changes on every frame
and OCR once per stable interval (`tracking.py`), assemble cues and overlays (`assemble.py`).
Returns plain data; `stage.py` turns it into the transcript and files.

Two decodes, because seeking in long-GOP H.264 costs more than decoding: a short *locate* pass
OCRs a few downscaled whole frames until a centred line shows up at one height in two of them
(usually the first two, 0.7 s apart), then the *track* pass reads every frame, computes a text
mask of each candidate band (from the luma plane: no colour conversion) and runs OCR only when the
mask says the text there changed, in OCR worker threads (two, each with an engine of its own; a
band of lines 96 px or taller, 4K or a big caption, is tracked and read at half size). The track
pass's frames are decoded ahead in a thread of their own, from the start, while the locate pass
still runs. A candidate band whose text never changes (a fixed title) ends up an overlay, not
cues.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidscribe.media.frames import Ahead, FrameReader, VideoInfo
from vidscribe.subtitles.assemble import band_cues, band_readings, merge_stacked
from vidscribe.subtitles.band import Band, StaticText, static_texts
from vidscribe.subtitles.cues import CueDraft
from vidscribe.subtitles.engines import OcrEngine
from vidscribe.subtitles.locate import Located, locate
from vidscribe.subtitles.overlays import MAX_WATCHES, OverlayDraft, Watch, make_watch, merge_overlays, overlays_from
from vidscribe.subtitles.screen import ScreenDraft
from vidscribe.subtitles.scripts import load_cyrillic
from vidscribe.subtitles.still import read_still
from vidscribe.subtitles.tracking import track

__all__ = ["Extraction", "OverlayDraft", "Timings", "extract"]


@dataclass
class Timings:
    locate: float = 0.0  # the whole locate pass (its decoding and OCR)
    decode: float = 0.0  # track pass: waiting for decoded frames (decoded ahead, in a thread)
    detect: float = 0.0  # track pass: text masks and change tracking
    ocr: float = 0.0  # track pass: OCR calls, summed over the OCR workers (overlapping decoding)
    total: float = 0.0
    scan: float = 0.0  # track pass: OCR of new static-text candidates (in the decoding thread)
    frames: int = 0
    samples: int = 0  # locate-pass OCR calls (whole frames)
    ocr_calls: int = 0  # track-pass OCR calls (band crops)
    scans: int = 0  # track-pass OCR calls (static-text candidates)
    script_calls: int = 0  # lines read as Latin by PP-OCR, read again by the Cyrillic reader
    verify_calls: int = 0  # long intervals' lines read again near their start and end (verify.py)
    # CPU seconds by part (thread CPU time, so parts running at once on two cores add up):
    cpu_decode: float = 0.0  # the track pass's decoding thread
    cpu_track: float = 0.0  # text masks, change tracking, finders and static-text scans (main thread)
    cpu_ocr: float = 0.0  # reading the intervals (OCR workers: detector, recogniser, Cyrillic reader)


@dataclass
class Extraction:
    info: VideoInfo
    band: Band | None  # the band the cues came from (the one with most cues)
    cues: list[CueDraft]
    overlays: list[OverlayDraft]
    images: dict[int, np.ndarray]  # CueDraft.ref -> BGR band crop the text was read from
    timings: Timings = field(default_factory=Timings)
    image_times: dict[int, float] = field(default_factory=dict)  # CueDraft.ref -> time of that frame
    bands: list[Band] = field(default_factory=list)  # every candidate band tracked
    models: tuple[str, ...] = ()  # the engine's detection and recognition models (and the Cyrillic reader's)
    screen_text: list[ScreenDraft] = field(default_factory=list)  # static text blocks, read once each
    still: bool = False  # the source was a single picture


def extract(path: str | Path, engine: OcrEngine, *, band_setting: str | None = None, threaded: bool = True,
            progress: Callable[[float], None] = lambda f: None) -> Extraction:
    started = time.perf_counter()
    path = Path(path)
    timings = Timings()
    # The track pass's decoding starts now, in a thread: it runs while the locate pass reads samples.
    # With 2 cores that thread, the OCR workers and this one fill them: no decoder threads on top
    # (they cost ~15% more CPU for frame threading's bookkeeping and gained nothing measurable).
    with FrameReader(path) as reader, Ahead(reader, threaded=(os.cpu_count() or 1) > 2) as pictures:
        located = locate(path, engine, band_setting=band_setting, timings=timings)
        progress(0.1)
        watches = _watches(located)
        duration = located.info.duration
        cues: list[CueDraft] = []
        overlays: list[OverlayDraft] = []
        images: dict[int, tuple[float, np.ndarray]] = {}
        primary: Band | None = None
        screen: list[ScreenDraft] = []
        if located.still is None:
            tracked = track(pictures, engine, located, watches, timings, threaded=threaded,
                            progress=lambda f: progress(0.1 + 0.85 * f))
            pictures.close()
            duration, screen = tracked.end, tracked.screen
            # Overlays first: their boxes and spans take their lines out of the cues, and so do
            # the screen text blocks.
            overlays = overlays_from(watches, located.samples, duration, engine, tracked=True)
            best = 0
            for number, bt in enumerate(tracked.tracks):
                readings, band_images, fixed = band_readings(bt, number, located.info.width, overlays, screen,
                                                             [t.band for t in tracked.tracks])
                found, whole = band_cues(readings, duration)
                overlays += fixed + whole
                if len(found) > best:
                    best, primary = len(found), bt.band
                cues += found
                images.update(band_images)
        else:
            pictures.close()  # a still: the picture decoded ahead is not needed
            screen, overlays = read_still(located, engine)
    timings.cpu_decode = pictures.cpu
    cues = merge_stacked(cues)
    used = {c.ref for c in cues}
    timings.total = time.perf_counter() - started
    cyrillic = load_cyrillic()
    return Extraction(located.info, primary, sorted(cues, key=lambda c: (c.start, c.box.y0 if c.box else 0)),
                      merge_overlays(overlays), {k: v[1] for k, v in images.items() if k in used}, timings,
                      image_times={k: v[0] for k, v in images.items() if k in used}, bands=located.bands,
                      models=tuple(engine.models) + ((cyrillic.model,) if cyrillic else ()),
                      screen_text=screen, still=located.still is not None)


def _watches(located: Located) -> list[Watch]:
    """Text outside the bands' lines is watched for how long it stays put: a watermark, a logo and
    a fixed title do (overlays), a moving sign does not. Seen unchanged in two samples, or
    off-centre and off the subtitle lines, it is also kept out of the band masks (not an off-centre
    row on a subtitle line: that may be half a subtitle read)."""
    info, samples = located.info, located.samples

    def on_line(st: StaticText) -> bool:
        return any(b.holds_line(st.box.cy) for b in located.bands)

    return [make_watch(st, samples[st.samples[0]].t, info.width, info.height,
                       blank=len(st.samples) >= 2 or not (st.centred or on_line(st)))
            for st in static_texts(samples, info.width, min_samples=1)
            if not (st.centred and on_line(st))][:MAX_WATCHES]
