"""The analysis stage: findings (money, contacts, QR codes, account marks, lexicon terms) from
every text track (speech, subtitle cues with their Russian lines, overlays, screen text) and from
the picture, after align, on the post queue.

The text part (`analyse`) is a pure function of the transcript; only the QR scan reads media.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from vidscribe.analysis.accounts import find_accounts
from vidscribe.analysis.contacts import find_contacts
from vidscribe.analysis.lexicon import Lexicon, find_terms, load_lexicon
from vidscribe.analysis.money import find_money
from vidscribe.analysis.qr import QrSighting, scan_video
from vidscribe.analysis.text import Line, Match, fold, to_finding, transcript_lines
from vidscribe.errors import SourceError
from vidscribe.stage import Stage, StageContext, StageOutput
from vidscribe.transcripts.model import Finding, Transcript

VERSION = "2"  # 2: screen text (static text blocks, stills) is read too, as track "screen"
MERGE_GAP = 1.0  # seconds: one finding repeated across touching cues or segments is one finding
TRACK_ORDER = {"speech": 0, "subtitle": 1, "overlay": 2, "screen": 3, "frame": 4}


def line_matches(text: str, lexicons: Sequence[Lexicon], regions: Sequence[str],
                 watermark: bool = False) -> list[Match]:
    """Everything the extractors find in one folded line, in order of position."""
    accounts = find_accounts(text, watermark=watermark)
    contacts = [c for c in find_contacts(text, regions)
                if not (c.kind == "handle" and any(c.start < a.end and a.start < c.end for a in accounts))]
    ids = [m for m in [*contacts, *accounts] if m.kind != "phone"]
    # A term inside an identifier ("контракт.рф", "@army_recruit") is part of a name, not vocabulary.
    terms = [m for m in find_terms(text, list(lexicons)) if not any(m.start < i.end and i.start < m.end for i in ids)]
    found = [*find_money(text), *contacts, *accounts, *terms]
    return sorted(found, key=lambda m: (m.start, m.kind))


def analyse(t: Transcript, lexicons: Sequence[Lexicon], regions: Sequence[str]) -> list[Finding]:
    """Findings from the transcript's speech, subtitle, overlay and screen text (no media needed)."""
    findings: list[Finding] = []
    for line in transcript_lines(t):
        folded = fold(line.text)
        findings += [to_finding(m, line, folded)
                     for m in line_matches(folded, lexicons, regions, watermark=line.account)]
    return merge_repeats(findings)


_QR_LABELS = (("wechat", r"weixin\.qq\.com|u\.wechat\.com|wxp://"), ("telegram", r"t\.me/|telegram\.me/|tg://"),
              ("whatsapp", r"wa\.me/|whatsapp\.com"), ("url", r"^https?://"))


def qr_findings(found: Sequence[QrSighting], regions: Sequence[str]) -> list[Finding]:
    """A `qr` finding per sighting, plus the contacts its payload carries (a t.me link, a phone)."""
    out: list[Finding] = []
    for s in found:
        payload = s.payload.strip()
        label = next((name for name, pattern in _QR_LABELS if re.search(pattern, payload, re.IGNORECASE)), None)
        out.append(Finding("qr", payload, s.payload, s.start, s.end, "frame", context=payload, label=label))
        line = Line("frame", s.start, s.end, payload)
        folded = fold(payload)
        out += [to_finding(m, line, folded) for m in find_contacts(folded, regions)]
    return out


def merge_repeats(findings: list[Finding], gap: float = MERGE_GAP) -> list[Finding]:
    """Join findings of one kind, value and track whose times touch (a subtitle repeated over
    consecutive cues); the first keeps its raw text and context, its end is extended."""
    ordered = sorted(findings, key=_order)
    merged: list[Finding] = []
    last: dict[tuple[str, str, str], Finding] = {}
    for f in ordered:
        key = (f.kind, f.value, f.track)
        prev = last.get(key)
        if (prev is not None and f.start is not None and prev.end is not None
                and f.start - prev.end <= gap):
            prev.end = max(prev.end, f.end if f.end is not None else prev.end)
            continue
        f = dataclasses.replace(f)
        merged.append(f)
        last[key] = f
    return sorted(merged, key=_order)


def _order(f: Finding) -> tuple[float, int, str, str]:
    return (f.start if f.start is not None else -1.0, TRACK_ORDER.get(f.track, 9), f.kind, f.value)


def run(ctx: StageContext) -> StageOutput:
    settings = ctx.settings
    t = ctx.transcript
    lexicons = [load_lexicon(path) for path in settings.lexicon_paths]
    regions = list(settings.phone_region_codes)
    findings = analyse(t, lexicons, regions)
    ctx.progress(0.1)
    if settings.qr_fps > 0 and t.video.has_video is not False:
        try:
            found = scan_video(ctx.media_path, settings.qr_fps, t.video.duration,
                               progress=lambda f: ctx.progress(0.1 + 0.9 * f))
        except SourceError:  # no video stream after all (an audio file): nothing to scan
            found = []
        findings = sorted([*findings, *qr_findings(found, regions)], key=_order)
    ctx.progress(1.0)
    return StageOutput(changes={"findings": findings})  # the store renders transcript.md from them


STAGE = Stage(name="analysis", version=VERSION, run=run, after=("align",), queue="post")
