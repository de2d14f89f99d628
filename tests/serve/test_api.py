"""The JSON API and the file routes through Starlette's ASGI test client (the app as `vidscribe
serve` builds it, catalog and index refreshed once at start-up), plus Range requests against the
real server."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from serve_helpers import HOSTILE_ID, SYNTHETIC, LiveServer, ServedCorpus
from starlette.routing import Route
from starlette.testclient import TestClient

from vidscribe import corpus
from vidscribe.serve import create_app
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store


@pytest.fixture(scope="module")
def client(served_corpus: ServedCorpus) -> Iterator[TestClient]:
    settings = Settings.load(env={}, data=str(served_corpus.data), redis_url="redis://127.0.0.1:9/0")
    app = create_app(settings, background=False, allowed_hosts=["testserver"])
    with TestClient(app) as c:
        yield c


def _transcripts(served_corpus: ServedCorpus) -> dict:
    store = Store(served_corpus.data)
    return {vid: store.load(vid) for vid in store.video_ids()}


def test_videos_listing_pages_filters_and_sorts(client: TestClient, served_corpus: ServedCorpus):
    everything = _transcripts(served_corpus)
    first = client.get("/api/videos", params={"per_page": 10, "sort": "id", "order": "asc"}).json()
    assert first["total"] == SYNTHETIC + 2 == len(everything)
    assert [v["video_id"] for v in first["videos"]] == sorted(everything)[:10]
    third = client.get("/api/videos", params={"per_page": 10, "sort": "id", "order": "asc", "page": 3}).json()
    assert [v["video_id"] for v in third["videos"]] == sorted(everything)[20:30]

    row = next(v for v in first["videos"] if v["video_id"] == served_corpus.clip_id)
    clip = served_corpus.clip
    assert row["cues"] == len(clip.subtitles.cues) and row["findings"] == len(clip.findings)
    assert row["stages"] == {name: "done" for name in row["stages"]} and row["state"] == "done"
    assert row["sha256"] == clip.video.sha256 and row["duration"] == pytest.approx(clip.video.duration)

    with_phone = {vid for vid, t in everything.items() if any(f.kind == "phone" for f in t.findings)}
    got = client.get("/api/videos", params={"kind": "phone", "per_page": 200}).json()
    assert {v["video_id"] for v in got["videos"]} == with_phone and got["total"] == len(with_phone)

    account = everything[served_corpus.synthetic[0]].video.uploader
    got = client.get("/api/videos", params={"account": account}).json()["videos"]
    assert {v["video_id"] for v in got} == {vid for vid, t in everything.items() if t.video.uploader == account
                                            and not t.video.uploader_id}

    failed = client.get("/api/videos", params={"stage": "speech", "state": "failed"}).json()["videos"]
    assert [v["video_id"] for v in failed] == [HOSTILE_ID]
    done = client.get("/api/videos", params={"state": "done"}).json()["videos"]
    assert [v["video_id"] for v in done] == [served_corpus.clip_id]
    pending = client.get("/api/videos", params={"stage": "analysis", "state": "pending", "per_page": 200}).json()
    assert pending["total"] == SYNTHETIC + 1  # all but the processed clip

    dated = client.get("/api/videos", params={"from": "2024-03-01", "to": "2024-04-30", "per_page": 200,
                                              "sort": "date", "order": "asc"}).json()["videos"]
    dates = [v["upload_date"] for v in dated]
    assert dates == sorted(dates) and dates and all("20240301" <= d <= "20240430" for d in dates)
    durations = [v["duration"] for v in client.get("/api/videos", params={"sort": "duration", "order": "asc",
                                                                          "per_page": 200}).json()["videos"]]
    assert durations == sorted(durations)


@pytest.mark.parametrize("params", [{"sort": "nope"}, {"page": "0"}, {"per_page": "1000"}, {"from": "yesterday"},
                                    {"state": "exploded"}, {"stage": "nope"}])
def test_bad_parameters_are_json_errors(client: TestClient, params: dict):
    response = client.get("/api/videos", params=params)
    assert response.status_code == 400 and set(response.json()) == {"error"}
    page = client.get("/", params=params)
    assert page.status_code == 400 and "text/html" in page.headers["content-type"]


def test_one_video_and_its_transcript(client: TestClient, served_corpus: ServedCorpus):
    vid = served_corpus.clip_id
    body = client.get(f"/api/videos/{vid}").json()
    names = {f["name"] for f in body["files"]}
    assert {"transcript.json", "subtitles.vtt", "speech.vtt", "aligned.vtt", "source.mp4", "info.json"} <= names
    assert client.get(f"/api/videos/{vid}/transcript").json() == Store(served_corpus.data).load(vid).to_dict()
    assert client.get("/api/videos/nope-404").status_code == 404
    assert client.get("/api/videos/nope-404/transcript").json() == {"error": "no such video"}


@pytest.mark.parametrize(("query", "track"), [
    ("签约", None), ("军", None), ("奖金", "subtitles"), ("加入俄罗斯军队", None), ("контракт", None),
    ("+7 999 123-45-67", None), ("89991234567", None), ("2000000", None), ("zzzz", None)])
def test_search_is_vidscribe_search(client: TestClient, served_corpus: ServedCorpus, query: str, track: str | None):
    """The same hits as the library's search (what `vidscribe search --json` prints), 1-2 CJK characters too."""
    got = client.get("/api/search", params={"q": query, "track": track or "", "limit": 200}).json()
    expected = corpus.search(Store(served_corpus.data), query, track=track, limit=200)
    assert got["hits"] == [dataclasses.asdict(h) for h in expected]
    assert got["total"] == len(expected)
    if query in ("签约", "军", "+7 999 123-45-67"):
        assert got["hits"], query


