"""Matching two fingerprints, the index (multi-index hash table, LSH bands, pairs) and clusters,
on fingerprints made from generated pictures and text, without media files."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vidscribe.clusters import index, keys
from vidscribe.clusters.export import COLUMNS, cluster_rows, write_clusters
from vidscribe.clusters.group import build_clusters, describe
from vidscribe.clusters.match import compare, compare_sketches, prepare, same_text
from vidscribe.clusters.synthetic import retype, subtitle_text
from vidscribe.fingerprint.pictures import hamming_hex, hash_frame, variant_names
from vidscribe.fingerprint.text import PERMUTATIONS, minhash, normalise, shingles
from vidscribe.transcripts.model import Fingerprint, FrameHash, TextSketch, Transcript, VideoMeta
from vidscribe.transcripts.store import Store


def _scene(seed: int, width: int = 320, height: int = 180) -> list[np.ndarray]:
    """Four shots of one generated clip, grey."""
    rng = np.random.default_rng(seed)
    shots = []
    for _ in range(4):
        low = rng.integers(0, 256, (5, 9), dtype=np.uint8)
        grey = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
        for _ in range(4):
            x, y = (int(v) for v in rng.integers(0, (width, height)))
            cv2.circle(grey, (x, y), int(rng.integers(10, 40)), int(rng.integers(0, 256)), -1)
        shots.append(grey)
    return shots


def _fingerprint(shots: list[np.ndarray], text: str | None = None) -> Fingerprint:
    h, w = shots[0].shape
    names = variant_names(w, h)
    frames = []
    for k, grey in enumerate(shots):
        hashes, quality = hash_frame(grey, names)
        frames.append(FrameHash(k * 2.0, k * 2.0 + 2.0, quality, hashes))
    texts = [TextSketch("subtitles", len(normalise(text)), minhash(shingles(normalise(text))))] if text else []
    return Fingerprint(variants=names, frames=frames, texts=texts, sample_every=0.5, shingle=3,
                       permutations=PERMUTATIONS)


def _mirror_crop(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    cw = h * 9 // 16
    crop = grey[:, (w - cw) // 2:(w - cw) // 2 + cw][:, ::-1]
    return cv2.resize(np.ascontiguousarray(crop), (cw * 2 // 3, h * 2 // 3), interpolation=cv2.INTER_AREA)


# --- match ----------------------------------------------------------------------------------------

def test_mirrored_crop_is_the_same_footage_and_unrelated_is_not():
    source = _fingerprint(_scene(1))
    repost = _fingerprint([_mirror_crop(g) for g in _scene(1)][1:])  # trimmed: the first shot cut
    ev = compare(source, repost)
    assert ev.same_footage and ev.match and not ev.same_text
    assert ev.coverage == 1.0  # all of the repost is in the source
    assert len(ev.footage) == 1
    span = ev.footage[0]
    assert (span.a_start, span.a_end, span.b_start, span.b_end) == (2.0, 8.0, 0.0, 6.0)
    assert {span.variant_a.rstrip("~"), span.variant_b.rstrip("~")} == {"9:16", "full"}
    assert span.variant_a.endswith("~") != span.variant_b.endswith("~")
    assert "mirrored" in describe(json.loads(json.dumps(index.to_jsonable(ev))))
    assert not compare(source, _fingerprint(_scene(2))).match


def test_a_shared_intro_alone_is_not_a_match():
    intro = _scene(9)[0]
    a = _fingerprint([intro, *_scene(3)[1:]])
    b = _fingerprint([intro, *_scene(4)[1:]])
    ev = compare(a, b)
    assert ev.footage and not ev.same_footage  # one of four shots: evidence, but not the same clip


def test_retyped_text_matches_and_unrelated_text_does_not():
    lines = subtitle_text(1)
    a = _fingerprint(_scene(5), "".join(lines))
    b = _fingerprint(_scene(6), retype(lines, 2))
    c = _fingerprint(_scene(7), "".join(subtitle_text(2)))
    ev = compare(a, b)
    assert ev.same_text and not ev.same_footage and ev.text is not None and ev.text.jaccard >= 0.5
    assert not compare(a, c).match
    short = _fingerprint(_scene(8), "联系我们")
    assert compare(short, _fingerprint(_scene(10), "联系我们")).text is None  # too short to mean anything


def test_a_copy_missing_half_its_cues_matches_by_containment():
    lines = subtitle_text(11, phrases=12)
    full = _fingerprint(_scene(1), "".join(lines))
    half = _fingerprint(_scene(2), retype(lines[:3], 5))
    ev = compare(full, half)
    assert ev.text is not None and ev.text.jaccard < 0.5 and ev.text.containment >= 0.7 and ev.same_text
    assert keys.text_keys(full) & keys.text_keys(half)  # and the LSH bands find it
    slogan = "加入俄罗斯军队签约奖金每月工资"  # one shared slogan: too short to say the clips are one
    ad = _fingerprint(_scene(3), "".join(subtitle_text(12)) + slogan)
    ev = compare(ad, _fingerprint(_scene(4), slogan))
    assert ev.text is not None and ev.text.containment >= 0.7 and not ev.same_text


def test_featureless_frames_are_not_compared():
    flat = [np.full((180, 320), 40, np.uint8) for _ in range(3)]
    assert not compare(_fingerprint(flat), _fingerprint(flat)).match


# --- index ----------------------------------------------------------------------------------------

def _transcript(video_id: str, fp: Fingerprint | None, date: str | None = None, title: str | None = None) -> Transcript:
    return Transcript(VideoMeta(video_id, f"https://example.org/{video_id}", upload_date=date, title=title,
                                uploader=f"acct-{video_id}"), fingerprint=fp)


@pytest.mark.parametrize("order", [["src", "rep", "other"], ["rep", "other", "src"]])
def test_index_finds_the_pair_whichever_came_first(tmp_path: Path, order: list[str]):
    fps = {"src": _fingerprint(_scene(1)), "rep": _fingerprint([_mirror_crop(g) for g in _scene(1)]),
           "other": _fingerprint(_scene(2))}
    conn = index.connect(tmp_path / "c.sqlite")
    for vid in order:
        with index.transaction(conn):
            index.add_video(conn, _transcript(vid, fps[vid]), 0, 0)
    pairs = index.load_pairs(conn)
    assert [(set((a, b))) for a, b, _ in pairs] == [{"src", "rep"}]
    a, b, ev = pairs[0]
    assert a == next(v for v in order if v != "other")  # stored in the order the two were added
    assert ev["same_footage"] and ev["footage"]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 9), st.randoms(use_true_random=False))
def test_multi_index_finds_every_hash_within_9_bits(flips: int, rnd: random.Random):
    """Pigeonhole: 9 flipped bits leave at least one of the 10 chunks intact."""
    digest = rnd.randbytes(32)
    bits = np.unpackbits(np.frombuffer(digest, np.uint8))
    bits[rnd.sample(range(256), flips)] ^= 1
    near = np.packbits(bits).tobytes().hex()
    fp = Fingerprint(variants=["full", "full~"], frames=[FrameHash(0, 4, 100, [digest.hex(), ""])])
    query = Fingerprint(variants=["full", "full~"], frames=[FrameHash(0, 4, 100, ["", near])])
    stored = keys.packed(prepare(fp), stored_only=True)
    asked = keys.packed(prepare(query), stored_only=False)
    assert len(stored) == 1 and len(keys.packed(prepare(query), stored_only=True)) == 0  # mirrors are not stored
    assert keys.frame_keys(stored) & keys.frame_keys(asked)
    assert keys.closest(asked, stored) == flips
    assert keys.near(asked, stored)


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_quick_check_distance_is_the_smallest_hamming_distance(rnd: random.Random):
    query = np.frombuffer(rnd.randbytes(32 * 3), np.uint8).reshape(3, 32)
    stored = np.frombuffer(rnd.randbytes(32 * 5), np.uint8).reshape(5, 32)
    expected = min(hamming_hex(q.tobytes().hex(), s.tobytes().hex()) for q in query for s in stored)
    assert keys.closest(query, stored) == expected
    assert keys.closest(query, stored[:0]) == 256


def test_text_bands_find_retyped_text():
    lines = subtitle_text(3)
    a = _fingerprint(_scene(1), "".join(lines))
    b = _fingerprint(_scene(2), retype(lines, 4))
    assert keys.text_keys(a) & keys.text_keys(b)
    unpacked = keys.unpack_sketches(keys.pack_sketches(b), PERMUTATIONS)
    assert [(s.chars, s.minhash) for s in unpacked] == [(s.chars, s.minhash) for s in b.texts]
    assert same_text(compare_sketches(a.texts, unpacked))  # the quick check passes it


def test_text_quick_check_drops_unrelated_texts_sharing_a_band():
    """Recruitment texts share phrases, so bands of two values collide; the quick check drops them."""
    a = _fingerprint(_scene(1), "".join(subtitle_text(3)))
    collided = 0
    for seed in range(4, 40):
        other = _fingerprint(_scene(2), "".join(subtitle_text(seed)))
        collided += bool(keys.text_keys(a) & keys.text_keys(other))
        assert not same_text(compare_sketches(a.texts, other.texts))
    assert collided  # the case is exercised


def test_update_follows_the_store_and_rebuild_agrees(tmp_path: Path):
    store = Store(tmp_path / "data")
    store.save(_transcript("src", _fingerprint(_scene(1)), "20240301"))
    store.save(_transcript("rep", _fingerprint([_mirror_crop(g) for g in _scene(1)]), "20240305"))
    store.save(_transcript("bare", None))
    conn = index.connect(index.index_path(store))
    stats = index.update(store, conn)
    assert (stats.videos, stats.fingerprinted, stats.added, stats.pairs) == (3, 2, 3, 1)
    assert index.update(store, conn).added == 0  # nothing changed: nothing re-read
    store.save(_transcript("rep2", _fingerprint([_mirror_crop(g) for g in _scene(1)][:3]), "20240302"))
    assert index.update(store, conn).pairs == 3
    (store.transcript_dir("rep") / "transcript.json").unlink()
    stats = index.update(store, conn)
    assert (stats.removed, stats.pairs) == (1, 1)
    before = {frozenset((a, b)) for a, b, _ in index.load_pairs(conn)}
    index.update(store, conn, rebuild=True)
    assert {frozenset((a, b)) for a, b, _ in index.load_pairs(conn)} == before == {frozenset(("src", "rep2"))}
    conn.close()


def test_a_damaged_index_is_rebuilt(tmp_path: Path):
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"not a database at all" * 100)
    conn = index.connect(path)
    assert conn.execute("SELECT count(*) FROM videos").fetchone() == (0,)
    conn.close()


# --- clusters -------------------------------------------------------------------------------------

def _ev(a_start: float = 0.0) -> dict:
    return {"footage": [{"a_start": a_start, "a_end": 4.0, "b_start": 1.0, "b_end": 5.0, "bits": 12,
                         "variant_a": "full~", "variant_b": "9:16"}], "coverage": 1.0, "matched_seconds": 4.0,
            "text": {"track_a": "subtitles", "track_b": "speech", "jaccard": 0.7, "chars_a": 30, "chars_b": 28},
            "same_footage": True, "same_text": True}


def test_clusters_order_by_upload_date_with_ties_and_undated():
    videos = {"a": {"video_id": "a", "upload_date": "20240305"}, "b": {"video_id": "b", "upload_date": "20240301"},
              "c": {"video_id": "c", "upload_date": None}, "d": {"video_id": "d", "upload_date": "20240301"},
              "x": {"video_id": "x", "upload_date": "20230101"}, "y": {"video_id": "y"}}
    clusters = build_clusters([("a", "b", _ev()), ("c", "a", _ev()), ("d", "c", _ev()), ("x", "y", _ev())], videos)
    big, small = clusters
    assert [v.video_id for v in big.videos] == ["b", "d", "a", "c"]  # transitive: b-a-c-d
    assert [v.first for v in big.videos] == ["tie", "tie", "no", "undated"]
    assert [v.rank for v in big.videos] == [1, 2, 3, 4]
    a = big.videos[2]
    assert a.matched_with == "b" and a.evidence is not None
    # stored as (a, b) with a's times first; shown from b's side, the times swap.
    assert a.evidence["footage"][0]["a_start"] == 1.0 and a.evidence["footage"][0]["variant_b"] == "full~"
    assert big.videos[3].matched_with == "d"  # c matched d and a: the earlier-ranked one is named
    assert [v.first for v in small.videos] == ["yes", "undated"]
    assert build_clusters([], {}) == []


def test_csv_export_guards_formulas_and_jsonl_keeps_text(tmp_path: Path):
    videos = {"a": {"video_id": "a", "upload_date": "20240301", "title": "=HYPERLINK(\"http://evil\")",
                    "uploader": "@recruit\u202e"},
              "b": {"video_id": "b", "upload_date": "20240302", "title": "签约奖金"}}
    clusters = build_clusters([("a", "b", _ev())], videos)
    out = tmp_path / "c.csv"
    assert write_clusters(clusters, "csv", out) == 2
    text = out.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == COLUMNS
    assert rows[0]["title"].startswith("'=") and "\u202e" not in text
    assert rows[1]["matched_with"] == "a" and rows[1]["footage"] == "0.0-4.0=1.0-5.0"
    assert rows[1]["text_jaccard"] == "0.7"
    jsonl = tmp_path / "c.jsonl"
    write_clusters(clusters, "jsonl", jsonl)
    first = json.loads(jsonl.read_text().splitlines()[0])
    assert first["title"] == "=HYPERLINK(\"http://evil\")" and first["uploader"] == "@recruit\u202e"
    assert "\u202e" not in jsonl.read_text()  # escaped as \u202e in the file
    assert list(cluster_rows(clusters))[0]["first"] == "yes"


def test_an_unwritable_index_is_a_one_line_error(tmp_path: Path):
    from click.testing import CliRunner

    from vidscribe.cli import cli

    data = tmp_path / "data"
    Store(data).save(_transcript("src", _fingerprint(_scene(1))))
    (data / index.INDEX_FILE).mkdir()  # a folder where the database should be
    result = CliRunner().invoke(cli, ["clusters", "--data", str(data)])
    assert result.exit_code != 0
    assert "clusters.sqlite" in result.output and "repost index" in result.output
    assert "Traceback" not in result.output
