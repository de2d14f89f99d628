"""The analysis stage: findings from hand-built tracks (either, both or none), merging repeats,
the JSON round trip, and a generated clip with a QR code and a 抖音号 watermark."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qr_clip import QR_END, QR_PAYLOAD, QR_START, WATERMARK, make_qr_clip

from vidscribe.analysis.lexicon import load_lexicons
from vidscribe.analysis.qr import scan_video
from vidscribe.analysis.stage import STAGE, analyse, line_matches, merge_repeats
from vidscribe.analysis.text import fold
from vidscribe.settings import Settings
from vidscribe.stage import StageContext
from vidscribe.transcripts.model import (
    Cue,
    Finding,
    Overlay,
    Segment,
    Speech,
    Subtitles,
    Transcript,
    VideoMeta,
)
from vidscribe.transcripts.render import report
from vidscribe.transcripts.store import Store

REGIONS = ["RU", "CN"]


@pytest.fixture(scope="module")
def lexicons():
    return load_lexicons("default")


def transcript(speech: Speech | None = None, subtitles: Subtitles | None = None, **video) -> Transcript:
    return Transcript(video=VideoMeta(id="file-test", source="clip.mp4", **video), speech=speech, subtitles=subtitles)


SPEECH = Speech(language="en", segments=[Segment(0.6, 3.0, "Join the army. Sign the contract today."),
                                         Segment(4.0, 6.0, "The bonus is two million roubles.")])
SUBTITLES = Subtitles(
    cues=[Cue(0.5, 3.0, "加入俄罗斯军队", 0.9), Cue(3.0, 5.5, "签约奖金两百万卢布", 0.9),
          Cue(5.5, 7.8, "月薪二十万卢布 电话 +7 999 123-45-67", 0.9)],
    overlays=[Overlay(0.0, 8.0, "抖音号：recruit_demo", 0.9, kind="account")])


def summary(findings: list[Finding]) -> list[tuple]:
    return [(f.start, f.end, f.track, f.kind, f.value) for f in findings]


def test_both_tracks(lexicons):
    found = summary(analyse(transcript(SPEECH, SUBTITLES), lexicons, REGIONS))
    assert found == [
        (0.0, 8.0, "overlay", "account", "recruit_demo"),  # no "recruit*" term inside the account ID
        (0.5, 3.0, "subtitle", "lexicon", "加入俄罗斯军队"),
        (0.6, 3.0, "speech", "lexicon", "contract*"),
        (0.6, 3.0, "speech", "lexicon", "join the army"),
        (3.0, 5.5, "subtitle", "lexicon", "签约奖金"),
        (3.0, 5.5, "subtitle", "money", "2000000 RUB"),
        (4.0, 6.0, "speech", "lexicon", "bonus*"),
        (4.0, 6.0, "speech", "money", "2000000 RUB"),
        (5.5, 7.8, "subtitle", "lexicon", "月薪"),
        (5.5, 7.8, "subtitle", "money", "200000 RUB/month"),
        (5.5, 7.8, "subtitle", "phone", "+79991234567"),
    ]


def test_raw_context_and_details(lexicons):
    by_kind = {f.kind: f for f in analyse(transcript(None, SUBTITLES), lexicons, REGIONS)}
    assert by_kind["account"].raw == "抖音号：recruit_demo" and by_kind["account"].label == "douyin"
    phone = by_kind["phone"]
    assert (phone.raw, phone.region) == ("+7 999 123-45-67", "RU")
    assert phone.context == "月薪二十万卢布 电话 +7 999 123-45-67"


@pytest.mark.parametrize(("speech", "subtitles", "tracks"), [
    (None, None, set()), (SPEECH, None, {"speech"}), (None, SUBTITLES, {"subtitle", "overlay"}),
])
def test_missing_tracks(lexicons, speech, subtitles, tracks):
    assert {f.track for f in analyse(transcript(speech, subtitles), lexicons, REGIONS)} == tracks


def test_repeats_over_touching_cues_merge(lexicons):
    subs = Subtitles(cues=[Cue(0.0, 2.0, "微信：zhaomu888", 0.9), Cue(2.2, 4.0, "微信：zhaomu888", 0.9),
                           Cue(9.0, 10.0, "微信：zhaomu888", 0.9)])
    found = [f for f in analyse(transcript(None, subs), lexicons, REGIONS) if f.kind == "wechat"]
    assert [(f.start, f.end) for f in found] == [(0.0, 4.0), (9.0, 10.0)]


def test_merge_keeps_other_tracks_apart():
    a = Finding("phone", "+79991234567", "8 999 123-45-67", 1.0, 2.0, "speech")
    b = Finding("phone", "+79991234567", "+7 999 123-45-67", 1.5, 3.0, "subtitle")
    assert merge_repeats([b, a]) == [a, b]


def test_findings_survive_the_store(tmp_path: Path, lexicons):
    t = transcript(SPEECH, SUBTITLES)
    t.findings = analyse(t, lexicons, REGIONS)
    store = Store(tmp_path)
    store.save(t)
    loaded = store.load(t.video.id)
    assert loaded.findings == t.findings
    money = next(f for f in loaded.findings if f.kind == "money" and f.track == "subtitle")
    assert money.money is not None and money.money.amount == 2_000_000 and money.money.currency == "RUB"


# Text with the characters the extractors care about, in any order.
_ALPHABET = st.sampled_from(list("0123456789 ,.-+:：@/$¥€₽万千百亿十两一二五零到至月薪元卢布美微信号抖音тысячрубдоот"
                                 "kmTtgGxXvV年日%()（）\n"))


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=60), st.text(alphabet=_ALPHABET, max_size=60)))
def test_extractors_never_fail_on_any_text(text):
    folded = fold(text)
    for m in line_matches(folded, [], REGIONS, watermark=True):
        assert 0 <= m.start < m.end <= len(folded) and m.value
        if m.money is not None:
            assert m.money.amount >= 0 and (m.money.amount_max is None or m.money.amount_max > m.money.amount)


# --- a generated clip -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def qr_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_qr_clip(tmp_path_factory.mktemp("qr") / "qr.mp4")


def test_qr_is_decoded_with_the_time_it_is_visible(qr_clip: Path):
    (sighting,) = scan_video(qr_clip, fps=2.0)
    assert sighting.payload == QR_PAYLOAD
    assert (sighting.start, sighting.end) == (QR_START, QR_END)


def _context(clip: Path, tmp_path: Path, t: Transcript, **settings) -> StageContext:
    return StageContext(settings=Settings.load(env={}, data=tmp_path, **settings), transcript=t,
                        media_path=clip, audio_path=None, output_dir=tmp_path)


def test_stage_on_the_clip(qr_clip: Path, tmp_path: Path):
    # The overlay and cue are what the subtitles stage reads off this clip.
    subs = Subtitles(cues=[Cue(0.2, 3.8, "扫码加入 月薪二十万卢布", 0.9)],
                     overlays=[Overlay(0.0, 4.0, WATERMARK, 0.9, kind="account")])
    t = transcript(None, subs, duration=4.0, has_video=True, has_audio=False)
    progress: list[float] = []
    ctx = _context(qr_clip, tmp_path, t)
    ctx = StageContext(**{**ctx.__dict__, "progress": progress.append})
    out = STAGE.run(ctx)
    assert out.skipped is None and out.files == {}  # transcript.md is the store's to render
    assert "## Findings" in report(dataclasses.replace(t, findings=out.changes["findings"]))
    found = summary(out.changes["findings"])
    assert found == [
        (0.0, 4.0, "overlay", "account", "recruit_demo"),
        (0.2, 3.8, "subtitle", "lexicon", "月薪"),
        (0.2, 3.8, "subtitle", "money", "200000 RUB/month"),
        (QR_START, QR_END, "frame", "qr", QR_PAYLOAD),
        (QR_START, QR_END, "frame", "telegram", "@recruit_army_ru"),
    ]
    assert next(f for f in out.changes["findings"] if f.kind == "qr").label == "telegram"
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_stage_without_qr_scan_or_video(qr_clip: Path, tmp_path: Path):
    t = transcript(SPEECH, None, duration=4.0, has_video=True)
    off = STAGE.run(_context(qr_clip, tmp_path, t, qr_fps=0))
    assert "frame" not in {f.track for f in off.changes["findings"]}
    audio_only = transcript(SPEECH, None, duration=4.0, has_video=False)
    assert "frame" not in {f.track for f in STAGE.run(_context(qr_clip, tmp_path, audio_only)).changes["findings"]}


def test_stage_declaration():
    assert (STAGE.name, STAGE.after, STAGE.queue) == ("analysis", ("align",), "post")
