"""Stored outputs rendered for people: the `transcript.md` report and `vidscribe show`.

One implementation per track turns transcript parts into `Entry` lists (`speech_entries`,
`cue_entries`, `aligned_entries`); the SRT/VTT/text writers of `formats` do the rest, so the
files the stages write and what `show` prints cannot drift apart.

Titles, uploader names and subtitles come from the clips' authors: everything that reaches the
Markdown is escaped (`md_text`), so no author text can add links, HTML, table cells or lines.

Screen text (static text blocks, a still image's text) is evidence, not subtitles: the report has
a section of its own for it, and the SRT/VTT files hold subtitle cues only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

from vidscribe.analysis.evidence import finding_keyframe, safe_keyframe
from vidscribe.errors import VidscribeError
from vidscribe.stage import in_pipeline_order
from vidscribe.transcripts.formats import Entry, to_srt, to_text, to_vtt
from vidscribe.transcripts.model import (
    AlignedLine,
    Cue,
    Finding,
    ScreenText,
    Speech,
    Subtitles,
    Transcript,
    to_jsonable,
)

Track = Literal["speech", "subtitles", "aligned"]
Format = Literal["json", "srt", "vtt", "txt", "md"]
TRACKS: tuple[str, ...] = ("speech", "subtitles", "aligned")
FORMATS: tuple[str, ...] = ("json", "srt", "vtt", "txt", "md")

# Stands in for the missing side of an aligned line, so line 1 is always the subtitle, line 2 the speech.
MISSING = "—"
_STAGE_OF_TRACK = {"speech": "speech", "subtitles": "subtitles", "aligned": "align"}


class RenderError(VidscribeError, ValueError):
    """A track or format that cannot be shown; the message is one line for the CLI."""


# Bidirectional embedding/override/isolate controls: in author text they can make a line display
# in another order than it reads.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str | None) -> str:
    """`text` without control characters (terminal escapes, NUL, bidi overrides); line breaks and
    tabs are kept for the caller to lay out."""
    return "".join(ch for ch in (text or "") if ch in "\n\r\t" or not (
        unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS))


# --- entries: one implementation per track ---------------------------------------------------------

def speech_entries(speech: Speech | None) -> list[Entry]:
    """One entry per speech segment."""
    return [Entry(s.start, s.end, printable(s.text).strip()) for s in (speech.segments if speech else [])]


def cue_entries(subtitles: Subtitles | None) -> list[Entry]:
    """One entry per subtitle cue (overlays such as watermarks are not subtitles)."""
    return [Entry(c.start, c.end, printable(c.text).strip()) for c in (subtitles.cues if subtitles else [])]


def aligned_entries(lines: Iterable[AlignedLine], sep: str = "\n") -> list[Entry]:
    """One entry per aligned line: subtitle text, `sep`, speech text (`MISSING` for an absent side).

    With the default `sep` each SRT/VTT cue has two lines, subtitle above speech.
    """
    out = []
    for line in lines:
        subtitle = " ".join(printable(line.subtitle).split()) or MISSING
        speech = " ".join(printable(line.speech).split()) or MISSING
        out.append(Entry(line.start, line.end, f"{subtitle}{sep}{speech}"))
    return out


# --- Markdown helpers ------------------------------------------------------------------------------

# CommonMark lets any ASCII punctuation be backslash-escaped; these are the ones that can start
# markup inside a line (emphasis, code, links and images, HTML, entities, table cells,
# strikethrough). Text never starts a Markdown line here, so "#", "-" or "1." stay as they are.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|&~])")


def md_text(text: str | None, newline: str = " ") -> str:
    """`text` as literal Markdown inline text; its line breaks become `newline` (use "<br>" in cells)."""
    lines = [" ".join(line.split()) for line in printable(text).splitlines()]
    return newline.join(_MD_SPECIAL.sub(r"\\\1", line) for line in lines if line)


def md_url(url: str | None) -> str:
    """A URL as a CommonMark autolink when it is a plain http(s) URL, else as escaped text."""
    if url and re.fullmatch(r"https?://[^\s<>]+", url):
        return f"<{url}>"
    return md_text(url)


def clock(seconds: float) -> str:
    """mm:ss.s (h:mm:ss.s from an hour on)."""
    tenths = max(0, round(seconds * 10))
    whole, tenth = divmod(tenths, 10)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}.{tenth}" if h else f"{m:02d}:{s:02d}.{tenth}"


def _span(start: float, end: float) -> str:
    return f"{clock(start)}–{clock(end)}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    return out


def _cell(text: str | None) -> str:
    return md_text(text, newline="<br>")


def _keyframe(item: Cue | ScreenText | None) -> str:
    """A link to the cue's or screen text block's keyframe image (relative to the transcript folder,
    where transcript.md lives): the frame the text was read from is the evidence."""
    return _frame_link(item.keyframe if item is not None else None)


def _frame_link(name: str | None) -> str:
    name = safe_keyframe(name)
    return f"[frame]({name})" if name else ""


def _line_keyframe(t: Transcript, line: AlignedLine) -> str:
    cues = t.subtitles.cues if t.subtitles else []
    return next((link for i in line.cues if 0 <= i < len(cues) and (link := _keyframe(cues[i]))), "")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --- the report --------------------------------------------------------------------------------------

def _stage_note(transcript: Transcript, stage: str) -> str:
    """Why a stage's part is missing, in words: 'not run', 'skipped: no audio stream', ..."""
    record = transcript.stages.get(stage)
    if record is None:
        return "not run"
    return f"{record.status}: {record.error}" if record.error else record.status


