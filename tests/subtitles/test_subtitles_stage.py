"""The subtitles stage end to end on generated clips, with the real PP-OCR models."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from subtitle_clips import CUES, FPS, SUBTITLED, WATERMARK

from vidscribe.settings import Settings
from vidscribe.stage import StageContext, StageOutput
from vidscribe.subtitles import STAGE
from vidscribe.subtitles.text import cer, squash
from vidscribe.transcripts.model import Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.render import derived_files

pytestmark = pytest.mark.slow
FRAME = 1 / FPS


def _run(media: Path, tmp_path: Path, **settings: str) -> StageOutput:
    transcript = Transcript(video=VideoMeta(id="clip", source=str(media), has_video=True))
    ctx = StageContext(settings=Settings.load(env={}, **settings), transcript=transcript, media_path=media,
                       audio_path=None, output_dir=tmp_path)
    return STAGE.run(ctx)


@pytest.fixture(scope="module")
def subtitled(sub_clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> StageOutput:
    return _run(sub_clips["subtitled"], tmp_path_factory.mktemp("stage"))


def test_cues_have_the_texts_and_frame_exact_times(subtitled: StageOutput) -> None:
    subs: Subtitles = subtitled.changes["subtitles"]
    assert [squash(c.text) for c in subs.cues] == [squash(c.text) for c in CUES]
    for cue, truth in zip(subs.cues, CUES, strict=True):
        # The first frame showing the cue and the first frame without it (frames every 40 ms).
        assert cue.start == pytest.approx(truth.start, abs=FRAME + 1e-3)
        assert cue.end == pytest.approx(truth.end, abs=FRAME + 1e-3)
        assert cue.start <= cue.keyframe_time < cue.end
        assert cue.confidence > 0.8
    assert subs.cues[1].text.count("\n") == 1  # the two-line cue, top line first
    assert subs.engine == "rapidocr" and subs.script == "t2s" and subs.band_source == "auto"
    y0, y1 = subs.band
    assert y0 < 0.86 * SUBTITLED.height < y1


def test_watermark_is_an_overlay_not_a_cue(subtitled: StageOutput) -> None:
    subs: Subtitles = subtitled.changes["subtitles"]
    accounts = [o for o in subs.overlays if o.kind == "account"]
    assert len(accounts) == 1
    assert cer(accounts[0].text, WATERMARK) <= 0.1
    assert accounts[0].start <= 0.5 and accounts[0].end >= SUBTITLED.duration - 0.5
    assert subs.band[0] <= accounts[0].box[1] < subs.band[1]  # it shares the band with the cues
    assert not any("抖音" in c.text or "test" in c.text for c in subs.cues)
    assert not any("超市" in c.text for c in subs.cues)  # the moving sign is scene text
    assert not any("超市" in o.text for o in subs.overlays)


def test_files_keyframes_srt_vtt(subtitled: StageOutput) -> None:
    subs: Subtitles = subtitled.changes["subtitles"]
    files = subtitled.files
    for cue in subs.cues:
        image = cv2.imdecode(np.frombuffer(files[cue.keyframe], np.uint8), cv2.IMREAD_COLOR)
        assert image.shape[1] == SUBTITLED.width
        assert image.shape[0] == subs.band[1] - subs.band[0]
    assert not any(name.endswith((".srt", ".vtt")) for name in files)  # the store renders those
    rendered = derived_files(Transcript(video=VideoMeta(id="clip", source="clip.mp4"), subtitles=subs))
    srt, vtt = rendered["subtitles.srt"], rendered["subtitles.vtt"]
    assert srt.startswith("1\n00:00:00,5") and "签约奖金两百万卢布\n月薪二十万卢布" in srt
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(CUES)


def test_a_clip_without_subtitles_gives_no_cues(sub_clips: dict[str, Path], tmp_path: Path) -> None:
    out = _run(sub_clips["none"], tmp_path)
    subs: Subtitles = out.changes["subtitles"]
    assert subs.cues == []
    assert not any("超市" in o.text for o in subs.overlays)
    assert out.files == {}  # no keyframes; subtitles.srt is the store's to render


def test_band_setting_and_script(sub_clips: dict[str, Path], tmp_path: Path) -> None:
    out = _run(sub_clips["subtitled"], tmp_path, ocr_band="0.7:0.95", chinese_script="s2t")
    subs: Subtitles = out.changes["subtitles"]
    assert subs.band == [round(0.7 * SUBTITLED.height), round(0.95 * SUBTITLED.height)]
    assert subs.band_source == "setting"
    first = subs.cues[0]
    assert first.text == "加入俄羅斯軍隊" and first.raw_text == "加入俄罗斯军队"  # normalised, raw kept


def test_no_video_stream_is_skipped(tmp_path: Path) -> None:
    transcript = Transcript(video=VideoMeta(id="a", source="a.m4a", has_video=False))
    ctx = StageContext(settings=Settings.load(env={}), transcript=transcript, media_path=tmp_path / "a.m4a",
                       audio_path=None, output_dir=tmp_path)
    assert STAGE.run(ctx).skipped == "no video stream"
