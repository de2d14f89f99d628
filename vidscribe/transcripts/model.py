"""The typed transcript: what `transcript.json` holds, as dataclasses.

`docs/transcript-format.md` documents the same contract for readers of the files. Times are
seconds (floats) from the start of the media. Stages fill their own part and record themselves in
`stages`; a part a stage has not produced is `None` (or empty), never guessed.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union

SCHEMA_VERSION = 1

StageStatus = Literal["done", "failed", "skipped"]


@dataclass
class Word:
    start: float
    end: float
    text: str
    probability: float
    raw_text: str | None = None  # model output before script normalisation, when it differed


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    raw_text: str | None = None  # model output before script normalisation, when it differed
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    temperature: float | None = None  # decoding temperature that produced it (> 0: fell back from greedy/beam)
    language: str | None = None  # the language it was decoded in (None in files made before it was kept)


@dataclass
class Speech:
    language: str | None
    segments: list[Segment] = field(default_factory=list)
    language_probability: float | None = None
    task: str = "transcribe"
    model: str | None = None  # the model's name (or folder) as configured
    compute_type: str | None = None
    device: str | None = None
    model_source: str | None = None  # Hugging Face repository ID, or the model's absolute local folder
    model_sha256: str | None = None  # SHA-256 of the model's model.bin (None in transcripts made before it)
    test_model: bool = False  # a test model (tests/tiny_whisper.py) made this: scripted text, not speech
    script: str | None = None  # Chinese script normalisation applied: none, t2s or s2t
    vad: bool | None = None  # whether voice activity detection chose the audio that was decoded
    speech_duration: float | None = None  # seconds of audio VAD kept (None without VAD)
    dropped: dict[str, int] = field(default_factory=dict)  # segments removed by the guards, per reason


@dataclass
class CueLine:
    """One line of a cue, top to bottom: a bilingual cue has a Chinese and a Russian line."""

    text: str
    script: str | None = None  # han, cyrillic, latin or other: which script the line was read as
    box: list[int] | None = None  # x0, y0, x1, y1 in frame pixels
    confidence: float | None = None


@dataclass
class Cue:
    start: float
    end: float
    text: str
    confidence: float
    raw_text: str | None = None
    box: list[int] | None = None  # x0, y0, x1, y1 in frame pixels
    keyframe: str | None = None  # path relative to the video's transcript folder
    keyframe_time: float | None = None  # time of the frame the text was read from (the keyframe)
    lines: list[CueLine] = field(default_factory=list)  # `text`'s lines with their scripts (empty in old files)


@dataclass
class Overlay:
    """Text that stays on screen for much of the clip: watermarks, logos, a fixed title."""

    start: float
    end: float
    text: str
    confidence: float
    raw_text: str | None = None
    box: list[int] | None = None
    kind: str | None = None  # e.g. "account" for a 抖音号 watermark


@dataclass
class ScreenText:
    """A block of static text shown for a while that is neither a subtitle nor a watermark: a
    screenshot, a notice, a photo post's text. Read once. For a still image, start == end == 0."""

    start: float
    end: float
    text: str  # its lines top to bottom, joined with newlines
    confidence: float
    box: list[int] | None = None
    keyframe: str | None = None  # the block's image, relative to the video's transcript folder
    raw_text: str | None = None  # OCR output before script normalisation, when it differed
    lines: list[CueLine] = field(default_factory=list)


@dataclass
class Subtitles:
    cues: list[Cue] = field(default_factory=list)
    overlays: list[Overlay] = field(default_factory=list)
    band: list[int] | None = None  # y0, y1 of the subtitle band in frame pixels
    engine: str | None = None
    script: str | None = None
    models: list[str] = field(default_factory=list)  # OCR detection and recognition models used
    band_source: str | None = None  # "auto" (found in the video) or "setting" (VIDSCRIBE_OCR_BAND)
    screen_text: list[ScreenText] = field(default_factory=list)  # static text blocks (empty in old files)
    still: bool = False  # the source was a still image (a screenshot, a photo post): no cues, screen text only


