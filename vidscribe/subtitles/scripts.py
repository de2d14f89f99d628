"""Which script a subtitle line is in, and reading Cyrillic lines with an engine that knows Cyrillic.

PP-OCR's Chinese models read Chinese and Latin well and have no Cyrillic: a Russian line comes back
as Latin look-alikes (`Пункт отбора` -> `yHkT ot6opa`). So every line is read by PP-OCR first; a
line it read as Latin letters only (no Han) is read once more by Tesseract with its Russian and
English models (Debian's `tesseract-ocr-rus`, `tesseract-ocr-eng`, through `tesserocr`), and the
surer of the two decides: Russian -> a Cyrillic line with Tesseract's Russian text; English -> a
Latin line (`@handles`, `WeChat: ...`), PP-OCR's text kept (it reads Latin better). Chinese lines are read
once. Without tesserocr or the Russian data, lines keep PP-OCR's reading (offline either way).

Tesseract reads dark text on white best at ~30-50 px line height: the line is binarised from the
same text mask the change tracker uses (light text with a dark edge: outlined, shadowed or boxed),
which also drops the busy background, less the mask's pixels off the line's ink colour (a
colourful picture's light edges), and scaled to LINE_PX.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidscribe.chinese import HAN
from vidscribe.subtitles.detect import text_mask
from vidscribe.subtitles.text import CYRILLIC, HAN_SCRIPT, LATIN, OTHER

log = logging.getLogger(__name__)

LINE_PX = 48  # Tesseract's line height: 48 px read 360p-4K Russian subtitle lines best (64 px worse)
MIN_LETTERS = 3  # a Latin reading with fewer letters (digits, a price) is left alone
CYRILLIC_SHARE = 0.5  # share of Tesseract's letters that must be Cyrillic for a Cyrillic line
MIN_CONFIDENCE = 0.3  # Tesseract's mean word confidence below which its reading is not taken:
# the Russian lines of the bench scored 0.37-0.96, Chinese lines misread as Cyrillic 0.0-0.31
PAD = 0.25  # line heights of white margin around the binarised line (Tesseract needs a margin)
TESSDATA_DIRS = ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata",
                 "/usr/share/tessdata", "/usr/local/share/tessdata")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_CYRILLIC_LETTER = re.compile(r"[\u0400-\u04ff]")


def script_of(text: str) -> str:
    """The line's script by its letters: han when it holds any Han character (a Chinese line
    with a phone number is Chinese), else cyrillic or latin by the majority, other for none."""
    if HAN.search(text):
        return HAN_SCRIPT
    cyr, lat = len(_CYRILLIC_LETTER.findall(text)), len(_LATIN_LETTER.findall(text))
    if not cyr and not lat:
        return OTHER
    return CYRILLIC if cyr > lat else LATIN


def needs_second_reading(text: str) -> bool:
    """Whether PP-OCR's reading may be Cyrillic read as Latin look-alikes: Latin letters, no Han."""
    return script_of(text) == LATIN and len(_LATIN_LETTER.findall(text)) >= MIN_LETTERS


