"""Evidence bundles: the cost of `vidscribe bundle` and `vidscribe verify` against plain tools.

    python bench/bundle.py [--clips 6] [--seconds 30]

--clips generated clips (--seconds each, 720x1280, speech and burned-in subtitles: media of the size
a Douyin clip has) go through the media stage into a fresh data root. Then, in the same run:
1. `write_bundle` of all of them, against the baseline `zip -r` of the same two folders per video
   (Info-ZIP, deflate level 6 as zlib's default, media stored as is like the bundle does, no
   hashing): what hashing, the manifest and the locks cost.
2. `verify_bundle` of that bundle, against the baseline `sha256sum` of the same files on disk (a
   recipient checking extracted files by hand): what reading through the zip costs.
Figures: wall seconds, MB/s of file bytes, and the ratio to the baseline.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vidscribe import pipeline
from vidscribe.evidence.bundle import STORED_SUFFIXES, video_files, write_bundle
from vidscribe.evidence.verify import verify_bundle
from vidscribe.samples import ClipSpec, TextLayer, Utterance, make_clip
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store


def clip_spec(i: int, seconds: float) -> ClipSpec:
    return ClipSpec(duration=seconds, width=720, height=1280, fps=30, background="testsrc2",
                    background_filters=f"hue=h={i * 40},noise=alls=4:allf=t",  # grain: a few Mbit/s
                    layers=[TextLayer(f"签约奖金 {i}", 0.5, seconds - 0.5, size=48, y="h*0.8")],
                    speech=[Utterance(1.0, f"Contract number {i}.", "en-us")])


def timed(fn):  # noqa: ANN001, ANN201 (a bench helper)
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    for tool in ("zip", "sha256sum"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is needed for the baseline")
    with tempfile.TemporaryDirectory(prefix="vidscribe-bench-bundle-") as tmp:
        work = Path(tmp)
        store = Store(work / "data")
        settings = Settings.load(data=store.root)
        ids = []
        for i in range(args.clips):
            clip = make_clip(clip_spec(i, args.seconds), work / f"clip{i}.mp4")
            ids.append(pipeline.ingest_source(str(clip), settings, store).video.id)
        files = [path for video_id in ids for _, path in video_files(store, video_id)]
        mb = sum(p.stat().st_size for p in files) / 1e6
        print(f"{len(ids)} videos, {len(files)} files, {mb:.1f} MB")

        result, ours = timed(lambda: write_bundle(store, ids, work / "case.zip"))
        folders = [f"{area}/{video_id}" for video_id in ids for area in ("media", "transcripts")]
        stored = ":".join(sorted(STORED_SUFFIXES))  # media stored as is, as the bundle does
        _, base = timed(lambda: subprocess.run(["zip", "-q", "-r", "-6", "-n", stored, str(work / "plain.zip"),
                                                *folders, "-x", "*/.*"], cwd=store.root, check=True))
        print(f"bundle: {ours:.2f} s ({mb / ours:.0f} MB/s); baseline zip -r: {base:.2f} s ({mb / base:.0f} MB/s); "
              f"ratio {ours / base:.2f}")

        report, ours = timed(lambda: verify_bundle(result.path))
        assert report.ok, report.problems
        _, base = timed(lambda: subprocess.run(["sha256sum", *map(str, files)], check=True, capture_output=True))
        print(f"verify: {ours:.2f} s ({mb / ours:.0f} MB/s); baseline sha256sum of the files: {base:.2f} s "
              f"({mb / base:.0f} MB/s); ratio {ours / base:.2f}")
        print(f"zip sizes: bundle {result.path.stat().st_size / 1e6:.1f} MB, plain zip "
              f"{(work / 'plain.zip').stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
