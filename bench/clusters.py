"""Repost clustering: precision and recall on generated reposts, and the cost of adding a video to an
index of 10,000.

    python bench/clusters.py [--families 4] [--per-family 3] [--videos 10000] [--skip-quality] [--skip-timing]

1. Quality. Sources (vidscribe.clusters.synthetic): `--families` families of `--per-family` clips
   that share a backdrop, a 1.5 s channel intro and the subtitle font and style (the hard negatives:
   unrelated clips that look alike), landscape and portrait families in turn. Every source is
   reposted once per transformation (TRANSFORMS: re-encode, crop to another aspect ratio, mirror,
   mirror + crop, trim, speed 1.25x, watermark, new subtitles burned over the old, letterbox,
   blurred padding, zoom, colour, and a combination), and its subtitle text re-typed ("retyped": a
   video with that text only; "partial text": half of its cues, as when OCR misses some in a
   re-encode). Every video is fingerprinted (the stage's own functions; pictures through PyAV) and
   added to a real index in a shuffled order. Lookalikes: per family, clips with a small figure over
   its backdrop. Reported per class: recall (the repost matched its source directly, and the two in
   one cluster), false matches (a repost of that class matched to a clip of another source, same
   family or not) and the median distance of its closest frames. The text of subtitles comes from
   the generator here, not from OCR: what OCR makes of a re-typed subtitle is the subtitle
   benchmarks' business.
2. Speed. `--videos` synthetic fingerprints (a portrait clip's: 16 kept frames, 6 stored variants of
   14, 2 text sketches, random hashes) are loaded into an index; then 20 new videos are added one by
   one through `index.add_video` (candidate lookup, comparison, key insertion, one transaction
   each). Baseline in the same run: the same new video compared with every indexed fingerprint (a
   pairwise scan).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vidscribe.clusters import index, keys  # noqa: E402
from vidscribe.clusters.group import build_clusters  # noqa: E402
from vidscribe.clusters.match import compare, distances, prepare, same_footage, shares  # noqa: E402
from vidscribe.clusters.synthetic import TRANSFORMS, SourceSpec, render_source, repost, retype  # noqa: E402
from vidscribe.fingerprint.pictures import SAMPLE_EVERY, picture_hashes, variant_names  # noqa: E402
from vidscribe.fingerprint.text import PERMUTATIONS, SHINGLE, minhash, normalise, shingles  # noqa: E402
from vidscribe.transcripts.model import (  # noqa: E402
    Fingerprint,
    FrameHash,
    TextSketch,
    Transcript,
    VideoMeta,
    from_jsonable,
)

CLASSES = (*TRANSFORMS, "retyped", "partial text")
LOOKALIKES = 2  # per family: clips with a small figure (10-20% of the width) over the family's backdrop


def sketch(text: str) -> TextSketch:
    norm = normalise(text)
    return TextSketch("subtitles", len(norm), minhash(shingles(norm)))


def fingerprint(path: Path | None, text: str | None) -> Fingerprint:
    variants, frames = picture_hashes(path) if path is not None else ([], [])
    return Fingerprint(variants=variants, frames=frames, texts=[sketch(text)] if text else [],
                       sample_every=SAMPLE_EVERY, shingle=SHINGLE, permutations=PERMUTATIONS)


def make_corpus(work: Path, families: int, per_family: int) -> dict[str, tuple[int, int, str, Fingerprint]]:
    """video ID -> (source seed, family, class, fingerprint)"""
    videos: dict[str, tuple[int, int, str, Fingerprint]] = {}
    seed = 0
    for family in range(families):
        size = (480, 270) if family % 2 == 0 else (288, 512)
        for _ in range(per_family):
            seed += 1
            spec = SourceSpec(seed, family, width=size[0], height=size[1])
            src = work / f"s{seed}.mp4"
            lines = render_source(spec, src)
            videos[f"s{seed}"] = (seed, family, "source", fingerprint(src, "".join(lines)))
            for k, transform in enumerate(TRANSFORMS):
                out = repost(src, work / f"s{seed}-{k}.mp4", transform, size[0], size[1], spec.duration)
                videos[f"s{seed}-{k}"] = (seed, family, transform, fingerprint(out, None))
            videos[f"s{seed}-text"] = (seed, family, "retyped", fingerprint(None, retype(lines, seed)))
            # OCR missed half the cues of this copy (seen with real OCR on re-encoded reposts)
            videos[f"s{seed}-half"] = (seed, family, "partial text", fingerprint(None, retype(lines[1:3], seed)))
            print(f"  source {seed}: {len(TRANSFORMS) + 1} reposts", file=sys.stderr)
        for _ in range(LOOKALIKES):  # the hardest negatives: the family's look with a small figure
            seed += 1
            spec = SourceSpec(seed, family, width=size[0], height=size[1], figure=(0.1, 0.2))
            src = work / f"s{seed}.mp4"
            videos[f"s{seed}"] = (seed, family, "lookalike", fingerprint(src, "".join(render_source(spec, src))))
    return videos


def add_all(conn: sqlite3.Connection, fps: dict[str, Fingerprint], order: list[str]) -> None:
    for video_id in order:
        t = Transcript(VideoMeta(video_id, video_id), fingerprint=fps[video_id])
        with index.transaction(conn):
            index.add_video(conn, t, 0, 0)


def quality(families: int, per_family: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = time.monotonic()
        videos = make_corpus(work, families, per_family)
        made = time.monotonic() - started
        order = list(videos)
        random.Random(7).shuffle(order)
        conn = index.connect(work / "clusters.sqlite")
        add_all(conn, {v: videos[v][3] for v in videos}, order)
        pairs = index.load_pairs(conn)
        conn.close()
    matched = {frozenset((a, b)) for a, b, _ in pairs}
    clusters = build_clusters(pairs, {v: {"video_id": v} for v in videos})
    cluster_of = {v.video_id: c.number for c in clusters for v in c.videos}
    print(f"\n{len(videos)} videos ({families * per_family} sources in {families} families, each reposted "
          f"{len(CLASSES)} ways) made and fingerprinted in {made:.0f} s; {len(pairs)} matched pairs\n")
    print(f"{'class':<14} {'recall':>7} {'cluster':>8} {'false+':>7} {'fam.false+':>10} {'median bits':>12}")
    total_tp = total_fp = 0
    for cls in ("source", "lookalike", *CLASSES):
        members = [v for v, (_, _, c, _) in videos.items() if c == cls]
        hit = same = 0
        bits = []
        for v in members:
            seed = videos[v][0]
            src = f"s{seed}"
            if cls != "source":
                hit += frozenset((v, src)) in matched
                same += v in cluster_of and cluster_of.get(v) == cluster_of.get(src)
                d, _, _ = distances(prepare(videos[v][3]), prepare(videos[src][3]))
                if d.size:
                    bits.append(int(d.min(axis=1).min()))
        false = [p for p in matched if any(x in members for x in p) and len({videos[x][0] for x in p}) == 2]
        family_false = [p for p in false if len({videos[x][1] for x in p}) == 1]
        total_fp += len(false)
        total_tp += hit
        if cls in ("source", "lookalike"):
            print(f"{cls:<14} {'':>7} {'':>8} {len(false):>7} {len(family_false):>10}")
            continue
        median = f"{statistics.median(bits):.0f}" if bits else "-"
        print(f"{cls:<14} {hit / len(members):>7.0%} {same / len(members):>8.0%} {len(false):>7} "
              f"{len(family_false):>10} {median:>12}")
    near = negative_margin(videos)
    print(f"\nclosest frames of different sources in one family (hard negatives), the shared intro left out: "
          f"min {near[0]} bits, 1st percentile {near[1]:.0f}, median {near[2]:.0f}")
    sweep(videos)
    true_pairs = sum(1 for p in matched if len({videos[x][0] for x in p}) == 1)
    print(f"\nall matched pairs: {len(matched)}, of the same source {true_pairs}, precision "
          f"{true_pairs / max(1, len(matched)):.1%}; false matches between different sources: "
          f"{len(matched) - true_pairs}")


THRESHOLDS = (24, 31, 38, 45, 52)


def sweep(videos: dict[str, tuple[int, int, str, Fingerprint]]) -> None:
    """Footage matching alone (text left out) over every pair of videos, at several frame thresholds:
    the recall of each picture class and the false matches, with and without the lookalikes."""
    prepared = {v: prepare(fp) for v, (_, _, _, fp) in videos.items() if fp.frames}
    ids = sorted(prepared)
    found: dict[int, set[frozenset[str]]] = {t: set() for t in THRESHOLDS}
    for i, x in enumerate(ids):
        for y in ids[i + 1:]:
            d, _, _ = distances(prepared[x], prepared[y])
            for t in THRESHOLDS:
                if same_footage(*shares(prepared[x], prepared[y], d, t)):
                    found[t].add(frozenset((x, y)))
    weak = ("zoom", "combo", "new subtitles", "crop", "mirror+crop")
    print(f"\nfootage only, every pair ({len(ids)} videos with pictures), by frame threshold (bits):")
    print(f"{'bits':>5} {'recall':>7} " + " ".join(f"{c:>13}" for c in weak) + f" {'false+':>7} {'lookalike':>9}")
    for t in THRESHOLDS:
        reposts = [v for v in ids if videos[v][2] in TRANSFORMS]
        hit = {v for v in reposts if frozenset((v, f"s{videos[v][0]}")) in found[t]}
        false = [p for p in found[t] if len({videos[x][0] for x in p}) == 2]
        looks = [p for p in false if any(videos[x][2] == "lookalike" for x in p)]
        per = [sum(videos[v][2] == c for v in hit) / sum(videos[v][2] == c for v in reposts) for c in weak]
        print(f"{t:>5} {len(hit) / len(reposts):>7.1%} " + " ".join(f"{r:>13.0%}" for r in per)
              + f" {len(false):>7} {len(looks):>9}")


def negative_margin(videos: dict[str, tuple[int, int, str, Fingerprint]]) -> tuple[int, float, float]:
    """Distances between the closest frames of clips of one family that are not the same clip
    (sources and lookalikes, after their intro)."""
    import numpy as np

    clips = [(v, fam, prepare(fp)) for v, (_, fam, cls, fp) in videos.items() if cls in ("source", "lookalike")]
    found = []
    for i, (_, fam, a) in enumerate(clips):
        for _, fam_b, b in clips[i + 1:]:
            if fam == fam_b:
                d, _, _ = distances(a, b)
                later = a.starts >= 1.5  # the intro is shared on purpose
                found.extend(d[later][:, b.starts >= 1.5].min(axis=1).tolist())
    values = np.array(found)
    return int(values.min()), float(np.percentile(values, 1)), float(np.median(values))


def synthetic_fingerprint(rng: random.Random) -> Fingerprint:
    """A portrait clip's fingerprint (its variants, no black bars) with random hashes and sketches."""
    variants = variant_names(720, 1280)
    frames = []
    for k in range(16):
        hashes = ["" if name.startswith("inner") else rng.randbytes(32).hex() for name in variants]
        frames.append(FrameHash(k * 2.0, k * 2.0 + 2.0, 100, hashes))
    texts = [TextSketch(track, 120, [rng.getrandbits(32) for _ in range(PERMUTATIONS)])
             for track in ("subtitles", "speech")]
    return Fingerprint(variants=variants, frames=frames, texts=texts, sample_every=SAMPLE_EVERY, shingle=SHINGLE,
                       permutations=PERMUTATIONS)


