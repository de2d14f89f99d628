"""A still image as the source (a screenshot, a photo post): no timeline, so no cues. Its text is
read once from the whole picture; an account watermark (抖音号, @handle) is an overlay, and every
other block of lines is screen text, with start and end 0."""

from __future__ import annotations

import re

from vidscribe.subtitles.bandread import decide_script
from vidscribe.subtitles.engines import OcrEngine
from vidscribe.subtitles.locate import Located
from vidscribe.subtitles.overlays import OverlayDraft
from vidscribe.subtitles.reading import add_uncovered, proposal_lines, read_lines
from vidscribe.subtitles.screen import ScreenDraft, still_blocks
from vidscribe.subtitles.scripts import load_cyrillic
from vidscribe.subtitles.text import group_rows, is_centred, join_rows

# The uploading account as platforms burn it in (the stage's overlay_kind says "account" for these).
ACCOUNT = re.compile(r"抖音号|快手号|小红书号|视频号|tiktok|^\s*@\s*[\w.]{2,}", re.IGNORECASE)


def read_still(located: Located, engine: OcrEngine) -> tuple[list[ScreenDraft], list[OverlayDraft]]:
    image = located.still
    assert image is not None
    width = image.shape[1]
    # The detector on the picture (shrunk by the engine past its side limit), and the text mask's
    # line proposals read at native size: small text on busy photos is found either way.
    lines = add_uncovered(read_lines(engine, image), proposal_lines(engine, image, []))
    cyrillic = load_cyrillic()
    rows = [decide_script(r, image, 0, "light", cyrillic) for r in group_rows(lines)]
    screen: list[ScreenDraft] = []
    overlays: list[OverlayDraft] = []
    for block in still_blocks([r for r in rows if not ACCOUNT.search(r.text)], width):
        joined = join_rows(block)
        if joined is not None:
            text, score, box = joined
            crop = image[box.y0:box.y1, box.x0:box.x1].copy()
            screen.append(ScreenDraft(0.0, 0.0, text, score, box, tuple(block), crop, 0.0))
    for r in rows:
        if ACCOUNT.search(r.text):
            overlays.append(OverlayDraft(0.0, 0.0, r.text, r.score, r.box, is_centred(r, width)))
    return screen, overlays
