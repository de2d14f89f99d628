"""Shared fixtures: generated clips (ground truth known) and a local HTTP server on 127.0.0.1.

Area-specific fixtures live in the conftest of each tests/<area>/ folder.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from servers import LocalServer, free_port, start_redis, static_handler

from vidscribe.samples import ClipSpec, TextLayer, Utterance, make_clip

for tool in ("ffmpeg", "ffprobe", "espeak-ng"):
    if not shutil.which(tool):  # fail loudly: a skipped integration test would hide a broken setup
        raise RuntimeError(f"{tool} is required for the tests: run ./dev setup "
                           "(apt-get install ffmpeg espeak-ng fonts-noto-cjk)")

SMALL_CLIP = ClipSpec(
    duration=4.0,
    width=320,
    height=568,
    fps=25,
    background="color=c=0x203040",
    layers=[
        TextLayer("加入俄罗斯军队", 0.4, 2.0, size=28, y="h*0.8"),
        TextLayer("签约奖金", 2.0, 3.6, size=28, y="h*0.8"),
    ],
    speech=[Utterance(0.5, "Sign the contract today.", "en-us")],
)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A few small generated media files, made once per test session."""
    root = tmp_path_factory.mktemp("clips")
    out = {
        "small": make_clip(SMALL_CLIP, root / "small.mp4"),
        "silent": make_clip(ClipSpec(duration=2.0, width=160, height=120, audio=False), root / "silent.mp4"),
        "long": make_clip(ClipSpec(duration=12.0, width=64, height=64, fps=5, speech=[]), root / "long.mp4"),
    }
    (root / "empty.mp4").write_bytes(b"")
    out["empty"] = root / "empty.mp4"
    (root / "corrupt.mp4").write_bytes(out["small"].read_bytes()[:4000][::-1] * 3)
    out["corrupt"] = root / "corrupt.mp4"
    (root / "notes.mp4").write_text("this is a text file with a video name\n" * 50)
    out["text"] = root / "notes.mp4"
    return out


@pytest.fixture()
def http_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A static file server on 127.0.0.1 that counts requests per path (to prove no re-download)."""
    root = tmp_path / "www"
    root.mkdir()
    server_state = LocalServer(root, "")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), static_handler(server_state))
    server_state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server_state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture()
def data_root(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture(scope="session")
def tiny_asr_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny deterministic Whisper model (CTranslate2 format), built offline in ~0.3 s."""
    import tiny_whisper

    return tiny_whisper.build(tmp_path_factory.mktemp("tiny-asr") / "ru", language="ru")


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server for the test session on a free port (never the machine's 6379)."""
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture()
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    Redis.from_url(redis_server).flushall()
    return redis_server
