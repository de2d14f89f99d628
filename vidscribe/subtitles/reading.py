"""Reading text with an OCR engine: boxes mapped to frame pixels, small text enlarged, and
line proposals from the text mask read at native size. Shared by the locate and track passes."""

from __future__ import annotations

import math
import re
import unicodedata

import cv2
import numpy as np

from vidscribe.chinese import HAN_CLASS
from vidscribe.media.frames import Picture
from vidscribe.subtitles.detect import overlap, propose_lines, stays_put, text_mask
from vidscribe.subtitles.engines import Box, Keep, OcrEngine, TextLine

MIN_ROW_SCORE = 0.5


def read_lines(engine: OcrEngine, image: np.ndarray, *, scale: float = 1.0, dx: int = 0,
                dy: int = 0, keep: Keep | None = None) -> list[TextLine]:
    """OCR lines of `image`, boxes mapped back to frame pixels (divide by scale, then shift).
    `keep`: which detected boxes (in `image` pixels) to recognise."""
    if image.shape[0] < 8 or image.shape[1] < 8:
        return []  # nothing a detector could read (a crop clipped at the frame's edge)
    return [TextLine(text, ln.score, to_frame(ln.box, scale, dx, dy))
            for ln in engine.read(image, keep) if ln.score >= MIN_ROW_SCORE and (text := without_symbols(ln.text))]


def to_frame(box: Box, scale: float, dx: int, dy: int) -> Box:
    """A box in an image read by `read_lines` in frame pixels (divided by scale, then shifted)."""
    return Box(int(box.x0 / scale) + dx, int(box.y0 / scale) + dy, int(math.ceil(box.x1 / scale)) + dx,
               int(math.ceil(box.y1 / scale)) + dy)


ARROWS = ((0x2190, 0x21FF), (0x27F0, 0x27FF), (0x2900, 0x297F))  # Unicode's arrow blocks: PP-OCR
# reads an arrow emoji (➡, So) after a caption as `→` (Sm), which is no more a word than the emoji


def _symbol(ch: str) -> bool:
    return unicodedata.category(ch) == "So" or any(lo <= ord(ch) <= hi for lo, hi in ARROWS)


# A dash ending a Chinese line: an emoji after a caption read as `-` (the realistic bench's ➡ was,
# once in five); no Chinese subtitle line ends with a dash, while `123-45-` may be cut digits.
_DASH_AFTER_HAN = re.compile(f"(?<=[{HAN_CLASS}])\\s*[-\u2010-\u2015]+$")


def without_symbols(text: str) -> str:
    """Text without pictographs (emoji, dingbats: Unicode category So; arrows) that editors put
    after a caption line, nor a dash read off one after a Chinese line: not words, and no finding
    is in them. Currency and maths signs stay."""
    text = _DASH_AFTER_HAN.sub("", text)
    if not any(_symbol(ch) for ch in text):
        return text
    return " ".join("".join(ch for ch in text if not _symbol(ch)).split())


SMALL_TEXT = 28  # px: lines lower than this are read from a crop enlarged 2x (the detector misses
# ~20-px watermark text over busy backgrounds at native size, and finds it enlarged)


def read_small(engine: OcrEngine, crop: np.ndarray, line_height: float, *, dx: int = 0,
                dy: int = 0) -> list[TextLine]:
    """A small crop around one line, enlarged first when the line is small."""
    if line_height >= SMALL_TEXT:
        return read_lines(engine, crop, dx=dx, dy=dy)
    big = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    return read_lines(engine, big, scale=2.0, dx=dx, dy=dy)


def covered(box: Box, lines: list[TextLine]) -> bool:
    """Whether `box` covers 30% or more of one of `lines`."""
    return any(box.intersection(ln.box) >= 0.3 * ln.box.area for ln in lines)


def add_uncovered(lines: list[TextLine], more: list[TextLine]) -> list[TextLine]:
    return lines + [ln for ln in more if not covered(ln.box, lines)]


def proposal_lines(engine: OcrEngine, frame: np.ndarray,
                   seen: list[tuple[Box, np.ndarray, list[TextLine]]],
                   later: np.ndarray | None = None) -> list[TextLine]:
    """Lines read at native size where the text mask sees line-shaped clusters: outlined, shadowed
    or boxed light text, the way nearly all subtitles and watermarks are drawn. Cheap (small crops)
    and sure-sighted where a detector on a downscaled frame misses small or busy-background text.
    `seen` holds earlier reads (box, mask, lines): a box whose text mask has not changed since
    (a watermark) is not read again. With `later` (the grey frame a moment after), clusters that
    moved in between (a sign in the picture) are not read at all."""
    gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    lines: list[TextLine] = []
    for box in propose_lines(gray, max_boxes=6):
        x0, y0, x1, y1 = box
        if covered(box, lines):
            continue
        mask = text_mask(gray[y0:y1, x0:x1])
        if later is not None and not stays_put(mask, text_mask(later[y0:y1, x0:x1])):
            continue
        for old_box, old_mask, old_lines in seen:
            most = max(cv2.countNonZero(mask), cv2.countNonZero(old_mask))
            if old_box == box and overlap(mask, old_mask) >= 0.9 * most:
                lines += old_lines
                break
        else:
            read = read_small(engine, frame[y0:y1, x0:x1], (y1 - y0) * 0.6, dx=x0, dy=y0)
            seen.append((box, mask, read))
            lines += read
    return lines



class TrackFrame:
    """One decoded frame of the track pass: grey crops from its luma plane, BGR made on demand
    (only for the frames whose band is copied or read)."""

    def __init__(self, index: int, picture: Picture):
        self.index, self.picture = index, picture

    def gray(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
        return self.picture.gray(x0, y0, x1, y1)

    def luma(self, x0: int, y0: int, x1: int, y1: int) -> np.ndarray | None:
        return self.picture.luma(x0, y0, x1, y1)

    @property
    def grey_lut(self) -> np.ndarray:
        return self.picture.grey_lut

    def color(self) -> np.ndarray:
        return self.picture.bgr()