def _retrieved(t: Transcript) -> list[tuple[str, str]]:
    """When and from where the media was fetched (its provenance), in one row."""
    p = t.provenance
    if p is None:
        return []
    if p.kind == "file":
        where = f"the file {md_text(p.path)}" + (f", modified {md_text(p.mtime)}" if p.mtime else "")
    else:
        where = md_url(p.final_url) if p.final_url else "yt-dlp"
        if p.http:
            where += f" (HTTP {p.http[0].status})"
    return [("Retrieved", f"{md_text(p.retrieved_at)} from {where}")]


def _metadata(t: Transcript) -> list[str]:
    v = t.video
    rows: list[tuple[str, str]] = [("Video ID", md_text(v.id)), ("Title", md_text(v.title))]
    uploader = md_text(v.uploader)
    if v.uploader_id and v.uploader_id != v.uploader:
        uploader = f"{uploader} ({md_text(v.uploader_id)})" if uploader else md_text(v.uploader_id)
    rows.append(("Uploader", uploader))
    if v.channel and v.channel != v.uploader:
        rows.append(("Channel", md_text(v.channel)))
    if v.upload_date and re.fullmatch(r"\d{8}", v.upload_date):
        rows.append(("Upload date", f"{v.upload_date[:4]}-{v.upload_date[4:6]}-{v.upload_date[6:]}"))
    rows.append(("Source", md_url(v.source)))
    if v.webpage_url and v.webpage_url != v.source:
        rows.append(("Web page", md_url(v.webpage_url)))
    if v.duration is not None:
        rows.append(("Duration", clock(v.duration)))
    if v.width and v.height:
        rows.append(("Frame", f"{v.width}×{v.height}" + (f", {v.fps:g} fps" if v.fps else "")))
    if v.sha256:
        rows.append(("SHA-256", md_text(v.sha256)))
    rows += _retrieved(t)

    s = t.speech
    if s is None:
        rows.append(("Speech", f"none ({md_text(_stage_note(t, 'speech'))})"))
    else:
        language = md_text(s.language) or "not detected"
        if s.language_probability is not None:
            language += f" (probability {s.language_probability:.2f})"
        if s.task == "translate":
            language += ", translated to English"
        if s.test_model:
            language += " (given by the test model, not detected)"
        rows.append(("Language", language))
        model = ", ".join(md_text(x) for x in (s.model, s.device) if x)
        rows.append(("Speech", _count(len(s.segments), "segment") + (f" ({model})" if model else "")))
        rows += _speech_model(s)
    sub = t.subtitles
    if sub is None:
        rows.append(("Subtitles", f"none ({md_text(_stage_note(t, 'subtitles'))})"))
    else:
        engine = f" ({md_text(sub.engine)})" if sub.engine else ""
        counts = f"{_count(len(sub.cues), 'cue')}, {_count(len(sub.overlays), 'overlay')}"
        if sub.screen_text:
            counts += f", {_count(len(sub.screen_text), 'screen text block')}"
        rows.append(("Subtitles", counts + engine))
        if sub.still:
            rows.append(("Still image", "the source is a picture (a screenshot or photo post), not a video: "
                                        "no timeline, its text is screen text"))
    if t.stages:
        rows.append(("Stages", ", ".join(f"{md_text(name)} {md_text(_stage_note(t, name))}"
                                          for name in in_pipeline_order(t.stages))))
    return [f"- **{label}:** {value or '—'}" for label, value in rows]


