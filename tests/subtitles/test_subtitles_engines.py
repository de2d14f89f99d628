"""The two OCR engines: same models, same cues; offline; helpful errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest
from subtitle_clips import CUES

from vidscribe.errors import ConfigError
from vidscribe.subtitles.engines import bundled_paddle_models, load_engine
from vidscribe.subtitles.extract import extract
from vidscribe.subtitles.text import similarity, squash

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    # PaddleOCR's model folders are written under the vidscribe cache: keep the test's own.
    mp = pytest.MonkeyPatch()
    mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


def test_both_engines_give_the_same_cues(sub_clips: dict[str, Path]) -> None:
    got = {}
    for name in ("rapidocr", "paddleocr"):
        ex = extract(sub_clips["simple"], load_engine(name))
        got[name] = [(round(c.start, 3), round(c.end, 3), squash(c.text)) for c in ex.cues]
    assert got["rapidocr"] == got["paddleocr"]
    assert [t for _, _, t in got["rapidocr"]] == [squash(c.text) for c in CUES if c.start < 3.6]


def test_paddleocr_runs_offline_from_the_bundled_models() -> None:
    det, rec = bundled_paddle_models()
    assert (det / "inference.onnx").is_file() and "PP-OCRv4_mobile_det" in (det / "inference.yml").read_text()
    assert (rec / "inference.yml").read_text(encoding="utf-8").count("\n  - ") > 6000  # the dictionary
    engine = load_engine("paddleocr")
    assert engine is load_engine("paddleocr")  # loaded once per process
    assert engine.models == (str(det), str(rec))


def test_engines_read_a_band_crop_alike(sub_clips: dict[str, Path]) -> None:

    from vidscribe.media.frames import iter_frames

    frame = next(f for t, f in iter_frames(sub_clips["simple"], times=[1.0]))
    crop = frame[int(frame.shape[0] * 0.6):]
    a, b = (load_engine(n).read(crop) for n in ("rapidocr", "paddleocr"))
    assert [squash(x.text) for x in a] == [squash(x.text) for x in b]
    assert all(similarity(x.text, "加入俄罗斯军队") == 1.0 for x in a)
    assert cv2.countNonZero(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)) > 0


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="unknown OCR engine"):
        load_engine("tesseract")
    with pytest.raises(ConfigError, match="paddleocr"):
        load_engine("rapidocr", det_model="PP-OCRv5_server_det")
    with pytest.raises(ConfigError, match="not a PaddleOCR model folder"):
        load_engine("paddleocr", det_model=str(Path(__file__).parent))


def test_keep_picks_the_boxes_worth_recognising(sub_clips: dict[str, Path]) -> None:
    from vidscribe.media.frames import iter_frames

    frame = next(f for t, f in iter_frames(sub_clips["subtitled"], times=[4.5]))
    crop = frame[int(frame.shape[0] * 0.75):]  # the subtitle line and the watermark below it
    for name in ("rapidocr", "paddleocr"):
        engine = load_engine(name)
        everything = engine.read(crop)
        assert len(everything) >= 2
        assert engine.read(crop, lambda box: True) == everything
        assert engine.read(crop, lambda box: False) == []
        top = min(ln.box[1] for ln in everything)
        # Judged on the detector's boxes, which are the boxes returned: the same lines stay.
        assert engine.read(crop, lambda box, top=top: box[1] == top) == [ln for ln in everything if ln.box[1] == top]


def test_a_lines_reading_does_not_depend_on_the_lines_read_with_it(sub_clips: dict[str, Path]) -> None:
    """Recognised in one batch, a short line would be padded to the widest line's width (and read a
    little differently): each line is read on its own, so its text and score are its own."""
    from vidscribe.media.frames import iter_frames

    frame = next(f for t, f in iter_frames(sub_clips["simple"], times=[1.0]))
    crop = frame[int(frame.shape[0] * 0.6):]
    engine = load_engine("rapidocr")
    line = engine.read(crop)[0].box
    short = crop[line.y0:line.y1, line.x0:line.x0 + (line.x1 - line.x0) // 2]
    wide = cv2.resize(crop[line.y0:line.y1, line.x0:line.x1], None, fx=3.0, fy=1.0)
    alone = engine.recognise([short])
    assert alone == engine.recognise([short, wide])[:1] == engine.recognise([wide, short, wide])[1:2]
    assert alone[0][0] and squash(alone[0][0]) in squash("加入俄罗斯军队")
