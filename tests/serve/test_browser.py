"""The viewer in a real headless Chromium against the real server (`vidscribe serve` on a free
loopback port): the corpus page, a video's player with its WebVTT tracks, seeking from the
transcript and from findings, search and following a hit, author HTML shown as text."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from serve_helpers import HOSTILE_ID, SCREENSHOTS, XSS, LiveServer, ServedCorpus

TRACKS_JS = """
const v = document.getElementById('player');
return Array.from(v.textTracks).map(t => ({label: t.label, language: t.language, mode: t.mode,
  cues: t.cues ? Array.from(t.cues).map(c => ({start: c.startTime, end: c.endTime, text: c.text})) : null}));
"""


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def no_alert(driver: Any) -> None:
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert  # noqa: B018 (the property raises when no script opened an alert)


def ready_player(driver: Any) -> None:
    wait_for(lambda: driver.execute_script("return document.getElementById('player').readyState >= 1"),
             "the clip's metadata to load (can this Chromium play H.264?)")


def test_corpus_page_lists_every_video(browser, live_server: LiveServer, served_corpus: ServedCorpus):
    browser.get(live_server.url("/?per_page=100"))
    rows = browser.find_elements(By.CSS_SELECTOR, "tr.video-row")
    assert {r.get_attribute("data-video-id") for r in rows} == {served_corpus.clip_id, HOSTILE_ID,
                                                                *served_corpus.synthetic}
    hostile = next(r for r in rows if r.get_attribute("data-video-id") == HOSTILE_ID)
    assert hostile.find_element(By.CSS_SELECTOR, "td.title a").text == XSS[0]  # the title, shown as text
    assert hostile.find_element(By.CSS_SELECTOR, "a.account").text == XSS[1]
    no_alert(browser)
    # Redis is not running for this server: the page says so.
    assert "Queue unreachable" in browser.find_element(By.ID, "queue-banner").text
    # Filter by account through the form, then page through 10 per page.
    browser.get(live_server.url("/?per_page=10&sort=id&order=asc"))
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.video-row")) == 10
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    assert "page=2" in browser.current_url and len(browser.find_elements(By.CSS_SELECTOR, "tr.video-row")) == 10


def test_video_page_tracks_seek_and_screenshot(browser, live_server: LiveServer, served_corpus: ServedCorpus):
    clip = served_corpus.clip
    browser.get(live_server.url(f"/videos/{clip.video.id}"))
    ready_player(browser)
    tracks = wait_for(lambda: (t := browser.execute_script(TRACKS_JS)) and all(x["cues"] for x in t) and t,
                      "every text track's cues")
    by_label = {t["label"]: t for t in tracks}
    subtitles = by_label["Subtitles (OCR)"]["cues"]
    assert [c["text"] for c in subtitles] == [c.text for c in clip.subtitles.cues] == ["加入俄罗斯军队", "签约奖金"]
    for got, cue in zip(subtitles, clip.subtitles.cues, strict=True):
        assert got["start"] == pytest.approx(cue.start, abs=0.002) and got["end"] == pytest.approx(cue.end, abs=0.002)
    speech = by_label[f"Speech ({clip.speech.language})"]
    assert [c["text"] for c in speech["cues"]] == [s.text.strip() for s in clip.speech.segments]
    assert speech["language"] == clip.speech.language
    aligned = by_label["Subtitles + speech (aligned)"]
    assert [c["text"].split("\n")[0] for c in aligned["cues"]] == [line.subtitle or "—" for line in clip.aligned]
    assert aligned["mode"] == "showing"  # the default track is the one on screen

    # Click the second transcript line: the player seeks to its start and the line is highlighted.
    lines = browser.find_elements(By.CSS_SELECTOR, "#transcript .line")
    assert len(lines) == len(clip.aligned)
    target = clip.aligned[1].start
    lines[1].find_element(By.CSS_SELECTOR, ".texts").click()
    wait_for(lambda: abs(browser.execute_script("return document.getElementById('player').currentTime")
                         - target) < 0.05, f"currentTime to reach {target}")
    assert "current" in lines[1].get_attribute("class").split()
    assert "current" not in lines[0].get_attribute("class").split()

    # A finding's time link seeks too.
    finding = next(f for f in clip.findings if f.start is not None)
    browser.find_element(By.CSS_SELECTOR, "#findings a.time").click()
    wait_for(lambda: abs(browser.execute_script("return document.getElementById('player').currentTime")
                         - finding.start) < 0.05, "currentTime to reach the finding")

    # Keyframes load (the band crops the subtitles were read from).
    images = browser.find_elements(By.CSS_SELECTOR, "#transcript img.keyframe")
    assert images and all(browser.execute_script("return arguments[0].naturalWidth", i) > 0 for i in images)
    browser.execute_script("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "video-page.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000


def test_search_then_follow_a_hit(browser, live_server: LiveServer, served_corpus: ServedCorpus):
    browser.get(live_server.url("/search"))
    box = browser.find_element(By.ID, "q")
    box.send_keys("奖金", Keys.ENTER)  # two Chinese characters
    wait_for(lambda: "q=" in browser.current_url, "the search to run")
    links = browser.find_elements(By.CSS_SELECTOR, "a.hit-link")
    clip_links = [a for a in links if f"/videos/{served_corpus.clip_id}?" in a.get_attribute("href")]
    assert clip_links, [a.get_attribute("href") for a in links]
    cue = next(c for c in served_corpus.clip.subtitles.cues if "奖金" in c.text)
    clip_links[0].click()
    wait_for(lambda: f"/videos/{served_corpus.clip_id}" in browser.current_url, "the video page")
    ready_player(browser)
    wait_for(lambda: abs(browser.execute_script("return document.getElementById('player').currentTime")
                         - cue.start) < 0.05, "the player to start at the hit")
    current = wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "#transcript .line.current"), "a current line")
    assert "奖金" in current[0].text


def test_hostile_video_page_shows_text_and_runs_nothing(browser, live_server: LiveServer):
    browser.get(live_server.url(f"/videos/{HOSTILE_ID}"))
    assert browser.find_element(By.CSS_SELECTOR, "h1.video-title").text == XSS[0]
    texts = browser.find_element(By.CSS_SELECTOR, "main").text
    for payload in XSS:
        assert payload in texts, payload  # every payload is on the page, as text
    assert not browser.find_elements(By.CSS_SELECTOR, "main script, main iframe, main svg image, img[src=x]")
    assert browser.find_element(By.CSS_SELECTOR, "dd.source-url").find_elements(By.TAG_NAME, "a") == []
    no_alert(browser)
    # The server refused the keyframe that is a symlink out of the data root.
    images = browser.find_elements(By.CSS_SELECTOR, "img.keyframe")
    assert all(browser.execute_script("return arguments[0].naturalWidth", i) == 0 for i in images)
