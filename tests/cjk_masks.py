"""0/1 masks of rendered CJK lines, as the subtitle stage's text masks hold them: for pure tests of
mask logic without video (Debian's fonts-noto-cjk, which `./dev setup` installs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = next(Path("/usr/share/fonts").rglob("NotoSansCJK-Regular.ttc"), None)


def render(lines: tuple[tuple[str, int, int], ...], *, width: int, height: int, size: int) -> np.ndarray:
    """A width x height 0/1 mask of text lines, each (text, x, y) drawn `size` px tall."""
    assert FONT is not None, "fonts-noto-cjk is not installed (./dev setup installs it)"
    image = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT), size)
    for text, x, y in lines:
        draw.text((x, y), text, font=font, fill=255)
    return (np.asarray(image) > 127).astype(np.uint8)
