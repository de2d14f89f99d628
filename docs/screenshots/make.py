"""Regenerate the README's screenshots of the viewer from real output, so they stay true.

Makes the demo clip (`vidscribe sample`), runs the whole pipeline on it, adds synthetic transcripts
so the corpus page has something to page through (titled "Synthetic clip N"), starts `vidscribe
serve` on a free loopback port and has headless Chromium (Debian's `chromium`, its own
`--screenshot`) photograph the corpus page and the demo's video page. Writes
docs/screenshots/corpus.webp and video.webp (WebP: a tenth of the PNG's size).

Speech comes from VIDSCRIBE_ASR_MODEL when set (a real Whisper model); otherwise from the tiny
offline test model the tests use, whose text is a placeholder and which the page says it is.

    python docs/screenshots/make.py
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import cv2  # noqa: E402

from vidscribe import pipeline  # noqa: E402
from vidscribe.corpus.synthetic import synthetic_transcript  # noqa: E402
from vidscribe.samples import DEMO, make_clip  # noqa: E402
from vidscribe.settings import Settings  # noqa: E402
from vidscribe.transcripts.store import Store  # noqa: E402

WINDOW = (1360, 900)
SYNTHETIC = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_corpus(work: Path) -> tuple[Path, str, float]:
    """The data root, the demo's video ID, and the middle of its first line (where the shot is taken:
    headless Chromium's --screenshot shows the poster, a frame at 1 s, with that line's cue over it)."""
    data = work / "data"
    clip = make_clip(DEMO, work / "demo.mp4")
    model = os.environ.get("VIDSCRIBE_ASR_MODEL")
    if not model:
        import tiny_whisper

        model = str(tiny_whisper.build(work / "tiny-whisper", language="en", transcribe=tiny_whisper.ENGLISH))
        print("note: speech from the tiny test model (a placeholder); set VIDSCRIBE_ASR_MODEL for a real one",
              file=sys.stderr)
    settings = Settings.load(env={}, data=str(data), asr_model=model)
    store = Store(data)
    demo = pipeline.process(str(clip), settings, store)
    demo.video.title, demo.video.uploader, demo.video.upload_date = "vidscribe demo clip", "recruit_demo", "20250301"
    store.save(demo)
    rng = random.Random(11)
    for i in range(SYNTHETIC):
        t = synthetic_transcript(i, rng, lines=16)
        t.video.upload_date = f"2024{1 + i % 12:02d}{1 + (i * 7) % 28:02d}"
        store.save(t)
    line = demo.aligned[0] if demo.aligned else None
    return data, demo.video.id, round((line.start + line.end) / 2, 2) if line else 0.0


def serve(data: Path, log: Path, redis_url: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "VIDSCRIBE_REDIS_URL": redis_url}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "vidscribe", "serve", "--data", str(data), "--port",
                                 str(port)], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=5) as r:
                status = json.load(r)
            if status["catalog"]["ready"] and status["index"]["ready"]:
                return proc, port
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"vidscribe serve did not start: {log.read_text(errors='replace')[-2000:]}")


def screenshot(url: str, out: Path, profile: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise SystemExit("chromium is needed: apt-get install chromium")
    png = out.with_suffix(".png")
    subprocess.run([chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
                    f"--user-data-dir={profile}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                    "--virtual-time-budget=4000", f"--screenshot={png}", url],
                   check=True, timeout=120, capture_output=True)
    image = cv2.imread(str(png))
    cv2.imwrite(str(out), image, [cv2.IMWRITE_WEBP_QUALITY, 82])
    png.unlink()
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size // 1024} KiB")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="vidscribe-screenshots-"))
    try:
        data, demo_id, start = build_corpus(work)
        redis = None
        if shutil.which("redis-server"):  # a queue beside the viewer, as it is usually run
            from servers import start_redis

            redis, redis_url = start_redis(work)
        else:
            redis_url = f"redis://127.0.0.1:{free_port()}/0"
        proc, port = serve(data, work / "serve.log", redis_url)
        try:
            base = f"http://127.0.0.1:{port}"
            screenshot(f"{base}/?sort=date", OUT / "corpus.webp", work / "profile")
            screenshot(f"{base}/videos/{demo_id}?t={start}", OUT / "video.webp", work / "profile")
        finally:
            for p in (proc, redis):
                if p is not None:
                    p.terminate()
                    p.wait(timeout=30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
