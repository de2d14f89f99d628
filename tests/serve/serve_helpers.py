"""Helpers of the `vidscribe serve` tests (their fixtures are in conftest.py): hostile transcripts
(HTML in every author-text field, traversal and symlink tricks), the corpus description, and the
real server as a subprocess on a free loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from servers import free_port

from vidscribe.transcripts.model import (
    AlignedLine,
    Cue,
    Finding,
    Overlay,
    Segment,
    Speech,
    StageRecord,
    Subtitles,
    Transcript,
    VideoMeta,
)

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("VIDSCRIBE_SCREENSHOT_DIR", ROOT / "build" / "test-screenshots"))
SYNTHETIC = 30
HOSTILE_ID = "hostile-1"
# One payload per way HTML could be smuggled in: a tag, an attribute break-out, an entity.
XSS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(2)>",
       "</textarea><iframe src=javascript:alert(3)>", "&lt;b&gt;entity&lt;/b&gt;"]


def hostile_transcript() -> Transcript:
    """Author text that tries to become markup in every field the viewer shows."""
    x = XSS
    cue = Cue(0.5, 1.5, f"签约 {x[0]}", 0.9, keyframe="../../../../etc/passwd")
    cue2 = Cue(1.5, 2.5, x[1], 0.9, keyframe="keyframes/0002.jpg")  # a symlink out of the data root (see below)
    return Transcript(
        video=VideoMeta(id=HOSTILE_ID, source="javascript:alert(4)", title=x[0], uploader=x[1], uploader_id=x[1],
                        channel=x[2], webpage_url='https://example.org/"><script>alert(5)</script>',
                        upload_date=x[3], duration=3.0, sha256=x[4]),
        stages={"media": StageRecord("done", 1.0, "1", None, x[2]), "speech": StageRecord("failed", 0.1, x[3], x[0])},
        speech=Speech(language='"><script>', segments=[Segment(0.5, 1.5, x[2]), Segment(1.6, 2.4, x[3])],
                      model=x[0]),
        subtitles=Subtitles(cues=[cue, cue2], overlays=[Overlay(0.0, 3.0, f"抖音号：{x[4]}", 0.95, kind=x[0])],
                            engine=x[1]),
        aligned=[AlignedLine(0.5, 1.5, cue.text, x[2], cues=[0]), AlignedLine(1.5, 2.5, cue2.text, x[3], cues=[1])],
        findings=[Finding(x[0], x[1], x[2], 0.5, 1.5, x[3], context=x[4], label=x[0]),
                  Finding("phone", "+79991234567", x[1], 1.5, 2.5, "subtitle", region="RU")],
    )


@dataclass
class ServedCorpus:
    data: Path
    clip_id: str  # the clip processed by the real pipeline
    clip: Transcript
    synthetic: list[str]
    outside: Path  # a folder outside the data root, with a secret the server must never serve


@dataclass
class LiveServer:
    base: str
    process: subprocess.Popen
    log: Path

    def url(self, path: str) -> str:
        return self.base + path


def start_server(data: Path, workdir: Path, env: dict[str, str] | None = None, timeout: float = 60) -> LiveServer:
    """`vidscribe serve` as a subprocess on a free loopback port, once its first refresh is done."""
    port = free_port()
    log = workdir / f"serve-{port}.log"
    full_env = {**os.environ, "VIDSCRIBE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", **(env or {})}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "vidscribe", "serve", "--data", str(data), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=full_env)
    server = LiveServer(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + timeout
    token = full_env.get("VIDSCRIBE_API_TOKEN")
    headers = {"authorization": f"Bearer {token}"} if token else {}
    while True:
        try:
            status = httpx.get(server.url("/api/status"), headers=headers, timeout=5).json()
            if status["catalog"]["ready"] and status["index"]["ready"]:
                return server
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"vidscribe serve did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=5)