@dataclass
class AlignedLine:
    start: float
    end: float
    subtitle: str | None
    speech: str | None
    segments: list[int] = field(default_factory=list)  # indices into speech.segments
    cues: list[int] = field(default_factory=list)  # indices into subtitles.cues
    agreement: float | None = None  # 0..1 character agreement, Mandarin speech vs Chinese subtitle only
    # [segment, word] index pairs of the speech words in this line, in speech order (segments
    # without word timestamps are aligned whole and appear in `segments` only).
    words: list[list[int]] = field(default_factory=list)
    disagrees: bool | None = None  # agreement below the flag threshold; None where not compared


FindingKind = Literal["money", "phone", "telegram", "handle", "wechat", "email", "url", "qr", "account",
                      "lexicon"]
FindingTrack = Literal["speech", "subtitle", "overlay", "screen", "frame"]  # screen: screen text; frame: QR codes


@dataclass
class Money:
    """A normalised amount: `amount` (the lower bound of a range) to `amount_max` in `currency`."""

    amount: float
    currency: str  # ISO 4217: RUB, USD, CNY, EUR
    amount_max: float | None = None  # upper bound of a range ("7700到27000美元"), else None
    period: str | None = None  # day, week, month or year when stated (月薪, в месяц, per month)


@dataclass
class Finding:
    """One thing the analysis stage found: an offer, a contact, a QR code, an account, a term."""

    kind: str  # a FindingKind
    value: str  # normalised: "27000 USD/month", "+79991234567", "@handle", the lexicon term, ...
    raw: str  # the text as it appears in the track (or the QR payload)
    start: float | None
    end: float | None
    track: str  # a FindingTrack
    context: str | None = None  # the whole line (segment, cue or overlay) it was found in
    money: Money | None = None
    region: str | None = None  # phone: ISO 3166 country of the number
    label: str | None = None  # lexicon: the term's category; account: the platform (douyin, ...)


@dataclass
class FrameHash:
    """A picture kept for matching reposts: the first sampled frame of a stretch whose picture stays
    close to it, `start` to `end` (the next kept frame or the end), as PDQ hashes (64 hex digits)."""

    start: float
    end: float
    quality: int  # PDQ quality of the whole frame, 0..100 (featureless pictures score low)
    hashes: list[str] = field(default_factory=list)  # one per Fingerprint.variants; "" where it does not apply


@dataclass
class TextSketch:
    """A MinHash of one text track's character shingles (normalised: simplified script, no
    punctuation or spaces), to find the same text re-typed or re-read."""

    track: str  # "subtitles" (cues and screen text) or "speech"
    chars: int  # characters after normalisation
    minhash: list[int] = field(default_factory=list)  # Fingerprint.permutations values


@dataclass
class Fingerprint:
    """What `vidscribe clusters` matches videos by: hashes of the pictures and sketches of the text."""

    algorithm: str = "pdq"
    variants: list[str] = field(default_factory=list)  # e.g. full, full~ (mirrored), inner, 9:16, 1:1
    frames: list[FrameHash] = field(default_factory=list)
    texts: list[TextSketch] = field(default_factory=list)
    sample_every: float = 0.0  # seconds between sampled frames
    shingle: int = 0  # characters per text shingle
    permutations: int = 0  # MinHash values per sketch


@dataclass
class StageRecord:
    status: StageStatus
    seconds: float = 0.0
    version: str = ""
    error: str | None = None
    finished_at: str | None = None  # ISO 8601, UTC
    outputs: list[str] = field(default_factory=list)  # files it wrote, relative to the transcript folder
    # What produced this run: vidscribe, the libraries, tools (ffmpeg) and models it used -> version or
    # name (empty in transcripts made before it was kept, and for a failed run).
    tools: dict[str, str] = field(default_factory=dict)
    sha256: dict[str, str] = field(default_factory=dict)  # each of `outputs` -> SHA-256 of what was written


