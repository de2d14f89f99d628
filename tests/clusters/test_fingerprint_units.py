"""The fingerprint's parts without media: text normalisation and MinHash, PDQ of generated
pictures and their variants, and which frames are kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidscribe.clusters.synthetic import PHRASES
from vidscribe.fingerprint import pictures
from vidscribe.fingerprint.pictures import (
    ASPECT_TOLERANCE,
    ASPECTS,
    MAX_FRAMES,
    centre_crop,
    hamming_hex,
    hash_frame,
    inner_box,
    keep_stretches,
    pdq,
    variant_names,
)
from vidscribe.fingerprint.text import PERMUTATIONS, jaccard, minhash, normalise, shingles, sketches
from vidscribe.transcripts.model import Cue, Fingerprint, Segment, Speech, Subtitles, Transcript, VideoMeta

# --- text -----------------------------------------------------------------------------------------

def test_normalise_folds_script_width_case_and_drops_punctuation():
    assert normalise("加入俄羅斯軍隊！ 簽約獎金，２００萬") == "加入俄罗斯军队签约奖金200万"
    assert normalise("Подпишите  КОНТРАКТ, ёлки!") == "подпишитеконтрактелки"
    assert normalise("…  ，。!?") == ""


def test_shingles_of_short_and_empty_text():
    assert shingles("") == set()
    assert shingles("ab") == {"ab"}
    assert shingles("abcd") == {"abc", "bcd"}


def test_minhash_is_stable_and_sized():
    a = minhash(shingles("加入俄罗斯军队签约奖金"))
    assert a == minhash(shingles("加入俄罗斯军队签约奖金"))  # BLAKE2b, not Python's salted hash
    assert len(a) == PERMUTATIONS and all(0 <= v < 2**32 for v in a)
    assert jaccard(a, a) == 1.0
    assert jaccard(a, minhash(set())) == 0.0 and jaccard(a, []) == 0.0


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(0, 400), min_size=20, max_size=200), st.sets(st.integers(0, 400), min_size=20, max_size=200))
def test_minhash_estimates_jaccard(a: set[int], b: set[int]):
    true = len(a & b) / len(a | b)
    estimate = jaccard(minhash(str(x) for x in a), minhash(str(x) for x in b))
    assert abs(estimate - true) < 0.2  # 4.5 standard errors at worst (J = 0.5, 128 values)


def test_sketches_cover_subtitles_and_speech_but_not_overlays():
    t = Transcript(VideoMeta("v", "x"), speech=Speech("zh", [Segment(0, 2, "签约奖金两百万卢布")]),
                   subtitles=Subtitles(cues=[Cue(0, 2, "加入俄罗斯军队", 0.9), Cue(2, 4, "联系我们", 0.9)]))
    got = {s.track: s for s in sketches(t)}
    assert set(got) == {"subtitles", "speech"}
    assert got["subtitles"].chars == len("加入俄罗斯军队联系我们")
    assert sketches(Transcript(VideoMeta("v", "x"))) == []


# --- pictures -------------------------------------------------------------------------------------

def _picture(seed: int, width: int = 320, height: int = 180) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (6, 10), dtype=np.uint8)
    grey = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
    for _ in range(5):
        x, y = (int(v) for v in rng.integers(0, (width, height)))
        cv2.circle(grey, (x, y), int(rng.integers(8, 40)), int(rng.integers(0, 256)), -1)
    return grey


def test_pdq_survives_recompression_and_separates_pictures():
    grey = _picture(1)
    ok, jpeg = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, 25])
    assert ok
    again = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    (a, quality), (b, _), (c, _) = pdq(grey), pdq(again), pdq(_picture(2))
    assert len(a) == 64 and quality >= 50
    assert hamming_hex(a, b) <= 16 < 80 <= hamming_hex(a, c)


def test_mirror_variant_matches_a_mirrored_copy():
    grey = _picture(3)
    names = variant_names(320, 180)
    hashes, _ = hash_frame(grey, names)
    mirrored, _ = hash_frame(np.ascontiguousarray(grey[:, ::-1]), names)
    assert hamming_hex(hashes[names.index("full~")], mirrored[names.index("full")]) <= 8
    assert hamming_hex(hashes[names.index("full")], mirrored[names.index("full")]) >= 60  # it is not symmetric


def test_crop_variant_matches_a_cropped_copy():
    grey = _picture(4, 640, 360)
    x0, y0, x1, y1 = centre_crop(640, 360, 9 / 16)
    crop = np.ascontiguousarray(grey[y0:y1, x0:x1])
    source, _ = hash_frame(grey, variant_names(640, 360))
    names = variant_names(*crop.shape[::-1])
    repost, _ = hash_frame(cv2.resize(crop, (crop.shape[1] // 2, crop.shape[0] // 2)), names)
    assert hamming_hex(source[variant_names(640, 360).index("9:16")], repost[names.index("full")]) <= 12


def test_variants_follow_the_frame_shape():
    landscape, portrait = variant_names(1920, 1080), variant_names(720, 1280)
    assert "16:9" not in landscape and "9:16" in landscape and "9:16~" in landscape
    assert "9:16" not in portrait and "16:9" in portrait
    assert landscape[:2] == ["full", "full~"] and len(landscape) % 2 == 0


@given(st.integers(16, 4000), st.integers(16, 4000), st.sampled_from(list(ASPECTS.values())))
def test_centre_crop_is_centred_inside_and_of_its_shape(width: int, height: int, ratio: float):
    x0, y0, x1, y1 = centre_crop(width, height, ratio)
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert abs(x0 - (width - x1)) <= 1 and abs(y0 - (height - y1)) <= 1
    assert x1 - x0 == width or y1 - y0 == height  # the largest: touches two sides
    assert abs((x1 - x0) - (y1 - y0) * ratio) <= max(1.0, ratio)


def test_inner_box_finds_black_bars_only():
    grey = _picture(5, 320, 180)
    boxed = np.zeros((570, 320), np.uint8)
    boxed[195:375] = grey  # letterboxed into 9:16
    x0, y0, x1, y1 = inner_box(boxed)  # type: ignore[misc]
    assert x0 <= 4 and x1 >= 316 and abs(y0 - 195) <= 8 and abs(y1 - 375) <= 8
    assert inner_box(grey) is None
    assert inner_box(np.full((100, 100), 30, np.uint8)) is None  # flat all over: nothing to cut to


def test_aspect_tolerance_keeps_near_shapes_out():
    assert "1:1" not in variant_names(1000, int(1000 / (1 + ASPECT_TOLERANCE / 2)))


def test_keep_stretches_merges_similar_frames_and_keeps_the_longest():
    base = "00" * 32
    changed = "ff" * 32
    samples = [(0.0, [base], 90), (0.5, [base], 90), (1.0, [changed], 80), (1.5, [changed], 80)]
    kept = keep_stretches(iter(samples), 2.0)
    assert [(f.start, f.end, f.quality) for f in kept] == [(0.0, 1.0, 90), (1.0, 2.0, 80)]
    many = [(k * 0.5, [f"{k:064x}" if k % 2 else changed], 90) for k in range(3 * MAX_FRAMES)]
    assert len(keep_stretches(iter(many), 100.0)) == MAX_FRAMES


def test_old_transcripts_load_without_a_fingerprint():
    data = Transcript(VideoMeta("v", "x")).to_dict()
    data.pop("fingerprint")
    assert Transcript.from_dict(data).fingerprint is None
    fp = Fingerprint(variants=["full"], sample_every=pictures.SAMPLE_EVERY)
    t = Transcript(VideoMeta("v", "x"), fingerprint=fp)
    assert Transcript.from_dict(t.to_dict()).fingerprint == fp


@pytest.mark.parametrize("text", PHRASES[:3])
def test_phrases_normalise_to_themselves(text: str):
    assert normalise(text) == text
