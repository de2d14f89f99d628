"""The change detector on synthetic frames: text masks and the change tracker's exact frames."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vidscribe.geometry import Box
from vidscribe.subtitles.detect import ChangeTracker, component_boxes, propose_lines, text_bbox, text_mask

W, H = 480, 120


def _frame(text: str | None, *, seed: int = 0, bright: bool = False, box: bool = False,
           occlude: bool = False) -> np.ndarray:
    """A band: noisy (or bright) background, the text white with a black outline (or on a box)."""
    rng = np.random.default_rng(seed)
    base = 225 if bright else 110
    img = np.clip(rng.normal(base, 25, (H, W, 3)), 0, 255).astype(np.uint8)
    if text:
        # Glyphs drawn on their own canvas; the outline is the glyphs grown by 3 px (OpenCV 5's
        # putText maps thickness to font weight, so a thick black pass would not outline).
        glyphs = np.zeros((H, W), np.uint8)
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.6, 3)
        org = ((W - tw) // 2, (H + th) // 2)
        cv2.putText(glyphs, text, org, cv2.FONT_HERSHEY_SIMPLEX, 1.6, 255, 3)
        if box:
            cv2.rectangle(img, (org[0] - 10, org[1] - th - 10), (org[0] + tw + 10, org[1] + 12), (40, 40, 40), -1)
        else:
            img[cv2.dilate(glyphs, np.ones((7, 7), np.uint8)) > 0] = 0
        img[glyphs > 0] = 255
    if occlude:  # something passes in front of half the text for a frame
        img[:, : W // 2] = rng.integers(0, 255, (H, W // 2, 3), dtype=np.uint8)
    return img


def _mask(img: np.ndarray) -> np.ndarray:
    return text_mask(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY))


def _run(frames: list[np.ndarray], min_pixels: int = 150) -> list[tuple[int, bool]]:
    tracker = ChangeTracker(min_pixels)
    changes = []
    for i, img in enumerate(frames):
        changes += [(c.index, c.pixels >= min_pixels, c.same_as_previous) for c in tracker.push(i, _mask(img))]
    return [(index, non_empty) for index, non_empty, _ in changes]


@pytest.mark.parametrize("bright", [False, True])
@pytest.mark.parametrize("box", [False, True])
def test_mask_sees_outlined_or_boxed_text_not_the_background(bright: bool, box: bool) -> None:
    empty, text = _mask(_frame(None, bright=bright)), _mask(_frame("JOIN ARMY", bright=bright, box=box))
    assert cv2.countNonZero(empty) < 30
    assert cv2.countNonZero(text) > 800
    box = text_bbox(text, 30)
    assert isinstance(box, Box) and text_bbox(np.zeros_like(text), 30) is None
    x0, y0, x1, y1 = box
    assert x0 < W // 4 and x1 > 3 * W // 4 and y0 < H // 2 < y1


def test_tracker_places_appearance_replacement_and_disappearance_on_their_frames() -> None:
    frames = ([_frame(None, seed=i) for i in range(10)] + [_frame("JOIN ARMY", seed=i) for i in range(10, 30)]
              + [_frame("BONUS 2M", seed=i) for i in range(30, 45)] + [_frame(None, seed=i) for i in range(45, 60)])
    assert _run(frames) == [(0, False), (10, True), (30, True), (45, False)]


def test_tracker_ignores_a_one_frame_glitch_and_a_moving_background() -> None:
    frames = [_frame("JOIN ARMY", seed=i) for i in range(30)]
    frames[12] = _frame("JOIN ARMY", seed=12, occlude=True)  # one frame: not a change
    assert _run(frames) == [(0, True)]


def test_tracker_splits_only_while_an_occlusion_lasts() -> None:
    frames = [_frame("JOIN ARMY", seed=i, occlude=10 <= i < 14) for i in range(30)]
    tracker = ChangeTracker(150)
    changes = [c for i, img in enumerate(frames) for c in tracker.push(i, _mask(img))]
    assert changes[0].index == 0
    assert all(10 <= c.index <= 14 for c in changes[1:])
    # The last interval holds the whole text again: the stage reads it (or reuses the reading) and
    # the cue builder joins the pieces.
    first, last = changes[0].ref, tracker.reference
    assert last is not None
    assert cv2.countNonZero(cv2.bitwise_and(first, last)) >= 0.9 * cv2.countNonZero(first)


def test_tracker_rejects_frames_out_of_order() -> None:
    tracker = ChangeTracker(100)
    tracker.push(0, np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        tracker.push(2, np.zeros((4, 4), np.uint8))


def test_line_proposals_find_text_lines_in_a_whole_frame() -> None:
    frame = np.full((720, 1280, 3), 90, np.uint8)
    band = _frame("JOIN THE ARMY", seed=3)
    frame[560:680, 400:880] = band
    glyphs = np.zeros(frame.shape[:2], np.uint8)
    cv2.putText(glyphs, "ID: recruit", (20, 50), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2)
    frame[cv2.dilate(glyphs, np.ones((5, 5), np.uint8)) > 0] = 0
    frame[glyphs > 0] = 255
    boxes = propose_lines(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    centres = sorted(((x0 + x1) // 2, (y0 + y1) // 2) for x0, y0, x1, y1 in boxes)
    assert len(boxes) == 2 and all(isinstance(b, Box) for b in boxes)
    assert abs(centres[0][0] - 95) < 60 and abs(centres[0][1] - 42) < 20
    assert abs(centres[1][0] - 640) < 30 and 600 < centres[1][1] < 640


@pytest.mark.parametrize("x", [598, 599])  # the edge at an even and at an odd column
@pytest.mark.parametrize("top", [0, 1])  # ... and starting on an even and an odd row
def test_a_tall_edge_through_a_line_is_taken_out_first(x: int, top: int) -> None:
    """A bright pole in the picture (a light edge with a dark side, as text strokes have) crossing
    a line would join it into one blob too tall for text: the line is still proposed."""
    frame = np.full((720, 1280, 3), 90, np.uint8)
    frame[560:680, 400:880] = _frame("JOIN THE ARMY", seed=3)
    frame[top:, x - 3:x + 5] = 0
    frame[top:, x:x + 2] = 255
    boxes = propose_lines(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert any(b.height < 100 and b.x0 < 500 and b.x1 > 780 and 560 <= b.cy <= 680 for b in boxes), boxes


def test_component_boxes_match_connected_components():
    """The contour-based boxes are the 8-connected components' boxes, border-touching and nested
    (a blob inside another's hole) ones included."""
    rng = np.random.default_rng(7)
    ring = np.zeros((40, 60), np.uint8)
    cv2.rectangle(ring, (5, 5), (50, 30), 1, 2)
    ring[15:20, 20:30] = 1  # inside the ring's hole
    masks = [ring, np.zeros((10, 10), np.uint8)]
    for _ in range(300):
        h, w = int(rng.integers(5, 80)), int(rng.integers(5, 200))
        mask = (rng.random((h, w)) < rng.choice([0.01, 0.05, 0.3])).astype(np.uint8)
        masks.append(cv2.dilate(mask, np.ones((int(rng.integers(1, 5)), int(rng.integers(1, 12))), np.uint8)))
    for mask in masks:
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        assert sorted(component_boxes(mask)) == sorted(tuple(int(v) for v in s[:4]) for s in stats[1:])
