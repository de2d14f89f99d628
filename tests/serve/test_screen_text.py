"""Screen text in the viewer and the API (ASGI client, a corpus of its own): the video page lists
the blocks with keyframe and seek link, a still's page shows the picture instead of a <video>,
search finds the screen track, the transcript API carries screen_text; author text stays text."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest
from starlette.testclient import TestClient

from vidscribe.analysis.lexicon import load_lexicons
from vidscribe.analysis.stage import analyse
from vidscribe.serve import create_app
from vidscribe.serve.security import CSP
from vidscribe.settings import Settings
from vidscribe.transcripts.model import Cue, ScreenText, StageRecord, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.store import Store

VIDEO = "douyin-7300000000000000002"
STILL = "file-00000000000000cc"
XSS = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
BLOCK = ScreenText(4.0, 9.5, f"报名条件 {XSS}\n电话：+7 999 123-45-67", 0.91, keyframe="keyframes/screen-0001.jpg")
POST = ScreenText(0.0, 0.0, "招聘：俄罗斯合同兵\n微信：zhaomu888", 0.88, keyframe="keyframes/screen-0001.jpg")


def _jpeg() -> bytes:
    return cv2.imencode(".jpg", np.full((8, 8, 3), 200, np.uint8))[1].tobytes()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("screen") / "data"
    store = Store(data)
    lexicons = load_lexicons("default")
    for t, media in ((Transcript(video=VideoMeta(id=VIDEO, source="https://www.douyin.com/video/7300000000000000002",
                                                 duration=10.0),
                                 subtitles=Subtitles(cues=[Cue(0.5, 3.0, "今天报名", 0.9)], screen_text=[BLOCK]),
                                 stages={"analysis": StageRecord("done")}), None),
                     (Transcript(video=VideoMeta(id=STILL, source="/posts/post.png", width=8, height=8),
                                 subtitles=Subtitles(still=True, screen_text=[POST])),
                      ("source.png", cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))[1].tobytes()))):
        t.findings = analyse(t, lexicons, ["RU", "CN"])
        store.save(t)
        (store.transcript_dir(t.video.id) / "keyframes").mkdir(exist_ok=True)
        (store.transcript_dir(t.video.id) / "keyframes" / "screen-0001.jpg").write_bytes(_jpeg())
        if media:
            store.media_dir(t.video.id).mkdir(parents=True, exist_ok=True)
            (store.media_dir(t.video.id) / media[0]).write_bytes(media[1])
    settings = Settings.load(env={}, data=str(data), redis_url="redis://127.0.0.1:9/0")
    with TestClient(create_app(settings, background=False, allowed_hosts=["testserver"])) as c:
        yield c


class Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag and all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]


def test_the_video_page_lists_screen_text_with_keyframe_and_seek_link(client: TestClient):
    page = client.get(f"/videos/{VIDEO}")
    assert page.status_code == 200 and page.headers["content-security-policy"] == CSP
    html = Tags(page.text)
    assert html.find("section", id="screen-text") and html.find("li", id="screen-1")
    assert html.find("a", class_="time", href="?t=4.0")[0]["data-seek"] == "4.0"
    frame = f"/files/{VIDEO}/keyframes/screen-0001.jpg"
    assert html.find("img", class_="keyframe", src=frame)
    assert XSS in "".join(html.text)  # shown as text
    assert [a.get("src") for t, a in html.tags if t == "script"] == ["/static/app.js"]
    assert not [k for _, a in html.tags for k in a if k.startswith("on")]
    assert not html.find("img", src="x")
    # The phone read from the block links back to it.
    assert html.find("a", class_="frame", href=frame)
    assert html.find("video", id="player") == []  # no media stored for it: no player
    assert client.get(frame).headers["content-type"] == "image/jpeg"


def test_a_still_shows_its_picture_instead_of_a_video(client: TestClient):
    page = client.get(f"/videos/{STILL}")
    assert page.status_code == 200
    html = Tags(page.text)
    assert html.find("img", id="still", src=f"/media/{STILL}/source")
    assert not [t for t, _ in html.tags if t == "video"]
    assert "still" in [s.strip() for s in html.text]
    assert not html.find("a", class_="time")  # a still has no time to seek to
    assert "招聘：俄罗斯合同兵\n微信：zhaomu888" in "".join(html.text)
    picture = client.get(f"/media/{STILL}/source")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.headers["x-content-type-options"] == "nosniff"


def test_the_transcript_api_carries_screen_text(client: TestClient):
    body = client.get(f"/api/videos/{STILL}/transcript").json()
    assert body["subtitles"]["still"] is True
    assert [(b["text"], b["keyframe"], b["start"]) for b in body["subtitles"]["screen_text"]] == [
        (POST.text, "keyframes/screen-0001.jpg", 0.0)]
    tracks = {(f["track"], f["kind"]) for f in body["findings"]}
    assert ("screen", "wechat") in tracks


def test_search_finds_the_screen_track(client: TestClient):
    body = client.get("/api/search", params={"q": "报名", "track": "screen"}).json()
    assert [(h["video_id"], h["track"], h["start"], h["keyframe"]) for h in body["hits"]] == [
        (VIDEO, "screen", 4.0, f"transcripts/{VIDEO}/keyframes/screen-0001.jpg")]
    everything = client.get("/api/search", params={"q": "报名"}).json()
    assert {h["track"] for h in everything["hits"]} == {"subtitles", "screen"}
    phone = client.get("/api/search", params={"q": "89991234567"}).json()["hits"]
    assert [(h["track"], h["kind"]) for h in phone] == [("screen", "phone")]

    page = client.get("/search", params={"q": "报名", "track": "screen"})
    assert page.status_code == 200
    html = Tags(page.text)
    assert "<option selected>screen</option>" in page.text
    assert html.find("img", class_="keyframe hit-frame", src=f"/files/{VIDEO}/keyframes/screen-0001.jpg")
    assert html.find("a", class_="hit-link", href=f"/videos/{VIDEO}?t=4.0")
    assert client.get("/search", params={"q": "报名", "track": "nope"}).status_code == 400


def test_findings_api_names_the_screen_track(client: TestClient):
    rows = client.get("/api/findings", params={"video_id": STILL}).json()["findings"]
    assert {(r["track"], r["kind"], r["value"]) for r in rows} >= {("screen", "wechat", "zhaomu888")}
    assert all(r["start"] == 0.0 for r in rows)


def test_the_api_description_names_the_screen_track(client: TestClient):
    doc = client.get("/api/openapi.json").json()
    track = next(p for p in doc["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "track")
    assert "screen" in track["schema"]["enum"]


def test_the_screen_text_section_keeps_its_html_well_formed(client: TestClient):
    page = client.get(f"/videos/{VIDEO}").text
    body = page.split('<section id="screen-text"', 1)[1].split("</section>", 1)[0]
    assert body.count("<li") == body.count("</li>") == 1
    assert "&lt;script&gt;" in body and "<script>" not in body
