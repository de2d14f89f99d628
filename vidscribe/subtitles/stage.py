"""The subtitles stage: burned-in subtitles of a video (Chinese, and Russian or Latin lines under
them) as timed cues, the fixed text (watermarks, account names, titles) as overlays, and static
text blocks (screenshots, photo posts) as screen text, with a keyframe image per cue and block. A
still image is read as one picture: screen text and overlays, no cues.

Writes nothing itself: returns `subtitles` for transcript.json and the files `keyframes/NNNN.jpg`
(the band crop each cue's text was read from) and `keyframes/screen-NNNN.jpg` (each block);
`subtitles.srt`/`.vtt` are rendered by the store.
"""

from __future__ import annotations

import re

import cv2

from vidscribe.chinese import normalise_script
from vidscribe.stage import Stage, StageContext, StageOutput
from vidscribe.subtitles.engines import load_engine
from vidscribe.subtitles.extract import Extraction, OverlayDraft, extract
from vidscribe.subtitles.scripts import script_of
from vidscribe.subtitles.text import Row
from vidscribe.transcripts.model import Cue, CueLine, Overlay, ScreenText, Subtitles

VERSION = "3"  # 2: bands anywhere, Cyrillic lines, repeats, karaoke, screen text, stills; 3: marks
# inside split lines, punctuation-only differences one cue, Cyrillic lines read on several frames
KEYFRAME_QUALITY = 85
# The uploading account as platforms burn it in: 抖音号/快手号 IDs, @handles, TikTok's name tag.
_ACCOUNT = re.compile(r"抖音号|抖音|快手号|快手|小红书号|视频号|tiktok|@\s*[\w.]{2,}|\bID\s*[:：]", re.IGNORECASE)


def overlay_kind(ov: OverlayDraft) -> str | None:
    """"account" for a platform watermark or @handle, "caption" for a fixed centred line."""
    if _ACCOUNT.search(ov.text):
        return "account"
    return "caption" if ov.centred else None


def _r(t: float) -> float:
    return round(t, 3)


def _lines(rows: tuple[Row, ...] | list[Row], script: str) -> list[CueLine]:
    return [CueLine(text=normalise_script(r.text, script), script=r.script or script_of(r.text), box=list(r.box),
                    confidence=round(r.score, 4)) for r in rows]


def to_subtitles(ex: Extraction, *, engine: str, script: str) -> tuple[Subtitles, dict[str, bytes | str]]:
    """Transcript part and files from an extraction (script-normalised text, raw text kept)."""
    files: dict[str, bytes | str] = {}
    cues = []
    for n, draft in enumerate(ex.cues, 1):
        text = normalise_script(draft.text, script)
        keyframe = None
        image = ex.images.get(draft.ref) if draft.ref is not None else None
        if image is not None:
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_QUALITY])
            if ok:
                keyframe = f"keyframes/{n:04d}.jpg"
                files[keyframe] = jpeg.tobytes()
        frame_time = ex.image_times.get(draft.ref) if draft.ref is not None else None
        cues.append(Cue(start=_r(draft.start), end=_r(draft.end), text=text, confidence=round(draft.score, 4),
                        raw_text=draft.text if text != draft.text else None,
                        box=list(draft.box) if draft.box else None, keyframe=keyframe,
                        keyframe_time=_r(frame_time) if frame_time is not None else None,
                        lines=_lines(draft.lines, script)))
    overlays = []
    for ov in ex.overlays:
        text = normalise_script(ov.text, script)
        overlays.append(Overlay(start=_r(ov.start), end=_r(ov.end), text=text, confidence=round(ov.score, 4),
                                raw_text=ov.text if text != ov.text else None, box=list(ov.box),
                                kind=overlay_kind(ov)))
    screen = []
    for n, block in enumerate(ex.screen_text, 1):
        text = normalise_script(block.text, script)
        keyframe = None
        if block.image is not None and block.image.size:
            ok, jpeg = cv2.imencode(".jpg", block.image, [cv2.IMWRITE_JPEG_QUALITY, KEYFRAME_QUALITY])
            if ok:
                keyframe = f"keyframes/screen-{n:04d}.jpg"
                files[keyframe] = jpeg.tobytes()
        screen.append(ScreenText(start=_r(block.start), end=_r(block.end), text=text,
                                 confidence=round(block.score, 4), box=list(block.box), keyframe=keyframe,
                                 raw_text=block.text if text != block.text else None,
                                 lines=_lines(block.rows, script)))
    band = ex.band or (ex.bands[0] if ex.bands else None)
    subtitles = Subtitles(cues=cues, overlays=overlays, band=[band.y0, band.y1] if band else None, engine=engine,
                          script=script, models=list(ex.models), band_source=band.source if band else None,
                          screen_text=screen, still=ex.still)
    return subtitles, files  # subtitles.srt/.vtt are rendered by the store from the saved transcript


def run(ctx: StageContext) -> StageOutput:
    settings = ctx.settings
    if ctx.transcript.video.has_video is False:
        return StageOutput(skipped="no video stream")
    engine = load_engine(settings.ocr_engine, settings.ocr_det_model, settings.ocr_rec_model, settings.ocr_device)
    ex = extract(ctx.media_path, engine, band_setting=settings.ocr_band, progress=ctx.progress)
    subtitles, files = to_subtitles(ex, engine=engine.name, script=settings.chinese_script)
    ctx.progress(1.0)
    return StageOutput(changes={"subtitles": subtitles}, files=files)


STAGE = Stage(name="subtitles", version=VERSION, run=run, queue="subtitles")
