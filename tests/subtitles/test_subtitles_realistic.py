"""The stage on clips made to look like real ones: a Chinese line over a Russian one (read by
Tesseract), a large caption at the top, a countdown one digit apart, the same text shown again
three frames later, and a still image (a photo post) read as screen text."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from subtitle_clips import REAL_CUES, REAL_FPS, SCREENSHOT_LINES, TALL_CUES

from vidscribe.settings import Settings
from vidscribe.stage import StageContext, StageOutput
from vidscribe.subtitles import STAGE
from vidscribe.subtitles.engines import load_engine
from vidscribe.subtitles.extract import extract
from vidscribe.subtitles.scripts import load_cyrillic
from vidscribe.subtitles.text import cer, squash
from vidscribe.subtitles.tracking import work_scale
from vidscribe.transcripts.model import Subtitles, Transcript, VideoMeta

pytestmark = pytest.mark.slow
FRAME = 1 / REAL_FPS


def _run(media: Path, tmp_path: Path) -> StageOutput:
    transcript = Transcript(video=VideoMeta(id="clip", source=str(media), has_video=True))
    ctx = StageContext(settings=Settings.load(env={}), transcript=transcript, media_path=media,
                       audio_path=None, output_dir=tmp_path)
    return STAGE.run(ctx)


@pytest.fixture(scope="module")
def real(sub_clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Subtitles:
    return _run(sub_clips["realistic"], tmp_path_factory.mktemp("real")).changes["subtitles"]


def _find(subs: Subtitles, start: float) -> list:
    return [c for c in subs.cues if abs(c.start - start) <= FRAME + 1e-3]


def test_every_cue_on_its_frames(real: Subtitles) -> None:
    chinese = [(c.start, c.end, squash(c.text.split("\n")[0])) for c in REAL_CUES]
    got = [(c.start, c.end, squash(c.text.split("\n")[0])) for c in real.cues]
    assert len(got) == len(chinese), got
    for (start, end, text), truth in zip(sorted(got), sorted(chinese), strict=True):
        assert text == truth[2]
        assert start == pytest.approx(truth[0], abs=FRAME + 1e-3)
        assert end == pytest.approx(truth[1], abs=FRAME + 1e-3)


def test_the_caption_at_the_top_is_one_cue_of_two_lines(real: Subtitles) -> None:
    (caption,) = _find(real, 1.0)
    assert caption.text == "高薪急招\n名额不多"
    assert [line.script for line in caption.lines] == ["han", "han"]
    assert caption.box[3] < 0.35 * 960  # at the top


def test_the_russian_line_is_read_as_cyrillic_in_the_same_cue(real: Subtitles) -> None:
    if load_cyrillic() is None:
        pytest.skip("tesserocr or Tesseract's rus/eng data is not installed")
    (cue,) = _find(real, 0.4)
    zh, ru = cue.text.split("\n")
    assert zh == "加入俄罗斯军队"
    assert cer(ru, "Контракт на один год.") <= 0.1
    assert [line.script for line in cue.lines] == ["han", "cyrillic"]
    assert cue.lines[0].box[3] <= cue.lines[1].box[1] + 2  # top to bottom
    assert any("tesseract" in m for m in real.models)


def test_repeats_and_one_digit_changes_are_separate_cues(real: Subtitles) -> None:
    bottom = [squash(c.text) for c in real.cues if c.start >= 2.5]
    assert bottom == ["还剩3个名额", "还剩2个名额", "今天报名", "今天报名"]
    (second,) = _find(real, 6.52)
    assert second.start - 6.4 >= 2 * FRAME  # after the gap of three frames


def test_a_still_image_is_screen_text(sub_clips: dict[str, Path], tmp_path: Path) -> None:
    out = _run(sub_clips["still"], tmp_path)
    subs: Subtitles = out.changes["subtitles"]
    assert subs.still and subs.cues == []
    texts = [s.text for s in subs.screen_text]
    assert any(cer(t, "\n".join(SCREENSHOT_LINES)) <= 0.1 for t in texts), texts
    assert any(squash(t) == "高薪招聘" for t in texts), texts
    assert all(s.start == s.end == 0.0 for s in subs.screen_text)
    assert all(s.keyframe in out.files for s in subs.screen_text)


def test_two_ocr_workers_read_what_one_does(sub_clips: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Intervals read by two workers (an engine each), in whatever order they finish, give the
    cues one reader gives reading them in turn."""
    engine = load_engine("rapidocr")
    twin = engine.twin()
    assert twin is not engine and engine.twin() is twin  # made once
    calls = []
    read = twin.read
    monkeypatch.setattr(twin, "read", lambda *a, **k: calls.append(1) or read(*a, **k))
    alone = extract(sub_clips["realistic"], engine, threaded=False)
    assert not calls
    both = extract(sub_clips["realistic"], engine)
    if (os.cpu_count() or 1) >= 2:
        assert calls, "the second worker read nothing"
    assert [(c.start, c.end, c.text) for c in both.cues] == [(c.start, c.end, c.text) for c in alone.cues]
    assert [(s.start, s.end, s.text) for s in both.screen_text] == [(s.start, s.end, s.text) for s in alone.screen_text]
    # CPU by part (bench/subtitles.py prints it): each part counted once, wherever it ran; reading
    # in the track pass's own thread (threaded=False) counts as reading, not tracking.
    for run in (alone, both):
        tm = run.timings
        assert tm.cpu_decode > 0 and tm.cpu_track > 0 and tm.cpu_ocr > 0
    # The workers' counts (each kept its own) reach the pass's figures: the same reads either way.
    counts = [(r.timings.ocr_calls, r.timings.script_calls, r.timings.verify_calls) for r in (alone, both)]
    assert counts[0] == counts[1] and min(counts[0]) > 0, counts
    cpu = time.process_time()
    again = extract(sub_clips["realistic"], engine, threaded=False).timings
    # Parts are thread CPU times of disjoint work: together never more than the process used.
    assert again.cpu_decode + again.cpu_track + again.cpu_ocr <= time.process_time() - cpu + 0.05


def test_a_caption_of_tall_lines_is_read_at_half_size_on_its_frames(sub_clips: dict[str, Path]) -> None:
    """Lines 96 px or taller are tracked and read at half size (4K, big captions); the cues keep
    their frames, boxes in the frame's pixels, and evidence crops at the frame's size."""
    ex = extract(sub_clips["tall"], load_engine("rapidocr"))
    assert ex.band is not None and work_scale(ex.band.line_height) == 2
    assert [(c.text, c.start, c.end) for c in ex.cues] == [
        (t.text, pytest.approx(t.start, abs=FRAME + 1e-3), pytest.approx(t.end, abs=FRAME + 1e-3)) for t in TALL_CUES]
    for cue in ex.cues:
        x0, y0, x1, y1 = cue.box
        assert 280 <= y0 < 330 < 400 <= y1 <= 460 and abs((x0 + x1) / 2 - 360) < 20  # drawn at y=300, 120 px
        assert ex.images[cue.ref].shape[1] == 720
        assert ex.images[cue.ref].shape[0] >= y1 - y0