def bulk_load(conn: sqlite3.Connection, fps: list[Fingerprint]) -> None:
    """The index as `update` leaves it, written in one transaction (adding 10,000 one by one is the
    same work 10,000 times)."""
    with index.transaction(conn):
        for i, fp in enumerate(fps):
            cur = conn.execute("INSERT INTO videos (video_id, mtime_ns, size, fingerprint) VALUES (?, 0, 0, ?)",
                               (f"v{i}", index.pack_fingerprint(fp)))
            num = cur.lastrowid
            stored = keys.packed(prepare(fp), stored_only=True)
            conn.execute("UPDATE videos SET hashes = ?, sketches = ? WHERE num = ?",
                         (stored.tobytes(), keys.pack_sketches(fp), num))
            conn.executemany("INSERT OR IGNORE INTO frame_keys VALUES (?, ?)",
                             ((k, num) for k in keys.frame_keys(stored)))
            conn.executemany("INSERT OR IGNORE INTO text_keys VALUES (?, ?)", ((k, num) for k in keys.text_keys(fp)))


def timing(count: int) -> None:
    rng = random.Random(11)
    base = [synthetic_fingerprint(rng) for _ in range(count)]
    new = [synthetic_fingerprint(rng) for _ in range(20)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clusters.sqlite"
        conn = index.connect(path)
        started = time.monotonic()
        bulk_load(conn, base)
        loaded = time.monotonic() - started
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = path.stat().st_size
        times = []
        for i, fp in enumerate(new):
            t0 = time.perf_counter()
            with index.transaction(conn):
                index.add_video(conn, Transcript(VideoMeta(f"new{i}", "x"), fingerprint=fp), 0, 0)
            times.append(time.perf_counter() - t0)
        # Baseline: one new video against every indexed fingerprint, read back from the same database.
        scans = []
        for fp in new[:3]:
            t0 = time.perf_counter()
            prepared = prepare(fp)
            for (blob,) in conn.execute("SELECT fingerprint FROM videos WHERE video_id LIKE 'v%'"):
                other = from_jsonable(Fingerprint, json.loads(zlib.decompress(blob)))
                compare(fp, other, prepared)
            scans.append(time.perf_counter() - t0)
        conn.close()
    print(f"\nindex of {count} synthetic portrait videos (16 frames x 6 stored variants, 2 text sketches): loaded in "
          f"{loaded:.0f} s, {size / 2**20:.0f} MiB")
    print(f"add one video (lookup + compare candidates + insert keys): median {statistics.median(times) * 1000:.1f} ms,"
          f" max {max(times) * 1000:.1f} ms over {len(times)}")
    print(f"baseline, pairwise scan of the same index: median {statistics.median(scans):.2f} s over {len(scans)} "
          f"({statistics.median(scans) / statistics.median(times):.0f}x slower)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", type=int, default=4)
    parser.add_argument("--per-family", type=int, default=3)
    parser.add_argument("--videos", type=int, default=10000)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-timing", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality:
        quality(args.families, args.per_family)
    if not args.skip_timing:
        timing(args.videos)


if __name__ == "__main__":
    main()
