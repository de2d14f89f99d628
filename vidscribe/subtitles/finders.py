"""Looking, twice a second during the track pass, for text no band covers yet: centred still text
(a caption at the top or in the middle) becomes a new band, tracked from frames kept back so that
its first cue starts on its frame; a block of still left-aligned lines (a screenshot) becomes screen
text, read once and watched until it goes. Both look at the frame's text-mask line proposals: no
OCR until something is found.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace

import cv2
import numpy as np

from vidscribe.subtitles.band import Band, band_around
from vidscribe.subtitles.bandread import Read, Submit
from vidscribe.subtitles.detect import propose_lines, stays_put_in, text_mask
from vidscribe.subtitles.engines import Box
from vidscribe.subtitles.reading import TrackFrame
from vidscribe.subtitles.screen import MAX_BLOCKS, ScreenDraft, ScreenWatch, find_blocks, start_watch
from vidscribe.subtitles.screen import drafts as screen_drafts
from vidscribe.subtitles.text import Row, is_centred

CHECKS_PER_SECOND = 5  # presence checks of a screen text block
DISCOVER_SECONDS = 0.5  # how often the track pass looks for centred text outside the bands
REPLAY_SECONDS = 1.2  # frames kept back to track a band found late from the frame its text appeared
REPLAY_BYTES = 320 << 20  # ... at most this much of them (4K: ~25 frames)
DISCOVER_LAG = 4  # frames between the two looks that tell text that stays put from moving text
DISCOVER_SIDE = 1280  # frames are looked at with at most this long side (4K: halved)
LINE_OF_PROPOSAL = 0.7  # a padded mask-cluster box's height -> the line height OCR boxes have
MAX_LINE = 0.1  # of the frame height: the largest caption line (the bench's go to 9%)
MULTI_LINE = 1.6  # a proposal this many line heights tall holds several lines (boxed captions touch)
PROPOSALS = 12  # line proposals looked at per look: a caption's lines and a screenshot's


class BandFinder:
    """Centred, still text outside the known bands, looked for every DISCOVER_SECONDS on the
    frame's text mask (no OCR): each sighting becomes a new band. Keeps the last frames so that a
    new band's tracking can start before it was seen."""

    def __init__(self, width: int, height: int, fps: float):
        self.width, self.height = width, height
        self.every = max(1, round(fps * DISCOVER_SECONDS))
        frame_bytes = width * height * 3 // 2
        self.history: deque[TrackFrame] = deque(maxlen=max(DISCOVER_LAG + 2, min(
            round(fps * REPLAY_SECONDS), REPLAY_BYTES // max(1, frame_bytes))))
        self.scale = min(1.0, DISCOVER_SIDE / max(width, height))
        self.look: tuple[np.ndarray, np.ndarray, list[Box]] | None = None  # this frame's (grey, earlier, proposals)

    def _gray(self, frame: TrackFrame) -> np.ndarray:
        gray = frame.gray(0, 0, self.width, self.height)
        if self.scale < 1.0:
            gray = cv2.resize(gray, None, fx=self.scale, fy=self.scale, interpolation=cv2.INTER_AREA)
        return gray

    def _band(self, box: Box) -> Band:
        """A band around a proposal. A boxed caption's lines touch, so a proposal may hold several:
        its line height is capped at MAX_LINE of the frame, and a proposal taller than a line gets a
        line of room above and below, not MARGIN_LINES."""
        line_height = min(LINE_OF_PROPOSAL * box.height, MAX_LINE * self.height)
        if box.height > MULTI_LINE * line_height / LINE_OF_PROPOSAL:
            return Band(max(0, int(box.y0 - line_height)), min(self.height, int(box.y1 + line_height)),
                        line_height, lines_cy=(box.cy,))
        return band_around(box.y0, box.y1, line_height, self.height, (box.cy,))

    def push(self, frame: TrackFrame, bands: list[Band], avoid: list[Box]) -> list[tuple[Band, str]]:
        self.history.append(frame)
        self.look = None
        if frame.index % self.every or len(self.history) <= DISCOVER_LAG:
            return []
        gray, earlier = self._gray(frame), self._gray(self.history[-1 - DISCOVER_LAG])
        found: list[tuple[Band, str]] = []
        taken = list(bands)
        proposals = propose_lines(gray, max_boxes=PROPOSALS)
        self.look = (gray, earlier, proposals)
        for small in proposals:
            box = Box(*(int(v / self.scale) for v in small))
            row = Row("", 0.0, box)
            if not is_centred(row, self.width) or any(b.y0 <= box.cy < b.y1 for b in taken) \
                    or any(box.iou(a) >= OVERLAY_BOX_IOU or a.intersection(box) >= 0.5 * box.area for a in avoid):
                continue
            if not stays_put_in(gray, earlier, small):
                continue  # moving: a sign in the picture
            # Bands may overlap: a caption's line cut by one band's edge is read whole by the other,
            # and the cues of both are joined (assemble.merge_stacked).
            band = self._band(box)
            x0, y0, x1, y1 = small
            light = cv2.countNonZero(text_mask(gray[y0:y1, x0:x1]))
            dark = cv2.countNonZero(text_mask(255 - gray[y0:y1, x0:x1]))
            found.append((band, "dark" if dark > DARK_RATIO * light else "light"))
            taken.append(band)
        return found


OVERLAY_BOX_IOU = 0.3  # a proposal overlapping a watched static text this much is that text
DARK_RATIO = 3  # a new band's text is dark on light when the inverted mask holds this many times more


class ScreenFinder:
    """Screen text blocks (screen.py) found on the band finder's looks, read once each (in the OCR
    worker), watched five times a second until they go."""

    def __init__(self, width: int, height: int, check_every: int):
        self.width, self.height, self.check_every = width, height, check_every
        self.watches: list[ScreenWatch] = []
        self.avoid: list[Box] = []  # watched static text (watermarks): never screen text
        self._pending: list[tuple[ScreenWatch, Future[Read] | Read]] = []

    def push(self, frame: TrackFrame, finder: BandFinder, submit_for: Callable[[int], Submit]) -> None:
        if frame.index % self.check_every == 0:
            for sw in self.watches:
                if not sw.gone:
                    if sw.present(frame.gray(*sw.box)):
                        sw.last = frame.picture.t
                    elif frame.picture.t - sw.last > 2.0 / CHECKS_PER_SECOND:
                        sw.gone = True
        if finder.look is None or len(self.watches) >= MAX_BLOCKS:
            return
        gray, earlier, proposals = finder.look
        scale = finder.scale
        watching = [replace(sw, box=Box(*(int(v * scale) for v in sw.box))) for sw in self.watches if not sw.gone]
        avoid = [Box(*(int(v * scale) for v in b)) for b in self.avoid]
        for small in find_blocks(proposals, gray, earlier, gray.shape[1], watching, avoid):
            box = Box(*(int(v / scale) for v in small)).grown(0, 0, self.width, self.height)
            sw = start_watch(box, frame.picture.t, frame.gray(*box))
            # When did it appear? Back through the frames kept, while it is there.
            for old in reversed(list(finder.history)[:-1]):
                if not sw.present(old.gray(*box)):
                    break
                sw.first = old.picture.t
            sw.image, sw.image_t = frame.color()[box.y0:box.y1, box.x0:box.x1].copy(), frame.picture.t
            strip = frame.color()[box.y0:box.y1]
            self._pending.append((sw, submit_for(box.y0)(strip.copy(), Box(box.x0, 0, box.x1, box.height), None,
                                                        "light")))
            self.watches.append(sw)

    def finish(self, step: float) -> None:
        for sw, rows in self._pending:
            sw.rows = (rows.result() if isinstance(rows, Future) else rows).rows

    def drafts(self, step: float) -> list[ScreenDraft]:
        return screen_drafts(self.watches, step)


