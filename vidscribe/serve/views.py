"""What the templates show, built from the transcript and the catalog: the template environment
(autoescaping everything, author text made `visible`), the video page's lines, tracks and files,
and search hits as plain and marked pieces of text.

Nothing here returns markup: author text only ever reaches a page through Jinja's escaping.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2

from vidscribe.analysis.evidence import finding_keyframe
from vidscribe.corpus.values import is_web_url
from vidscribe.serve.security import KEYFRAME, media_file, output_file
from vidscribe.terminal import visible
from vidscribe.transcripts.model import AlignedLine, Transcript
from vidscribe.transcripts.render import clock

TEMPLATES = Path(__file__).parent / "templates"
STILL_TYPES = ("image/png", "image/jpeg", "image/webp", "image/bmp")  # a source shown as a picture
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def shown(text: Any) -> str:
    """Author text for display: control, bidi and invisible characters written as <U+XXXX>
    (escaping for HTML is Jinja's job)."""
    return visible("" if text is None else str(text))


def when(seconds: Any) -> str:
    return clock(float(seconds)) if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) else "—"


def fixed(value: Any, digits: int = 2) -> str:
    """A number with `digits` decimals; anything else (a hostile transcript's string) as "—"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.{digits}f}"
    return "—"


def day(date: Any) -> str:
    """YYYYMMDD as YYYY-MM-DD; anything else as it is (shown, never trusted)."""
    text = shown(date)
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if re.fullmatch(r"\d{8}", text) else (text or "—")


def web_link(url: Any) -> str | None:
    """`url` when it is an http(s) URL fit for an href; None for anything else (javascript:, data:,
    file paths), which the page shows as text."""
    if isinstance(url, str) and is_web_url(url) and url.lower().startswith(("http://", "https://")) \
            and not re.search(r"[\s<>\"'`\x00-\x1f\x7f]", url):
        return url
    return None


def query(params: dict[str, Any]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(shown=shown, when=when, day=day, fixed=fixed, web=web_link)
    env.globals.update(qs=query)
    return env


# --- the video page ------------------------------------------------------------------------------

def _frame(name: str | None) -> str | None:
    """A keyframe name the file route serves (`keyframes/<name>.jpg`), else None."""
    return name if name and KEYFRAME.match(name) else None


def screen_blocks(t: Transcript) -> list[dict[str, Any]]:
    """The screen text blocks in time order, each with its number, time, text and keyframe."""
    blocks = sorted(t.subtitles.screen_text, key=lambda b: (b.start, b.end)) if t.subtitles else []
    return [{"n": n, "start": b.start, "end": b.end, "text": b.text, "confidence": b.confidence,
             "keyframe": _frame(b.keyframe)} for n, b in enumerate(blocks, 1)]


def hit_keyframe(video_id: str, keyframe: str | None) -> str | None:
    """A search hit's keyframe (relative to the data root) as the name under its video's folder."""
    prefix = f"transcripts/{video_id}/"
    return _frame(keyframe[len(prefix):]) if keyframe and keyframe.startswith(prefix) else None


def keyframes(t: Transcript, cue_indices: list[int]) -> list[str]:
    cues = t.subtitles.cues if t.subtitles else []
    out = []
    for i in cue_indices:
        if 0 <= i < len(cues) and cues[i].keyframe and KEYFRAME.match(cues[i].keyframe):
            out.append(cues[i].keyframe)
    return out


def transcript_lines(t: Transcript) -> list[dict[str, Any]]:
    """The lines beside the player: the aligned lines; before alignment, speech segments and
    subtitle cues in time order. Each with its start, end, texts, agreement and keyframes."""
    lines: list[AlignedLine] = list(t.aligned)
    if not lines:
        cues = t.subtitles.cues if t.subtitles else []
        segments = t.speech.segments if t.speech else []
        lines = [AlignedLine(c.start, c.end, c.text, None, cues=[i]) for i, c in enumerate(cues)]
        lines += [AlignedLine(s.start, s.end, None, s.text) for s in segments]
        lines.sort(key=lambda line: (line.start, line.subtitle is None))
    return [{"n": n, "start": line.start, "end": line.end, "subtitle": line.subtitle, "speech": line.speech,
             "agreement": line.agreement, "disagrees": bool(line.disagrees), "keyframes": keyframes(t, line.cues)}
            for n, line in enumerate(lines)]


def _language(code: Any, fallback: str) -> str:
    return code if isinstance(code, str) and LANGUAGE.match(code) else fallback


def tracks(root: Path, vid: str, t: Transcript) -> list[dict[str, Any]]:
    """The WebVTT files vidscribe wrote for video `vid`, as <track> elements (aligned shown first)."""
    speech_lang = _language(t.speech.language if t.speech else None, "und")
    found = []
    for name, label, lang in (("aligned", "Subtitles + speech (aligned)", "zh"),
                              ("subtitles", "Subtitles (OCR)", "zh"),
                              ("speech", f"Speech ({speech_lang})", speech_lang)):
        if output_file(root, vid, f"{name}.vtt"):
            found.append({"name": name, "label": label, "srclang": lang, "src": f"/files/{vid}/{name}.vtt",
                          "default": not found})
    return found


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def downloads(root: Path, video_id: str) -> list[dict[str, Any]]:
    """Every file of the video the viewer serves, with its URL and size."""
    from vidscribe.serve.security import MEDIA_FILES, OUTPUT_FILES

    out = []
    for name in OUTPUT_FILES:
        path = output_file(root, video_id, name)
        if path:
            out.append({"name": name, "url": f"/files/{video_id}/{name}", "size": _size(path)})
    for name in ("source", *MEDIA_FILES):
        path = media_file(root, video_id, name)
        if path:
            out.append({"name": path.name, "url": f"/media/{video_id}/{name}", "size": _size(path)})
    return out


def video_context(root: Path, vid: str, t: Transcript, start_at: float | None) -> dict[str, Any]:
    """Everything the video page shows of the transcript of `vid` (the validated ID its folder has:
    URLs are built from it, never from the `video.id` written inside the file)."""
    media = t.stages.get("media")
    source = media_file(root, vid, "source")
    media_type = _media_type(source)
    return {
        "t": t, "video": t.video, "video_id": vid, "lines": transcript_lines(t), "tracks": tracks(root, vid, t),
        "downloads": downloads(root, vid), "media_url": f"/media/{vid}/source" if source else None,
        "media_type": media_type, "fetched_at": media.finished_at if media else None,
        # A still (a screenshot, a photo post) is shown as the picture it is, not in a <video>.
        "still": bool(t.subtitles and t.subtitles.still),
        "picture": media_type in STILL_TYPES,
        "screen_text": screen_blocks(t),
        "overlays": sorted(t.subtitles.overlays, key=lambda o: o.start) if t.subtitles else [],
        "cues": [{"n": i + 1, "start": c.start, "end": c.end, "text": c.text, "confidence": c.confidence,
                  "keyframe": next(iter(keyframes(t, [i])), None)} for i, c in enumerate(t.subtitles.cues)]
        if t.subtitles else [],
        "findings": [{"f": f, "keyframe": _frame(finding_keyframe(t, f))}
                     for f in sorted(t.findings, key=lambda f: (f.start is None, f.start or 0.0))],
        "stages": t.stages, "start_at": start_at,
    }


def _media_type(path: Path | None) -> str | None:
    from vidscribe.serve.security import media_type

    return media_type(path) if path else None


# --- search hits -------------------------------------------------------------------------------------

def marked(text: str, spans: list[list[int]], width: int = 60) -> list[tuple[str, bool]]:
    """`text` cut to about `width` characters around its first match, as (piece, is_match) pairs."""
    clean = [(max(0, s), min(len(text), e)) for s, e in spans if 0 <= s < e]
    if not clean:
        head = text if len(text) <= 2 * width else text[: 2 * width] + "…"
        return [(shown(head), False)]
    lo, hi = max(0, clean[0][0] - width), min(len(text), clean[0][1] + width)
    out: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
    pos = lo
    for s, e in clean:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        if s > pos:
            out.append((shown(text[pos:s]), False))
        out.append((shown(text[s:e]), True))
        pos = e
    if hi > pos:
        out.append((shown(text[pos:hi]), False))
    if hi < len(text):
        out.append(("…", False))
    return out
