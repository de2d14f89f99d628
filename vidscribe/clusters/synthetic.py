"""Generated source clips and reposts of them, with known ground truth, for the tests and
bench/clusters.py.

A source is a few shots of textured shapes moving in front of a backdrop, after an optional
channel intro card, with burned-in Chinese subtitles (Noto Sans CJK, the same style for every
clip). Clips of one *family* share the backdrop, the intro and the subtitle font and differ in
everything else: the hard negatives (unrelated clips that look alike). `repost` applies what
accounts do to a clip they repost (ffmpeg filters, no shell), `retype` what re-typing does to its
subtitle text.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidscribe.errors import ConfigError

FONT = "Noto Sans CJK SC"
# Boilerplate of recruitment clips: unrelated texts share some of these, as real ones do.
PHRASES = ["加入俄罗斯军队", "签约奖金", "每月工资", "二十万卢布", "联系我们", "合同兵", "免费培训", "提供住宿",
           "立即报名", "特别军事行动", "保障家人", "年龄十八到六十", "无需经验", "一年合同", "医疗保险", "高额补贴",
           "欢迎外国人", "电话咨询", "名额有限", "快速入籍", "安全可靠", "正规部队", "包机票", "每天结算",
           "翻译陪同", "前线补贴", "后勤岗位", "司机岗位", "厨师岗位", "狙击手", "无人机操作员", "体检合格即可",
           "退伍待遇", "荣誉勋章", "国家认可", "真实有效", "不收费用", "现在出发", "莫斯科集合", "私信详谈"]


@dataclass(frozen=True)
class SourceSpec:
    seed: int  # the clip's own content (foreground, text)
    family: int  # the backdrop, intro card and subtitle style it shares with its family
    width: int = 480
    height: int = 270
    duration: float = 8.0
    fps: int = 25
    shots: int = 3
    intro: float = 1.5  # seconds of the family's intro card first (0: none)
    figure: tuple[float, float] = (0.2, 0.5)  # the figure's width, as a share of the frame's (drawn at random)


def _ffmpeg() -> str:
    found = shutil.which("ffmpeg")
    if not found:
        raise ConfigError("ffmpeg is required to generate clips (apt-get install ffmpeg)")
    return found


def _texture(rng: np.random.Generator, width: int, height: int, cells: int = 6) -> np.ndarray:
    """A smooth random colour field with a few hard-edged shapes: something PDQ can see."""
    low = rng.integers(0, 256, (cells, max(2, cells * width // height), 3), dtype=np.uint8)
    image = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(6):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        if rng.random() < 0.5:
            cv2.circle(image, (x, y), int(rng.integers(height // 12, height // 4)), colour, -1)
        else:
            corner = (x + int(rng.integers(2, max(3, width // 3))), y + int(rng.integers(2, max(3, height // 3))))
            cv2.rectangle(image, (x, y), corner, colour, -1)
    return image


def subtitle_text(seed: int, phrases: int = 8) -> list[str]:
    """A clip's subtitle lines, one per shot-sized piece: boilerplate phrases and a number."""
    rng = random.Random(seed)
    words = rng.sample(PHRASES, phrases)
    return [f"{words[i]}{words[i + 1]}{rng.randint(10, 99)}" for i in range(0, phrases - 1, 2)]