def binarise(image: np.ndarray, polarity: str = "light") -> np.ndarray:
    """A BGR line crop -> dark text on white, LINE_PX high with a margin: the text mask's pixels
    (light text with a dark edge; `dark` polarity: the reverse) are the ink."""
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    mask = _without_edge_parts(text_mask(gray if polarity == "light" else 255 - gray))
    if image.ndim == 3:
        mask = _ink_colour_only(mask, image)
    ink = np.where(mask > 0, 0, 255).astype(np.uint8)
    f = LINE_PX / max(1, ink.shape[0])
    ink = cv2.resize(ink, None, fx=f, fy=f, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    pad = max(4, int(PAD * LINE_PX))
    return cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


INK_COLOUR_DISTANCE = 120  # BGR distance from the line's median ink colour past which a mask pixel
# is the picture's, not the line's: a subtitle line is drawn in one colour, while a colourful busy
# picture's light edges (a test pattern's squares) pass the text mask too, join the letters and
# turn `дня.` into boxes. On the realistic bench's 43 Russian lines (153 crops, 2026-12-03) the
# surest reading's mean CER went 0.099 -> 0.048, lines over 10% CER 16 -> 4; at 100 it was 0.064, at
# 150 0.050, at 180 0.084
MAX_OFF_COLOUR = 0.4  # share of mask pixels that may lie off the ink colour (those crops lost at most
# 0.33); more is a line in two colours (a karaoke sweep halfway), not clutter: nothing is dropped
MIN_INK = 20  # mask pixels needed to tell the ink's colour


def _ink_colour_only(mask: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The mask less its pixels far from the line's ink colour (INK_COLOUR_DISTANCE)."""
    ys, xs = np.nonzero(mask)
    if len(ys) < MIN_INK:
        return mask
    colours = image[ys, xs].astype(np.float32)
    far = np.linalg.norm(colours - np.median(colours, axis=0), axis=1) > INK_COLOUR_DISTANCE
    if not far.any() or far.mean() > MAX_OFF_COLOUR:
        return mask
    # ... and far from the ink's colour near it too (within a crop height to each side): a line
    # whose colour runs from one end to the other (a gradient caption) keeps its ends.
    step = max(1, mask.shape[0])
    chunk = xs // step
    for c in np.unique(chunk[far]):
        here = far & (chunk == c)
        near = np.abs(chunk - c) <= 1
        far[here] = np.linalg.norm(colours[here] - np.median(colours[near], axis=0), axis=1) > INK_COLOUR_DISTANCE
    out = mask.copy()
    out[ys[far], xs[far]] = 0
    return out


def _without_edge_parts(mask: np.ndarray) -> np.ndarray:
    """The mask less its connected parts touching the crop's top or bottom: the crop has room above
    and below the line, so those are the background (a colour bar's edge) or a neighbouring line."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    h = mask.shape[0]
    edge = [i for i in range(1, n) if stats[i, cv2.CC_STAT_TOP] == 0
            or stats[i, cv2.CC_STAT_TOP] + stats[i, cv2.CC_STAT_HEIGHT] >= h]
    if not edge:
        return mask
    out = mask.copy()
    out[np.isin(labels, edge)] = 0
    return out


@dataclass(frozen=True)
class ScriptReading:
    text: str
    confidence: float  # 0..1
    script: str


class CyrillicReader:
    """Tesseract on one binarised line at a time, with its Russian model and, to tell the script,
    its English one: the line is Cyrillic when the Russian model reads it at least as surely (on
    the bench it told 24 of 25 Russian and Latin subtitle lines apart; the combined rus+eng model
    read Russian lines worse, mean CER 0.12 against 0.10, switching words to Latin). Two API
    objects, used under a lock."""

    name = "tesseract"

    def __init__(self, tessdata: str):
        import tesserocr

        self._apis = {lang: tesserocr.PyTessBaseAPI(path=tessdata, lang=lang, psm=tesserocr.PSM.SINGLE_LINE)
                      for lang in ("rus", "eng")}
        self._lock = threading.Lock()
        version = tesserocr.tesseract_version().split()[1] if tesserocr.tesseract_version() else "?"
        self.model = f"tesseract {version} rus, eng ({tessdata})"

    def _read(self, lang: str, ink: np.ndarray) -> tuple[str, float]:
        api = self._apis[lang]
        api.SetImageBytes(ink.tobytes(), ink.shape[1], ink.shape[0], 1, ink.shape[1])
        text = " ".join(unicodedata.normalize("NFC", api.GetUTF8Text()).split())
        return text, max(0, api.MeanTextConf()) / 100

    def surest(self, images: Sequence[np.ndarray], polarity: str = "light") -> ScriptReading | None:
        """One line's surest Cyrillic reading on several frames (`surest_cyrillic`): the Russian
        model reads each, the English one only as many as it takes."""
        inks = [np.ascontiguousarray(binarise(image, polarity)) for image in images]
        with self._lock:
            russian = [self._read("rus", ink) for ink in inks]
            return surest_cyrillic(russian, lambda i: self._read("eng", inks[i])[1])


def surest_cyrillic(russian: Sequence[tuple[str, float]], english: Callable[[int], float]) -> ScriptReading | None:
    """Of one line's readings by the Russian model on several frames ((text, confidence) each),
    the surest Cyrillic one; else the first, as Latin. A reading is Cyrillic when its text is and
    the English model reads that frame (`english(i)`: its confidence on frame i) no more surely.
    Heavy compression blurs each frame differently: on the realistic bench's Russian lines the
    surest of three frames 0.35 s apart read with mean CER 0.052 against 0.072 for the middle frame
    alone (15 of 36 lines exact, against 11). The English model is asked in order of the Russian
    model's confidence, until a reading passes: once a line, not once a frame, for most Russian lines."""
    for i in sorted(range(len(russian)), key=lambda k: -russian[k][1]):
        text, confidence = russian[i]
        if script_of(text) == CYRILLIC and confidence >= english(i):
            return ScriptReading(text, confidence, CYRILLIC)
    return ScriptReading(*russian[0], LATIN) if russian else None


def tessdata_dir() -> str | None:
    """A folder holding rus.traineddata: $TESSDATA_PREFIX, then Debian's and the usual places."""
    env = os.environ.get("TESSDATA_PREFIX")
    for folder in ([env] if env else []) + list(TESSDATA_DIRS):
        if folder and (Path(folder) / "rus.traineddata").is_file() and (Path(folder) / "eng.traineddata").is_file():
            return folder
    return None


@functools.lru_cache(maxsize=1)
def load_cyrillic() -> CyrillicReader | None:
    """The Cyrillic reader, loaded once per process; None (with one warning) when tesserocr or the
    Russian and English Tesseract data are not installed: lines then keep PP-OCR's reading."""
    folder = tessdata_dir()
    if folder is None:
        log.warning("no Tesseract rus+eng data (apt-get install tesseract-ocr-rus tesseract-ocr-eng): "
                    "Cyrillic subtitle lines keep PP-OCR's Latin look-alike reading")
        return None
    try:
        return CyrillicReader(folder)
    except (ImportError, RuntimeError) as e:
        log.warning("Tesseract could not be loaded (%s): Cyrillic subtitle lines keep PP-OCR's reading", e)
        return None


def choose(ppocr_text: str, ppocr_score: float, second: ScriptReading | None) -> tuple[str, float, str]:
    """The line's text, confidence and script from PP-OCR's reading and, for a Latin-looking line,
    Tesseract's: Tesseract's text when it reads mostly Cyrillic, surely enough."""
    if second is not None and second.script == CYRILLIC and second.confidence >= MIN_CONFIDENCE:
        letters = len(_CYRILLIC_LETTER.findall(second.text)) + len(_LATIN_LETTER.findall(second.text))
        if letters and len(_CYRILLIC_LETTER.findall(second.text)) >= CYRILLIC_SHARE * letters:
            return second.text, second.confidence, CYRILLIC
    return ppocr_text, ppocr_score, script_of(ppocr_text)