def test_search_page_links_hits_at_their_time(client: TestClient, served_corpus: ServedCorpus):
    page = client.get("/search", params={"q": "签约"}).text
    cue = next(c for c in served_corpus.clip.subtitles.cues if "签约" in c.text)
    assert f'href="/videos/{served_corpus.clip_id}?t={cue.start}"' in page
    assert "<mark>签约</mark>" in page


def test_findings_and_accounts(client: TestClient, served_corpus: ServedCorpus):
    everything = _transcripts(served_corpus)
    phones = client.get("/api/findings", params={"kind": "phone", "per_page": 1000}).json()
    expected = sorted((vid, f.value) for vid, t in everything.items() for f in t.findings if f.kind == "phone")
    assert sorted((f["video_id"], f["value"]) for f in phones["findings"]) == expected
    accounts = client.get("/api/accounts").json()["accounts"]
    assert sum(a["videos"] for a in accounts) == len(everything) - 1  # the processed local file has no uploader
    vid, phone = next((vid, v) for vid, v in expected if vid != HOSTILE_ID)
    account = everything[vid].video.uploader
    summary = client.get("/api/account", params={"name": account}).json()
    assert any(a["value"] == phone and vid in a["videos"] for a in summary["findings"]["phones"])
    assert summary["videos"] and summary["timeline"]
    page = client.get("/account", params={"name": account})
    assert page.status_code == 200 and phone in page.text
    assert client.get("/api/account", params={"name": "nobody"}).status_code == 404


def test_status_says_the_queue_is_unreachable(client: TestClient):
    status = client.get("/api/status").json()
    assert status["videos"] == SYNTHETIC + 2
    assert status["stages"]["speech"]["failed"] == 1 and status["failed"][0]["video_id"] == HOSTILE_ID
    assert status["queue"]["reachable"] is False and "cannot reach Redis" in status["queue"]["error"]
    assert status["write_enabled"] is False
    assert 'id="queue-banner"' in client.get("/").text


def test_openapi_describes_every_api_route(client: TestClient):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    routes = [r for r in client.app.routes if isinstance(r, Route) and r.path.startswith("/api/")]
    assert routes
    for route in routes:
        methods = {m.lower() for m in route.methods or ()} - {"head"}
        assert route.path in doc["paths"], route.path
        assert methods == set(doc["paths"][route.path]), route.path


def test_files_have_their_media_types(client: TestClient, served_corpus: ServedCorpus):
    vid = served_corpus.clip_id
    types = {f"/files/{vid}/subtitles.vtt": "text/vtt", f"/files/{vid}/aligned.srt": "application/x-subrip",
             f"/files/{vid}/transcript.md": "text/markdown", f"/files/{vid}/transcript.json": "application/json",
             f"/files/{vid}/speech.txt": "text/plain", f"/files/{vid}/keyframes/0001.jpg": "image/jpeg",
             f"/media/{vid}/source": "video/mp4", f"/media/{vid}/audio.wav": "audio/wav",
             f"/media/{vid}/info.json": "application/json", f"/thumbs/{vid}.jpg": "image/jpeg",
             f"/thumbs/{served_corpus.synthetic[0]}.jpg": "image/svg+xml", "/static/app.js": "text/javascript"}
    for url, expected in types.items():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].split(";")[0] == expected, url
        assert response.headers["x-content-type-options"] == "nosniff"
    download = client.get(f"/files/{vid}/subtitles.vtt", params={"download": "1"})
    assert download.headers["content-disposition"] == 'attachment; filename="subtitles.vtt"'
    assert download.text == (served_corpus.data / "transcripts" / vid / "subtitles.vtt").read_text(encoding="utf-8")


def test_range_requests_on_the_real_server(live_server: LiveServer, served_corpus: ServedCorpus):
    url = live_server.url(f"/media/{served_corpus.clip_id}/source")
    media = (served_corpus.data / "media" / served_corpus.clip_id / "source.mp4").read_bytes()
    head = httpx.get(url, headers={"range": "bytes=0-99"})
    assert head.status_code == 206 and head.content == media[:100]
    assert head.headers["content-range"] == f"bytes 0-99/{len(media)}"
    assert head.headers["content-type"] == "video/mp4" and head.headers["accept-ranges"] == "bytes"
    tail = httpx.get(url, headers={"range": "bytes=-1000"})
    assert tail.status_code == 206 and tail.content == media[-1000:]
    whole = httpx.get(url)
    assert whole.status_code == 200 and whole.content == media
    assert httpx.get(url, headers={"range": f"bytes={len(media) + 10}-"}).status_code == 416


def test_pages_render(client: TestClient, served_corpus: ServedCorpus):
    for url in ("/", f"/videos/{served_corpus.clip_id}", "/search", "/search?q=军", "/?kind=phone&sort=findings"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"] == "text/html; charset=utf-8"
    video = client.get(f"/videos/{served_corpus.clip_id}").text
    for track in ("subtitles", "speech", "aligned"):
        assert f'src="/files/{served_corpus.clip_id}/{track}.vtt"' in video
    assert served_corpus.clip.video.sha256 in video