def _speech_model(s: Speech) -> list[tuple[str, str]]:
    """Which model produced the speech track, so a reader can trust or discount it."""
    rows = []
    if s.test_model:
        rows.append(("Speech model", "**a test model, not speech recognition: the speech text is a placeholder**"))
    where = s.model_source if s.model_source and s.model_source != s.model else None
    detail = ", ".join(x for x in (md_text(where), f"model.bin SHA-256 {s.model_sha256}" if s.model_sha256
                                    else "") if x)
    if detail:
        rows.append(("Model", detail))
    return rows


def _overlays(t: Transcript) -> list[str]:
    if not t.subtitles or not t.subtitles.overlays:
        return []
    rows = [[_span(o.start, o.end), md_text(o.kind) or "—", _cell(o.text), f"{o.confidence:.2f}"]
            for o in sorted(t.subtitles.overlays, key=lambda o: (o.start, o.end))]
    return ["", "## On-screen overlays", "",
            "Text that stays on screen (watermarks, account names: evidence of who posted or "
            "re-posted the clip).", "", *_table(["Time", "Kind", "Text", "Confidence"], rows)]


def _is_still(t: Transcript) -> bool:
    return t.subtitles is not None and t.subtitles.still


def _screen_text(t: Transcript) -> list[str]:
    blocks = t.subtitles.screen_text if t.subtitles else []
    if not blocks:
        return []
    still = _is_still(t)
    rows = [["still" if still else _span(b.start, b.end), _cell(b.text), f"{b.confidence:.2f}", _keyframe(b)]
            for b in sorted(blocks, key=lambda b: (b.start, b.end))]
    intro = ("Text on screen that is neither subtitles nor the account watermark (screenshots, notices, "
             "a photo post's text), read once per block: evidence, not subtitles.")
    if still:
        intro += " The source is a still image: the blocks have no time."
    return ["", "## Screen text", "", intro, "", *_table(["Time", "Text", "Confidence", "Keyframe"], rows)]


def _finding_time(t: Transcript, f: Finding) -> str:
    if f.start is None or f.end is None:
        return "—"
    return "still" if f.track == "screen" and _is_still(t) else _span(f.start, f.end)


def _findings(t: Transcript) -> list[str]:
    if not t.findings:
        return []
    rows = [[_finding_time(t, f), md_text(f.track), md_text(f.kind), _cell(f.value), _cell(f.raw),
             _frame_link(finding_keyframe(t, f))] for f in t.findings]
    return ["", "## Findings", "", "Offers, contacts, accounts and terms found in the speech, subtitles, "
            "overlays, screen text and frames.", "",
            *_table(["Time", "Track", "Kind", "Value", "As seen", "Keyframe"], rows)]


def _disagreements(lines: list[AlignedLine]) -> list[str]:
    # Imported here: vidscribe.align imports this module for its stage outputs.
    from vidscribe.align.agreement import DISAGREEMENT_THRESHOLD

    compared = [line for line in lines if line.agreement is not None]
    if not compared:
        return []
    flagged = [line for line in compared if line.disagrees]
    out = ["", "## Where subtitles and speech disagree", "",
           f"{len(flagged)} of {len(compared)} lines with Chinese subtitles and Mandarin speech "
           f"disagree (character agreement below {DISAGREEMENT_THRESHOLD:g}; 1 means the same "
           "characters)."]
    if flagged:
        rows = [[_span(line.start, line.end), _cell(line.subtitle), _cell(line.speech),
                 f"{line.agreement:.2f}"] for line in flagged]
        out += ["", *_table(["Time", "Subtitles", "Speech", "Agreement"], rows)]
    return out


def _aligned_body(t: Transcript) -> list[str]:
    lines = t.aligned
    scored = any(line.agreement is not None for line in lines)
    header = ["Time", "Subtitles", "Speech"] + (["Agreement"] if scored else []) + ["Keyframe"]
    rows = []
    for line in lines:
        row = [_span(line.start, line.end), _cell(line.subtitle), _cell(line.speech)]
        if scored:
            if line.agreement is None:
                row.append("")
            else:
                row.append(f"**⚠ {line.agreement:.2f}**" if line.disagrees else f"{line.agreement:.2f}")
        rows.append([*row, _line_keyframe(t, line)])
    body = ["", "## Subtitles and speech", ""]
    if t.speech is None or t.subtitles is None:
        missing = "speech" if t.speech is None else "subtitles"
        body += [f"No {missing} track ({md_text(_stage_note(t, missing))}): its column is empty.", ""]
    if not rows and _is_still(t):
        return [*body, "Nothing to show: a still image has no subtitles or speech (its text is under "
                       "Screen text)."]
    if not rows:
        return [*body, "Nothing to show: no subtitles and no speech."]
    return body + _table(header, rows)


