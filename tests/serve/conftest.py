"""Fixtures for `vidscribe serve`: the corpus (`serve_helpers`), the real server as a subprocess on a
free loopback port, headless Chromium driven by Selenium."""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_helpers import HOSTILE_ID, SYNTHETIC, LiveServer, ServedCorpus, hostile_transcript, start_server, stop_server

from vidscribe import pipeline
from vidscribe.corpus.synthetic import synthetic_transcript
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store


@pytest.fixture(scope="session")
def served_corpus(clips: dict[str, Path], tiny_asr_model: Path, tmp_path_factory: pytest.TempPathFactory
                  ) -> ServedCorpus:
    base = tmp_path_factory.mktemp("serve")
    data = base / "data"
    settings = Settings.load(env={}, data=str(data), asr_model=str(tiny_asr_model))
    store = Store(data)
    clip = pipeline.process(str(clips["small"]), settings, store)
    assert not pipeline.failed_stages(clip), clip.stages
    store.save(hostile_transcript())
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.jpg").write_bytes(b"SECRET OUTSIDE THE DATA ROOT")
    (outside / "source.mp4").write_bytes(b"SECRET MEDIA OUTSIDE")
    keyframes = store.transcript_dir(HOSTILE_ID) / "keyframes"
    keyframes.mkdir(parents=True, exist_ok=True)
    (keyframes / "0002.jpg").symlink_to(outside / "secret.jpg")
    store.media_dir(HOSTILE_ID).parent.mkdir(parents=True, exist_ok=True)
    store.media_dir(HOSTILE_ID).symlink_to(outside, target_is_directory=True)
    rng = random.Random(3)
    synthetic = []
    for i in range(SYNTHETIC):
        t = synthetic_transcript(i, rng, lines=12)
        t.video.upload_date = f"2024{1 + i % 12:02d}{1 + i % 27:02d}"
        store.save(t)
        synthetic.append(t.video.id)
    return ServedCorpus(data, clip.video.id, clip, synthetic, outside)


@pytest.fixture(scope="session")
def live_server(served_corpus: ServedCorpus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(served_corpus.data, tmp_path_factory.mktemp("serve-log"))
    yield server
    stop_server(server)


def _find(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Chromium (Debian's chromium + chromium-driver) through Selenium; no browser download."""
    chromium, driver_path = _find("chromium", "chromium-browser"), _find("chromedriver")
    if not chromium or not driver_path:
        pytest.fail("chromium and chromedriver are required for the browser tests: run ./dev setup "
                    "(apt-get install chromium chromium-driver)", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio",
                "--window-size=1360,1000", "--autoplay-policy=no-user-gesture-required", "--lang=en-US",
                "--no-first-run", "--disable-extensions", "--disable-background-networking"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