@dataclass
class VideoMeta:
    id: str
    source: str  # what the user gave: a URL or a local path
    title: str | None = None
    uploader: str | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    sha256: str | None = None
    uploader_id: str | None = None
    channel: str | None = None
    webpage_url: str | None = None
    extractor: str | None = None
    upload_date: str | None = None  # YYYYMMDD as yt-dlp gives it
    has_audio: bool | None = None
    has_video: bool | None = None
    media_file: str | None = None  # relative to the data root
    channel_url: str | None = None  # the account's page (yt-dlp's channel_url), else the listing's URL


@dataclass
class HttpResponse:
    """One response the media download received (the first for each address requested)."""

    url: str  # the address requested (credentials redacted)
    final_url: str  # the address the bytes came from, after redirects (credentials redacted)
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # only the descriptive ones: never cookies


@dataclass
class Provenance:
    """Where the stored media came from and when: recorded when the media stage fetched it."""

    source: str  # what the user gave (a URL with credentials redacted, or a local path)
    retrieved_at: str  # ISO 8601, UTC: when the fetch started
    kind: str = "url"  # "url" (fetched with yt-dlp) or "file" (a local file copied)
    final_url: str | None = None  # where the media bytes came from after redirects (url)
    webpage_url: str | None = None  # the page yt-dlp settled on after redirects (url)
    extractor: str | None = None  # yt-dlp's extractor key (url), "LocalFile" for a file
    extractor_id: str | None = None  # the video's ID at that extractor (url)
    yt_dlp_version: str | None = None
    vidscribe_version: str | None = None
    http: list[HttpResponse] = field(default_factory=list)  # the download's responses (url)
    path: str | None = None  # the absolute path of the file given (file)
    size: int | None = None  # bytes of the media stored
    mtime: str | None = None  # the given file's modification time, ISO 8601 UTC (file)
    media_sha256: str | None = None  # SHA-256 of the media stored


@dataclass
class Transcript:
    video: VideoMeta
    schema_version: int = SCHEMA_VERSION
    stages: dict[str, StageRecord] = field(default_factory=dict)
    speech: Speech | None = None
    subtitles: Subtitles | None = None
    aligned: list[AlignedLine] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # filled by the analysis stage
    provenance: Provenance | None = None  # set by the media stage when it fetches (None in older files)
    fingerprint: Fingerprint | None = None  # filled by the fingerprint stage (vidscribe clusters)

    def to_dict(self) -> dict[str, Any]:
        data = to_jsonable(self)
        return {"schema_version": data.pop("schema_version"), **data}  # first, for readers that sniff it

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise ValueError(f"unsupported transcript schema_version {version!r} (this vidscribe reads "
                             f"up to {SCHEMA_VERSION})")
        return from_jsonable(cls, data)


def to_jsonable(obj: Any) -> Any:
    """Dataclasses to plain JSON types, keeping field order (the file reads like the contract)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


T = TypeVar("T")


def from_jsonable(cls: type[T], data: Any) -> T:
    """Plain JSON back to the dataclass `cls`; unknown keys are ignored so newer files still load."""
    return _convert(cls, data)


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _convert(args[0], value) if len(args) == 1 else value
    if origin is list:
        (item,) = typing.get_args(tp)
        return [_convert(item, v) for v in value]
    if origin is dict:
        _, item = typing.get_args(tp)
        return {k: _convert(item, v) for k, v in value.items()}
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ValueError(f"expected an object for {tp.__name__}, got {type(value).__name__}")
        hints = _hints(tp)
        names = {f.name for f in dataclasses.fields(tp)}
        return tp(**{k: _convert(hints[k], v) for k, v in value.items() if k in names})
    if tp is float and isinstance(value, int):
        return float(value)
    return value