def _speech_body(t: Transcript) -> list[str]:
    rows = [[_span(e.start, e.end), _cell(e.text)] for e in speech_entries(t.speech)]
    return ["", "## Speech", "", *(_table(["Time", "Speech"], rows) if rows else ["No speech found."])]


def _subtitles_body(t: Transcript) -> list[str]:
    cues = t.subtitles.cues if t.subtitles else []
    rows = [[_span(c.start, c.end), _cell(c.text), f"{c.confidence:.2f}", _keyframe(c)] for c in cues]
    return ["", "## Subtitles", "",
            *(_table(["Time", "Subtitles", "Confidence", "Keyframe"], rows) if rows else ["No subtitles found."])]


def report(transcript: Transcript, track: Track = "aligned") -> str:
    """The Markdown report: metadata, overlays, screen text, findings, then the track (`aligned`: the full two-column
    reading of subtitles and speech with flagged disagreements first; this is `transcript.md`).

    Renders whatever the transcript holds; `render` is the one that refuses missing tracks."""
    _check_names(track, "md")
    t = transcript
    out = [f"# {md_text(t.video.title) or md_text(t.video.id)}", "", *_metadata(t), *_overlays(t),
           *_screen_text(t), *_findings(t)]
    if track == "aligned":
        out += _disagreements(t.aligned) + _aligned_body(t)
    elif track == "speech":
        out += _speech_body(t)
    else:
        out += _subtitles_body(t)
    return "\n".join(out) + "\n"


# --- show ----------------------------------------------------------------------------------------------

def _check_names(track: str, fmt: str) -> None:
    if track not in TRACKS:
        raise RenderError(f"unknown track {track!r}; tracks: {', '.join(TRACKS)}")
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {fmt!r}; formats: {', '.join(FORMATS)}")


def _check_present(t: Transcript, track: str) -> None:
    stage = _STAGE_OF_TRACK[track]
    if track == "aligned":
        record = t.stages.get(stage)
        present = bool(t.aligned) or (record is not None and record.status == "done")
    else:
        present = getattr(t, track) is not None
    if not present:
        raise RenderError(f"video {t.video.id} has no {track} track yet ({_stage_note(t, stage)})")


def render(transcript: Transcript, track: Track, fmt: Format) -> str:
    """One stored track of `transcript` in `fmt`, as `vidscribe show` prints it.

    json is that track's part of transcript.json; srt/vtt/txt use the track's entries (aligned:
    subtitle above speech; txt: `subtitle | speech`); md is the report with that track's table.
    Raises RenderError (a ValueError) for an unknown track or format, or a track not produced.
    """
    _check_names(track, fmt)
    _check_present(transcript, track)
    t = transcript
    if fmt == "json":
        part = {"speech": t.speech, "subtitles": t.subtitles, "aligned": t.aligned}[track]
        return json.dumps(to_jsonable(part), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    if fmt == "md":
        return report(t, track)
    if track == "speech":
        entries = speech_entries(t.speech)
    elif track == "subtitles":
        entries = cue_entries(t.subtitles)
    else:
        entries = aligned_entries(t.aligned, sep=" | " if fmt == "txt" else "\n")
    return {"srt": to_srt, "vtt": to_vtt, "txt": to_text}[fmt](entries)


# --- derived files -------------------------------------------------------------------------------------

# Every text file derived from transcript.json, by name. They are rendered here, in one place, each
# time the transcript is saved (`Store.save`), so they always match it; stages never write them.
DERIVED_FILES: tuple[str, ...] = ("transcript.md", "speech.srt", "speech.vtt", "speech.txt",
                                  "subtitles.srt", "subtitles.vtt", "aligned.srt", "aligned.vtt")


def derived_files(transcript: Transcript) -> dict[str, str | None]:
    """Name -> content of each derived file; None where its track does not exist (remove the file)."""
    t = transcript
    out: dict[str, str | None] = {"transcript.md": report(t)}
    for track, names in (("speech", ("srt", "vtt", "txt")), ("subtitles", ("srt", "vtt")),
                         ("aligned", ("srt", "vtt"))):
        try:
            _check_present(t, track)
            present = True
        except RenderError:
            present = False
        for fmt in names:
            out[f"{track}.{fmt}"] = render(t, track, fmt) if present else None  # type: ignore[arg-type]
    return out