def _frames(spec: SourceSpec) -> np.ndarray:
    """Every frame of the source (without subtitles), BGR."""
    family = np.random.default_rng(1000 + spec.family)
    backdrop = _texture(family, spec.width, spec.height, cells=4)
    intro = _texture(family, spec.width, spec.height, cells=9)
    rng = np.random.default_rng(spec.seed)
    total = round(spec.duration * spec.fps)
    start = round(spec.intro * spec.fps)
    shot_len = max(1, (total - start) // spec.shots)
    frames = np.empty((total, spec.height, spec.width, 3), np.uint8)
    frames[:start] = intro
    for s in range(spec.shots):
        # A figure in front of the backdrop: a textured panel covering 8-40% of the frame, moving.
        pw, ph = int(spec.width * rng.uniform(*spec.figure)), int(spec.height * rng.uniform(0.4, 0.8))
        panel = _texture(rng, pw, ph, cells=5)
        x0, y0 = rng.uniform(0, spec.width - pw), rng.uniform(0, spec.height - ph)
        vx, vy = rng.uniform(-2, 2), rng.uniform(-1, 1)
        lo, hi = start + s * shot_len, total if s == spec.shots - 1 else start + (s + 1) * shot_len
        for k in range(lo, hi):
            frame = frames[k]
            frame[:] = backdrop
            x = int(np.clip(x0 + vx * (k - lo), 0, spec.width - pw))
            y = int(np.clip(y0 + vy * (k - lo), 0, spec.height - ph))
            frame[y:y + ph, x:x + pw] = panel
    return frames


def _drawtext(textfile: Path, size: int, start: float, end: float, y: str = "h*0.8") -> str:
    return (f"drawtext=font='{FONT}':textfile='{textfile}':fontsize={size}:fontcolor=white:borderw=2:"
            f"bordercolor=black:x=(w-text_w)/2:y={y}:enable='gte(t,{start:.3f})*lt(t,{end:.3f})'")


def render_source(spec: SourceSpec, out: Path) -> list[str]:
    """Write the source clip to `out` (H.264, no audio); its subtitle lines."""
    lines = subtitle_text(spec.seed)
    frames = _frames(spec)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        step = (spec.duration - spec.intro) / len(lines)
        filters = []
        for i, line in enumerate(lines):
            textfile = Path(tmp) / f"{i}.txt"
            textfile.write_text(line, encoding="utf-8")
            start = spec.intro + i * step
            filters.append(_drawtext(textfile, max(12, spec.height // 16), start, start + step))
        cmd = [_ffmpeg(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s",
               f"{spec.width}x{spec.height}", "-r", str(spec.fps), "-i", "-", "-vf", ",".join(filters),
               "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", str(out)]
        subprocess.run(cmd, input=frames.tobytes(), check=True)  # noqa: S603 (fixed arguments, no shell)
    return lines


# What reposting accounts do, as ffmpeg -vf chains ({w}, {h}: the source's size). A landscape
# source is cropped or padded to portrait and a portrait one to a square or landscape.
def _transforms(w: int, h: int, textfile: Path) -> dict[str, str]:
    landscape = w >= h
    narrow = f"crop={h * 9 // 16 // 2 * 2}:{h}" if landscape else f"crop={w}:{w}"
    tall = (f"pad={w}:{w * 16 // 9 // 2 * 2}:0:(oh-ih)/2:black" if landscape
            else f"pad={h * 16 // 9 // 2 * 2}:{h}:(ow-iw)/2:0:black")
    canvas = (w, w * 16 // 9 // 2 * 2) if landscape else (h * 16 // 9 // 2 * 2, h)
    blur = (f"split[a][b];[a]scale={canvas[0]}:{canvas[1]}:force_original_aspect_ratio=increase,"
            f"crop={canvas[0]}:{canvas[1]},boxblur=12[bg];[bg][b]overlay=(W-w)/2:(H-h)/2")
    mark = (f"drawtext=font='{FONT}':text='@army_recruit_{w}':fontsize={max(10, h // 18)}:fontcolor=white@0.8:"
            f"x=w-text_w-8:y=8,drawbox=x=8:y=h-{h // 8}:w={w // 5}:h={h // 10}:color=red@0.6:t=fill")
    return {
        "reencode": f"scale={w * 3 // 4 // 2 * 2}:-2,fps=24",
        "crop": narrow,
        "mirror": "hflip",
        "mirror+crop": f"hflip,{narrow}",
        "trim": "null",  # cut by -ss/-t
        "speed": "setpts=PTS/1.25",
        "watermark": mark,
        "new subtitles": ("drawbox=x=0:y=ih*0.76:w=iw:h=ih*0.14:color=black@0.85:t=fill,"
                          + _drawtext(textfile, max(12, h // 14), 0, 999, y="h*0.78")),
        "letterbox": tall,
        "blur pad": blur,
        "zoom": f"scale={w * 11 // 10 // 2 * 2}:{h * 11 // 10 // 2 * 2},crop={w}:{h}",
        "colour": "eq=brightness=0.06:contrast=1.25:saturation=1.5",
        "combo": f"hflip,{narrow},{mark},scale=-2:{h * 3 // 4 // 2 * 2}",
    }


TRANSFORMS = ("reencode", "crop", "mirror", "mirror+crop", "trim", "speed", "watermark", "new subtitles",
              "letterbox", "blur pad", "zoom", "colour", "combo")


def repost(source: Path, out: Path, transform: str, width: int, height: int, duration: float) -> Path:
    """`source` as an account reposting it would upload it: `transform` is one of TRANSFORMS."""
    with tempfile.TemporaryDirectory() as tmp:
        textfile = Path(tmp) / "sub.txt"
        textfile.write_text("转发扩散让更多人看到", encoding="utf-8")
        chain = _transforms(width, height, textfile)[transform]
        cut = ["-ss", f"{duration * 0.3:.2f}", "-t", f"{duration * 0.45:.2f}"] if transform == "trim" else []
        crf = "36" if transform in ("reencode", "combo") else "28"
        cmd = [_ffmpeg(), "-loglevel", "error", "-y", *cut, "-i", str(source), "-filter_complex", chain,
               "-c:v", "libx264", "-preset", "veryfast", "-crf", crf, "-pix_fmt", "yuv420p", "-an", str(out)]
        subprocess.run(cmd, check=True)  # noqa: S603 (fixed arguments, no shell)
    return out


def retype(lines: list[str], seed: int) -> str:
    """The subtitle text as another account re-typed or re-read it: traditional characters,
    punctuation and spaces, other line breaks, a few characters misread."""
    from vidscribe.chinese import normalise_script

    rng = random.Random(seed)
    text = "，".join(lines) + "！"
    text = normalise_script(text, "s2t")
    chars = list(text)
    for i in range(len(chars)):
        if rng.random() < 0.04 and chars[i].strip():
            chars[i] = rng.choice("口日曰己已巳土士未末")  # look-alikes an OCR confuses
    out = "".join(chars)
    return out.replace("，", " ").replace("20", "2 0")
