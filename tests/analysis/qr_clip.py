"""A generated clip with a QR code shown for a known time and a 抖音号 watermark: the QR image
comes from OpenCV's encoder and is overlaid with ffmpeg on a `make_clip` clip."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import numpy as np

from vidscribe.samples import ClipSpec, TextLayer, make_clip

QR_PAYLOAD = "https://t.me/recruit_army_ru"
QR_START, QR_END = 1.0, 2.5
WATERMARK = "抖音号：recruit_demo"


def qr_image(payload: str, path: Path, module_px: int = 8, quiet: int = 4) -> Path:
    """A black-on-white QR code PNG with the quiet zone readers need."""
    code = cv2.QRCodeEncoder.create().encode(payload)  # one pixel per module, 0 black / 255 white
    code = np.pad(code, quiet, constant_values=255)
    big = cv2.resize(code, None, fx=module_px, fy=module_px, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(str(path), big)
    return path


def make_qr_clip(out: Path) -> Path:
    base = make_clip(ClipSpec(duration=4.0, width=480, height=640, fps=10, background="color=c=0x304050",
                              audio=False,
                              layers=[TextLayer(WATERMARK, 0.0, 4.0, x="w-text_w-12", y="12", size=20, border=1),
                                      TextLayer("扫码加入 月薪二十万卢布", 0.2, 3.8, size=28, y="h*0.85")]),
                     out.with_name("base.mp4"))
    png = qr_image(QR_PAYLOAD, out.with_name("qr.png"))
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(base), "-i", str(png), "-filter_complex",
                    f"[0:v][1:v]overlay=x=80:y=160:enable='between(t,{QR_START},{QR_END - 0.01})'",
                    "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", str(out)],
                   check=True, capture_output=True, timeout=120)
    return out
