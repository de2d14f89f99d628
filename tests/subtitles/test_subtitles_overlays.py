"""Overlay spans from watches (pure: watches, samples and checks built by hand, no video)."""

from __future__ import annotations

import numpy as np
import pytest

from vidscribe.subtitles.band import Sample, StaticText
from vidscribe.subtitles.engines import Box, Keep, TextLine
from vidscribe.subtitles.overlays import make_watch, overlays_from

WIDTH, HEIGHT = 720, 1280
TIMES = (0.3, 1.0, 1.7, 2.4)  # locate-pass sample times


class UnusedEngine:
    """best_reading reads only the crops a watch kept; these watches keep none."""

    name = "none"
    models = ("none", "none")

    def read(self, image: np.ndarray, keep: Keep | None = None) -> list[TextLine]:
        raise AssertionError("no crop to read")


def _samples() -> list[Sample]:
    return [Sample(t, []) for t in TIMES]


def _sampled_watermark() -> StaticText:
    """Seen by every locate sample: on screen from the start to the end."""
    return StaticText("抖音号：abc", 0.95, Box(20, 30, 240, 60), [0, 1, 2, 3], centred=False)


def _scanned(since: float) -> StaticText:
    """Found by a scan of the track pass: no locate sample saw it."""
    return StaticText("@recruit_1488", 0.9, Box(400, 1150, 700, 1180), [], centred=False)


@pytest.mark.parametrize("tracked", [True, False])
def test_a_scanned_watch_without_checks_has_no_span_of_its_own(tracked: bool) -> None:
    """A watch made by a scan has no samples; with no presence checks either (found just before
    the clip ended) nothing shows it stayed on screen, so it is no overlay. It used to raise
    UnboundLocalError alone, and after a sampled watch to take that watch's last sample."""
    duration = 10.0
    scanned = make_watch(_scanned(2.0), 2.0, WIDTH, HEIGHT)
    assert overlays_from([scanned], _samples(), duration, UnusedEngine(), tracked=tracked) == []

    sampled = make_watch(_sampled_watermark(), TIMES[0], WIDTH, HEIGHT)
    got = overlays_from([sampled, scanned], _samples(), duration, UnusedEngine(), tracked=tracked)
    assert [(o.start, o.end, o.text) for o in got] == [(0.0, duration, "抖音号：abc")]


def test_a_scanned_watch_spans_its_presence_checks() -> None:
    duration = 10.0
    scanned = make_watch(_scanned(2.0), 2.0, WIDTH, HEIGHT)
    scanned.checks = [(2.0 + 0.2 * k, k < 30) for k in range(40)]  # present 2.0-8.0 s, then gone
    (got,) = overlays_from([scanned], _samples(), duration, UnusedEngine(), tracked=True)
    assert (got.start, got.end, got.text, got.box) == (2.0, pytest.approx(8.0), "@recruit_1488",
                                                       (400, 1150, 700, 1180))
