"""Probe a media file with ffprobe: duration, streams, resolution, frame rate."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from vidscribe.errors import SourceError
from vidscribe.media.tools import input_guard, run_tool


@dataclass(frozen=True)
class MediaInfo:
    duration: float
    has_video: bool
    has_audio: bool
    width: int | None = None
    height: int | None = None
    fps: float | None = None  # average frame rate; variable-rate clips are read by timestamp
    video_codec: str | None = None
    audio_codec: str | None = None
    format_name: str | None = None
    size: int = 0
    still: bool = False  # a single picture (PNG, JPEG, WebP...), not a video


# ffprobe reads a picture through an image demuxer: "image2" for files named .png/.jpg, or
# "<codec>_pipe" (png_pipe, jpeg_pipe, webp_pipe, ...) when the content says so under any name.
_IMAGE_FORMATS = re.compile(r"^(image2|[a-z0-9]+_pipe)$")


def _rate(text: str | None) -> float | None:
    try:
        value = Fraction(text) if text else None
    except (ValueError, ZeroDivisionError):
        return None
    return round(float(value), 3) if value else None


def parse_probe(data: dict, size: int = 0) -> MediaInfo:
    """Pure: ffprobe's `-show_format -show_streams` JSON to MediaInfo."""
    streams = data.get("streams") or []
    fmt = data.get("format") or {}
    # Cover art in audio files is a one-frame "video" stream; it is not a video.
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    durations = [fmt.get("duration")] + [s.get("duration") for s in (video, audio) if s]
    duration = max((float(d) for d in durations if d not in (None, "N/A")), default=0.0)
    fps = None
    if video:
        fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    return MediaInfo(
        duration=duration,
        has_video=video is not None,
        has_audio=audio is not None,
        width=int(video["width"]) if video and video.get("width") else None,
        height=int(video["height"]) if video and video.get("height") else None,
        fps=fps,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        format_name=fmt.get("format_name"),
        size=size,
        still=bool(video) and audio is None and (
            bool(_IMAGE_FORMATS.match(fmt.get("format_name") or "")) or str(video.get("nb_frames")) == "1"),
    )


def _counted_duration(path: Path, fps: float, timeout: float, label: str) -> float:
    """The duration of a stream that states none (a raw H.264/HEVC elementary stream): its packets
    counted (demuxed, not decoded) at its frame rate, so such a file meets the duration limit too."""
    out = run_tool(["ffprobe", "-v", "error", *input_guard(), "-count_packets", "-select_streams", "v:0",
                    "-show_entries", "stream=nb_read_packets", "-print_format", "json", str(path)],
                   timeout, label, "not a readable media file: ffprobe")
    try:
        packets = int(json.loads(out or b"{}")["streams"][0]["nb_read_packets"])
    except (ValueError, KeyError, IndexError, TypeError):
        return 0.0
    return packets / fps


def probe(path: Path, timeout: float, source: str | None = None) -> MediaInfo:
    """ffprobe `path`. ffmpeg-python's probe() has no time limit, so the call is made here."""
    label = source or str(path)
    size = path.stat().st_size
    if size == 0:
        raise SourceError("empty file (0 bytes)", source=label)
    out = run_tool(["ffprobe", "-v", "error", *input_guard(), "-print_format", "json", "-show_format",
                    "-show_streams", str(path)], timeout, label, "not a readable media file: ffprobe")
    try:
        info = parse_probe(json.loads(out or b"{}"), size)
    except (ValueError, KeyError, TypeError) as e:
        raise SourceError(f"not a readable media file: unexpected ffprobe output ({e})", source=label) \
            from None
    if not info.has_video and not info.has_audio:
        raise SourceError("not a video: no audio or video streams", source=label)
    if not info.duration and info.has_video and info.fps:
        info = dataclasses.replace(info, duration=_counted_duration(path, info.fps, timeout, label))
    # A still image (a screenshot, a photo post) is read as one picture by the subtitles stage: its
    # text becomes screen text; there is no audio for speech.
    return info
