"""Generated sample clips with known ground truth: speech from espeak-ng, burned-in Chinese
subtitles drawn by ffmpeg with a CJK font from fonts-noto-cjk (which has Cyrillic too), panels
(screenshots, photo posts) drawn as boxes, platform re-encodes, and stills (PNG, JPEG, WebP).

The README demo and the tests build their media here, so nothing binary lives in git and every
test knows exactly what it drew and said.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vidscribe.errors import ConfigError

CJK_FONT = "Noto Sans CJK SC"
CJK_SERIF_FONT = "Noto Serif CJK SC"
CJK_MONO_FONT = "Noto Sans Mono CJK SC"
SPEECH_RATE = 16000


@dataclass(frozen=True)
class TextLayer:
    """Text drawn on the video from `start` to `end` (end exclusive, like a subtitle)."""

    text: str
    start: float
    end: float
    x: str = "(w-text_w)/2"  # ffmpeg drawtext expressions; may use t for motion
    y: str = "h*0.82"
    size: int = 40
    color: str = "white"
    border: int = 3
    border_color: str = "black"
    box: str | None = None  # e.g. "black@0.6" draws an opaque box behind the text
    font: str = CJK_FONT


@dataclass(frozen=True)
class Rect:
    """A filled box drawn on the video from `start` to `end` (a screenshot's panel, a photo)."""

    x: int
    y: int
    w: int
    h: int
    start: float
    end: float
    color: str = "white"


@dataclass(frozen=True)
class Reencode:
    """A platform's re-encode after the first encode: scaled to width x height at this x264 CRF."""

    width: int
    height: int
    crf: int = 30


@dataclass(frozen=True)
class Utterance:
    start: float
    text: str
    voice: str = "en-us"  # espeak-ng voice: ru, cmn, en-us, ...


@dataclass
class ClipSpec:
    duration: float = 6.0
    width: int = 640
    height: int = 360
    fps: float = 25
    background: str = "testsrc2"  # any lavfi video source name, or "color=c=navy"
    layers: list[TextLayer | Rect] = field(default_factory=list)  # drawn in this order
    speech: list[Utterance] = field(default_factory=list)
    audio: bool = True
    video_codec: str = "libx264"
    # Filters applied to the background before the text is drawn, e.g. "noise=alls=40:allf=t".
    background_filters: str | None = None
    # Cap the video bitrate ("2M") like a platform re-encode; None: x264 CRF only.
    video_bitrate: str | None = None
    crf: int = 23  # x264 quality of the first encode (39-41: the blocky look of re-shared clips)
    reencode: Reencode | None = None  # then scaled and encoded again, as platforms do with uploads


# Burned-in subtitle looks seen on Douyin/TikTok clips (TextLayer keyword arguments).
SUBTITLE_STYLES: dict[str, dict[str, object]] = {
    "outline": {"color": "white", "border": 3, "border_color": "black"},
    "thin": {"color": "white", "border": 1, "border_color": "black"},
    "yellow": {"color": "0xFFE000", "border": 2, "border_color": "black"},
    "boxed": {"color": "white", "border": 0, "box": "black@0.6"},
}


def subtitle(text: str, start: float, end: float, *, style: str = "outline", size: int = 40,
             font: str = CJK_FONT, bottom: str = "h*0.86", line_height: float = 1.3) -> list[TextLayer]:
    """Layers for one subtitle cue, each line centred, the block anchored at `bottom` (an ffmpeg
    expression for the last line's baseline) the way subtitle editors stack two-line cues."""
    lines = [line for line in text.split("\n") if line]
    layers = []
    for i, line in enumerate(lines):
        lift = round((len(lines) - 1 - i) * line_height * size)
        layers.append(TextLayer(line, start, end, y=f"{bottom}-{lift}-ascent", size=size, font=font,
                                **SUBTITLE_STYLES[style]))  # type: ignore[arg-type]
    return layers


def karaoke(text: str, start: float, end: float, *, size: int = 40, bottom: str = "h*0.86",
            sung: str = "0xFFE000", font: str = CJK_FONT, frame_width: int) -> list[TextLayer]:
    """One karaoke line: white, then coloured character by character from left to right over the
    cue's time. Each coloured prefix starts where the white line does, so it covers its white
    characters exactly; the line is centred by full-width advances (`size` per character), so a
    half-width digit or letter leaves it a few pixels off centre, as hand-made karaoke often is."""
    x = str((frame_width - len(text) * size) // 2)
    y = f"{bottom}-ascent"
    layers = [TextLayer(text, start, end, x=x, y=y, size=size, font=font, **SUBTITLE_STYLES["outline"])]
    step = (end - start) / (len(text) + 1)
    for i in range(1, len(text) + 1):
        layers.append(TextLayer(text[:i], start + i * step, end, x=x, y=y, size=size, font=font, color=sung,
                                border=3, border_color="black"))
    return layers


DEMO = ClipSpec(
    duration=8.0,
    width=720,
    height=1280,
    fps=25,
    background="color=c=0x304050",
    layers=[
        TextLayer("加入俄罗斯军队", 0.5, 3.0, size=48),
        TextLayer("签约奖金两百万卢布", 3.0, 5.5, size=48),
        TextLayer("月薪二十万卢布 电话 +7 999 123-45-67", 5.5, 7.8, size=36),
        TextLayer("抖音号：recruit_demo", 0.0, 8.0, x="w-text_w-20", y="30", size=24, border=1),
    ],
    speech=[
        Utterance(0.6, "Join the army. Sign the contract today.", "en-us"),
        Utterance(4.0, "The bonus is two million roubles.", "en-us"),
    ],
)


_ENDLESS_SOURCES = {"mandelbrot", "life", "cellauto"}
# Sources that draw at random unless given a seed (ffmpeg's default, -1, is a new seed each run): the
# same spec must make the same clip on every machine, or a bench compares different pictures (the
# bench's Game of Life clip scored 0.714, 0.800 and 1.000 on three machines).
_SEEDED_SOURCES = {"life", "cellauto", "gradients"}
CLIP_VERSION = 2  # raised whenever make_clip draws a spec differently: caches of made clips key on it


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if not path:
        package = {"ffmpeg": "ffmpeg", "espeak-ng": "espeak-ng"}.get(tool, tool)
        raise ConfigError(f"{tool} not found: install it (apt-get install {package})")
    return path


def _escape_expr(expr: str) -> str:
    return expr.replace("\\", "\\\\").replace(":", "\\:").replace(",", "\\,").replace("'", "\\'")


def _drawtext(layer: TextLayer, textfile: Path) -> str:
    opts = {
        "font": layer.font,
        "textfile": str(textfile),
        "fontsize": str(layer.size),
        "fontcolor": layer.color,
        "x": layer.x,
        "y": layer.y,
        "line_spacing": str(layer.size // 4),
        "enable": f"gte(t,{layer.start:.4f})*lt(t,{layer.end:.4f})",
    }
    if layer.border:
        opts["borderw"] = str(layer.border)
        opts["bordercolor"] = layer.border_color
    if layer.box:
        opts["box"] = "1"
        opts["boxcolor"] = layer.box
        opts["boxborderw"] = str(max(4, layer.size // 4))
    return "drawtext=" + ":".join(f"{k}={_escape_expr(v)}" for k, v in opts.items())


def _drawbox(rect: Rect) -> str:
    opts = {"x": str(rect.x), "y": str(rect.y), "w": str(rect.w), "h": str(rect.h), "color": rect.color,
            "t": "fill", "enable": f"gte(t,{rect.start:.4f})*lt(t,{rect.end:.4f})"}
    return "drawbox=" + ":".join(f"{k}={_escape_expr(v)}" for k, v in opts.items())


STILL_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def speak(text: str, voice: str, out_wav: Path) -> np.ndarray:
    """espeak-ng speech as float32 samples at 16 kHz."""
    espeak = _require("espeak-ng")
    raw = out_wav.with_suffix(".raw.wav")
    subprocess.run([espeak, "-v", voice, "-w", str(raw), text], check=True, capture_output=True, timeout=60)
    ffmpeg = _require("ffmpeg")
    subprocess.run([ffmpeg, "-v", "error", "-y", "-i", str(raw), "-ac", "1", "-ar", str(SPEECH_RATE),
                    "-c:a", "pcm_s16le", str(out_wav)], check=True, capture_output=True, timeout=60)
    with wave.open(str(out_wav), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768


def _write_wav(path: Path, samples: np.ndarray) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SPEECH_RATE)
        w.writeframes(pcm.tobytes())


def make_clip(spec: ClipSpec, out: str | Path) -> Path:
    """Encode `spec` to `out` (the container follows the extension: .mp4, .mkv, .webm; .png, .jpg
    or .webp make a still: the first frame, no audio)."""
    ffmpeg = _require("ffmpeg")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="vidscribe-sample-") as tmp_name:
        tmp = Path(tmp_name)
        source = spec.background if "=" in spec.background else spec.background + "="
        sep = ":" if not source.endswith("=") else ""
        video_in = f"{source}{sep}size={spec.width}x{spec.height}:rate={spec.fps}"
        if source.split("=")[0] in _SEEDED_SOURCES and "seed=" not in source:
            video_in += ":seed=1"
        if source.split("=")[0] not in _ENDLESS_SOURCES:  # these have no duration option; -t ends them
            video_in += f":duration={spec.duration}"
        filters = []
        for i, layer in enumerate(spec.layers):
            if isinstance(layer, Rect):
                filters.append(_drawbox(layer))
                continue
            textfile = tmp / f"layer{i}.txt"
            textfile.write_text(layer.text, encoding="utf-8")
            filters.append(_drawtext(layer, textfile))
        if spec.background_filters:
            filters.insert(0, spec.background_filters)
        cmd = [ffmpeg, "-v", "error", "-y", "-f", "lavfi", "-i", video_in]
        if out.suffix.lower() in STILL_SUFFIXES:
            if filters:
                cmd += ["-filter_script:v", str(_script(tmp, filters))]
            cmd += ["-frames:v", "1", *(["-q:v", "3"] if out.suffix.lower() in (".jpg", ".jpeg") else []), str(out)]
            _ffmpeg(cmd, out)
            return out
        if spec.audio:
            track = np.zeros(int(spec.duration * SPEECH_RATE), np.float32)
            for i, utt in enumerate(spec.speech):
                voice = speak(utt.text, utt.voice, tmp / f"utt{i}.wav")
                at = int(utt.start * SPEECH_RATE)
                voice = voice[: max(0, len(track) - at)]
                track[at: at + len(voice)] += voice
            _write_wav(tmp / "speech.wav", track)
            cmd += ["-i", str(tmp / "speech.wav")]
        if filters:  # a script file: hundreds of layers do not fit a command line
            cmd += ["-filter_script:v", str(_script(tmp, filters))]
        cmd += ["-c:v", spec.video_codec, "-pix_fmt", "yuv420p"]
        if spec.video_codec == "libx264":
            cmd += ["-preset", "veryfast", "-crf", str(spec.crf)]
        if spec.video_bitrate:
            cmd += ["-maxrate", spec.video_bitrate, "-bufsize", spec.video_bitrate]
        if spec.audio:
            cmd += ["-c:a", "libopus" if out.suffix == ".webm" else "aac", "-shortest"]
        first = tmp / f"first{out.suffix}" if spec.reencode else out
        cmd += ["-t", str(spec.duration), str(first)]
        _ffmpeg(cmd, out)
        if spec.reencode:
            r = spec.reencode
            _ffmpeg([ffmpeg, "-v", "error", "-y", "-i", str(first), "-vf", f"scale={r.width}:{r.height}:flags=bicubic",
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast", "-crf", str(r.crf),
                     *(["-c:a", "copy"] if spec.audio else []), str(out)], out)
    return out


def _script(tmp: Path, filters: list[str]) -> Path:
    path = tmp / "filters.txt"
    path.write_text(",\n".join(filters), encoding="utf-8")
    return path


def _ffmpeg(cmd: list[str], out: Path) -> None:
    done = subprocess.run(cmd, capture_output=True, timeout=1800)
    if done.returncode:
        raise RuntimeError(f"ffmpeg failed making {out.name}: {done.stderr.decode(errors='replace')[-800:]}")
