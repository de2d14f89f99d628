"""Boxes in image pixels. A module of its own (no imports beyond the standard library) so that
both `media` (frame crops) and `subtitles` (OCR boxes) use one type without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple


class Box(NamedTuple):
    """An axis-aligned box in pixels, end exclusive: the one box type of the subtitle code (OCR
    lines, rows, cues, overlays) and of frame crops. A tuple, so it unpacks as `x0, y0, x1, y1`,
    compares equal to a plain 4-tuple and is written to JSON as `[x0, y0, x1, y1]`."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return self.width * self.height

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    def overlap_x(self, other: Box) -> int:
        """Width of the columns both boxes cover (negative: the gap between them)."""
        return min(self.x1, other.x1) - max(self.x0, other.x0)

    def overlap_y(self, other: Box) -> int:
        """Height of the rows both boxes cover (negative: the gap between them)."""
        return min(self.y1, other.y1) - max(self.y0, other.y0)

    def intersection(self, other: Box) -> int:
        """Area both boxes cover."""
        return max(0, self.overlap_x(other)) * max(0, self.overlap_y(other))

    def iou(self, other: Box) -> float:
        """Intersection over union; 0.0 when both are empty."""
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def grown(self, dx: int, dy: int, width: int, height: int) -> Box:
        """`dx` more on the left and right, `dy` above and below, clipped to a width x height image."""
        return Box(max(0, self.x0 - dx), max(0, self.y0 - dy), min(width, self.x1 + dx),
                   min(height, self.y1 + dy))

    @staticmethod
    def union(boxes: Iterable[Box]) -> Box:
        """The smallest box holding all of `boxes` (at least one)."""
        x0s, y0s, x1s, y1s = zip(*boxes, strict=True)
        return Box(min(x0s), min(y0s), max(x1s), max(y1s))
