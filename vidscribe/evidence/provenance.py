"""Provenance: where a video's media came from, when, over which HTTP responses, and what produced
each stage's outputs (vidscribe, libraries, tools and models, with their versions).

The media stage records a `Provenance` when it fetches (`for_url`, `for_file`); `pipeline` records each
stage's `tools` and the SHA-256 of the files it wrote (`stage_tools`, `output_hashes`). The HTTP
status and headers are those of the download itself: yt-dlp's downloader asks `YoutubeDL.urlopen` for
every response, and `recording_class` keeps the first response for each address (no second request,
so what is recorded is what the bytes arrived with).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from vidscribe import __version__
from vidscribe.redact import redact_url
from vidscribe.transcripts.model import HttpResponse, Provenance

# Response headers kept: they describe the file served (type, size, version, dates, server, caches).
# Anything else is dropped, so no cookie, token or session header can reach a transcript or a bundle.
KEPT_HEADERS = ("Content-Type", "Content-Length", "Content-Range", "Content-Disposition", "Content-Encoding",
                "Last-Modified", "ETag", "Date", "Server", "Age", "Cache-Control", "Expires", "Accept-Ranges",
                "Via", "X-Cache", "Digest", "Content-MD5")
MAX_HEADER_CHARS = 512  # a kept header's value is cut to this: real ones are far shorter (an ETag is ~40)
# Responses recorded per download: a video and an audio part (merged formats), or a manifest and a few
# first segments (HLS/DASH); a segmented download's hundreds of fragments are not worth recording.
MAX_HTTP_RECORDS = 4
TOOL_TIMEOUT = 10.0  # s for `ffmpeg -version` (answers in ~50 ms)

# The Python distributions whose code runs in each stage (their versions are recorded per run).
STAGE_LIBRARIES: dict[str, tuple[str, ...]] = {
    "media": ("yt-dlp",),
    "speech": ("faster-whisper", "ctranslate2", "onnxruntime", "av", "opencc"),  # av: faster-whisper decodes with it
    "subtitles": ("av", "opencv-python", "tesserocr", "opencc"),
    "align": (),
    "analysis": ("phonenumbers", "opencv-python"),  # opencv-python: the QR code reader
    "fingerprint": ("pdqhash", "av", "opencv-python", "opencc"),  # av: frames; opencc: text folded to simplified
}
# The OCR engine's own libraries, by `subtitles.engine`.
OCR_LIBRARIES: dict[str, tuple[str, ...]] = {"rapidocr": ("rapidocr_onnxruntime", "onnxruntime"),
                                             "paddleocr": ("paddleocr", "paddlepaddle", "paddlex")}
# Stages that run ffmpeg/ffprobe (as a program, or through PyAV's own build, recorded as `av`).
FFMPEG_STAGES = ("media",)
# Fields of a stage's transcript part naming the model or engine that produced it (recorded per run).
MODEL_FIELDS: dict[str, tuple[str, ...]] = {
    "speech": ("model", "model_source", "model_sha256", "compute_type", "device"),
    "subtitles": ("engine", "models"),
}


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def kept_headers(headers: Mapping[str, str] | Any) -> dict[str, str]:
    """The descriptive headers of a response, under their canonical names; never cookies or auth."""
    out: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = headers.get(name)
        if value is not None:
            out[name] = str(value)[:MAX_HEADER_CHARS]
    return out


def recording_class(responses: list[HttpResponse]) -> type:
    """A `yt_dlp.YoutubeDL` that appends to `responses` the first response for each address it
    requests (at most MAX_HTTP_RECORDS), with the credentials of every URL redacted."""
    import yt_dlp

    class RecordingYoutubeDL(yt_dlp.YoutubeDL):  # type: ignore[misc]
        def urlopen(self, req: Any) -> Any:
            response = super().urlopen(req)
            url = redact_url(req if isinstance(req, str) else str(getattr(req, "url", "")))
            if len(responses) < MAX_HTTP_RECORDS and all(r.url != url for r in responses):
                responses.append(HttpResponse(url=url, final_url=redact_url(str(response.url)),
                                              status=int(response.status), headers=kept_headers(response.headers)))
            return response

    return RecordingYoutubeDL


@functools.cache
def library_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.cache
def ffmpeg_version() -> str | None:
    """`ffmpeg -version`'s version word (`5.1.6-0+deb12u1`), or None when it cannot tell."""
    binary = shutil.which("ffmpeg")
    if not binary:
        return None
    try:
        done = subprocess.run([binary, "-version"], capture_output=True, timeout=TOOL_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(rb"ffmpeg version (\S+)", done.stdout)
    return m.group(1).decode("ascii", "replace") if m else None


def _model_value(value: Any) -> str | None:
    if value in (None, "", []):
        return None
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)


def stage_tools(stage: str, changes: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What produced a run of `stage`: vidscribe's version, each library of the stage (STAGE_LIBRARIES,
    and the OCR engine's) with its installed version, ffmpeg's where the stage runs it, and the model
    fields of the part the stage wrote (`changes[stage]`)."""
    tools = {"vidscribe": __version__}
    part = (changes or {}).get(stage)
    names: list[str] = list(STAGE_LIBRARIES.get(stage, ()))
    names += OCR_LIBRARIES.get(str(getattr(part, "engine", "")), ())
    for name in names:
        if (version := library_version(name)) is not None:
            tools[name] = version
    if stage in FFMPEG_STAGES and (version := ffmpeg_version()) is not None:
        tools["ffmpeg"] = version
    for key in MODEL_FIELDS.get(stage, ()):
        if (value := _model_value(getattr(part, key, None))) is not None:
            tools[f"{stage}.{key}"] = value
    return tools


def sha256_bytes(data: bytes | str) -> str:
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def output_hashes(files: Mapping[str, bytes | str], names: Iterable[str]) -> dict[str, str]:
    """SHA-256 of each of `names` as written from `files` (a stage's output)."""
    return {name: sha256_bytes(files[name]) for name in names if name in files}


def for_url(source: str, info: Mapping[str, Any], responses: list[HttpResponse], retrieved_at: str,
            media_sha256: str, size: int) -> Provenance:
    """The provenance of media yt-dlp downloaded: `info` is the info it downloaded from (stored form,
    URLs redacted as `responses`' are). `final_url` is where the (first) media part's request ended."""
    parts = [p.get("url") for p in info.get("requested_formats") or [info] if isinstance(p, dict)]
    media = [r for r in responses if r.url in parts] or responses
    final = media[0].final_url if media else None
    webpage = info.get("webpage_url") or info.get("original_url")
    return Provenance(
        source=redact_url(source), retrieved_at=retrieved_at, kind="url", final_url=final,
        webpage_url=redact_url(str(webpage)) if webpage else None,
        extractor=_str(info.get("extractor_key")), extractor_id=_str(info.get("id")),
        yt_dlp_version=library_version("yt-dlp"), vidscribe_version=__version__, http=list(responses),
        size=size, media_sha256=media_sha256)


def for_file(source: str, path: Path, retrieved_at: str, media_sha256: str, size: int) -> Provenance:
    """The provenance of a local file: the path given, its size and modification time."""
    mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc).isoformat()
    return Provenance(source=source, retrieved_at=retrieved_at, kind="file", extractor="LocalFile",
                      vidscribe_version=__version__, path=str(path.absolute()), size=size, mtime=mtime,
                      media_sha256=media_sha256)


def _str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
