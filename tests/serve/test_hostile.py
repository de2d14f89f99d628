"""Hostile input: path traversal and symlink escapes, HTML in every author-text field, wrong tokens,
a foreign Host header, broken transcripts. Nothing outside the data root is served, no author text
becomes markup, no token but the configured one writes, no error shows a traceback."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from serve_helpers import HOSTILE_ID, XSS, ServedCorpus
from starlette.testclient import TestClient

from vidscribe.errors import ConfigError
from vidscribe.serve import create_app
from vidscribe.serve.security import CSP
from vidscribe.settings import Settings

TOKEN = "s3cret-token-for-tests"


def make_client(data: Path, **settings: object) -> TestClient:
    loaded = Settings.load(env={}, data=str(data), redis_url="redis://127.0.0.1:9/0", **settings)
    return TestClient(create_app(loaded, background=False, allowed_hosts=["testserver"]),
                      raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(served_corpus: ServedCorpus) -> Iterator[TestClient]:
    with make_client(served_corpus.data) as c:
        yield c


# --- paths ----------------------------------------------------------------------------------------

def traversals(clip: str) -> list[str]:
    return [
        f"/files/{clip}/../../../../etc/passwd", f"/files/{clip}/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"/files/{clip}/..%2f..%2f..%2fetc%2fpasswd", f"/files/{clip}/keyframes/..%2ftranscript.json",
        f"/files/{clip}/keyframes/../../../media/{clip}/source.mp4", f"/files/{clip}/.lock",
        f"/files/{clip}//etc/passwd", f"/files/{clip}/%2fetc%2fpasswd", "/files/..%2f..%2fetc/passwd",
        f"/files/{HOSTILE_ID}/keyframes/0002.jpg",  # a symlink out of the data root
        f"/media/{HOSTILE_ID}/source", f"/media/{HOSTILE_ID}/secret.jpg",  # the media folder is such a symlink
        f"/media/{clip}/source.mp4", f"/media/{clip}/..%2f..%2f..%2fetc%2fpasswd", "/media/%2e%2e/source",
        "/media/..%2f..%2fetc/passwd", f"/thumbs/{HOSTILE_ID}.jpg?x", "/thumbs/..%2f..%2fetc%2fpasswd.jpg",
        "/static/..%2f..%2fserve%2fapp.py", "/static/%2e%2e/app.py", "/videos/..%2f..%2fetc%2fpasswd",
        "/api/videos/..%2f..%2fetc/transcript", "/videos/-rf", "/videos/" + "a" * 200,
    ]


def test_nothing_outside_a_videos_folder_is_served(client: TestClient, served_corpus: ServedCorpus):
    for path in traversals(served_corpus.clip_id):
        response = client.get(path)
        body = response.content
        assert b"root:" not in body and b"SECRET" not in body, path
        if path.startswith("/thumbs/") and response.status_code == 200:  # a valid ID: the placeholder at worst
            assert response.headers["content-type"].startswith("image/svg+xml"), path
            continue
        assert response.status_code in (404, 400), (path, response.status_code)


def test_a_transcript_that_is_a_symlink_out_is_not_shown(served_corpus: ServedCorpus, tmp_path: Path):
    data = tmp_path / "data"
    folder = data / "transcripts" / "escape-1"
    folder.mkdir(parents=True)
    (folder / "transcript.json").symlink_to(served_corpus.data / "transcripts" / HOSTILE_ID / "transcript.json")
    with make_client(data) as c:
        assert c.get("/videos/escape-1").status_code == 404
        assert c.get("/files/escape-1/transcript.json").status_code == 404
        assert c.get("/api/videos").json()["total"] == 0


# --- author text ----------------------------------------------------------------------------------

class Markup(HTMLParser):
    """Every element and attribute of a page, to find any that author text created."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Markup:
    parser = Markup()
    parser.feed(html)
    return parser


def assert_inert(html: str, shown: list[str]) -> None:
    page = parse(html)
    scripts = [attrs.get("src") for tag, attrs in page.tags if tag == "script"]
    assert scripts == ["/static/app.js"], scripts
    assert not [t for t, _ in page.tags if t in ("iframe", "svg", "object", "embed") and t != "svg"]
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    assert not [t for t, attrs in page.tags if t == "img" and attrs.get("src") == "x"]
    hrefs = [attrs.get("href") or "" for _, attrs in page.tags]
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))], hrefs
    text = "".join(page.text)
    for payload in shown:
        assert payload in text, payload  # shown, as text


def test_author_html_is_text_on_every_page(client: TestClient):
    video = client.get(f"/videos/{HOSTILE_ID}")
    assert video.status_code == 200
    assert_inert(video.text, XSS)
    corpus = client.get("/", params={"per_page": 200})
    assert_inert(corpus.text, XSS[:2])
    search = client.get("/search", params={"q": "签约"})
    assert_inert(search.text, [XSS[0]])
    account = client.get("/account", params={"name": XSS[1]})
    assert account.status_code == 200
    assert_inert(account.text, XSS[:2])
    error = client.get("/account", params={"name": XSS[0]})  # unknown: the name is not echoed raw either
    assert error.status_code == 404 and "<script>" not in error.text


def test_the_policy_forbids_inline_script(client: TestClient):
    for path in ("/", f"/videos/{HOSTILE_ID}", "/api/status", "/nope", "/static/app.css"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CSP, path
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    script_src = next(d for d in CSP.split(";") if d.strip().startswith("script-src"))
    assert script_src.split() == ["script-src", "'self'"]
    assert "unsafe" not in CSP


def test_the_api_returns_author_text_as_json(client: TestClient):
    response = client.get(f"/api/videos/{HOSTILE_ID}/transcript")
    assert response.headers["content-type"] == "application/json"
    assert response.json()["video"]["title"] == XSS[0]


# --- tokens ---------------------------------------------------------------------------------------

ENQUEUE = {"sources": ["https://www.douyin.com/video/7312345678901234567"]}


def basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"anyone:{password}".encode()).decode()


def test_writes_are_off_without_a_token(client: TestClient):
    response = client.post("/api/enqueue", json=ENQUEUE)
    assert response.status_code == 403 and "VIDSCRIBE_API_TOKEN" in response.json()["error"]
    assert client.post("/api/reprocess", json={"failed": True}).status_code == 403
    assert client.get("/api/enqueue").status_code == 405


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong", f"Bearer {TOKEN}x",
                                           f"bearer {TOKEN[:-1]}", f"Token {TOKEN}", basic(TOKEN), TOKEN])
def test_a_wrong_token_writes_nothing(served_corpus: ServedCorpus, authorization: str | None):
    headers = {"authorization": authorization} if authorization is not None else {}
    with make_client(served_corpus.data, api_token=TOKEN) as c:
        for path, body in (("/api/enqueue", ENQUEUE), ("/api/reprocess", {"failed": True})):
            response = c.post(path, json=body, headers=headers)
            assert response.status_code == 401, (authorization, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
        # the right token gets through (to the queue, which is not running here)
        right = c.post("/api/enqueue", json=ENQUEUE, headers={"authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 503 and "queue unreachable" in right.json()["error"]


def test_write_bodies_are_checked(served_corpus: ServedCorpus):
    auth = {"authorization": f"Bearer {TOKEN}"}
    with make_client(served_corpus.data, api_token=TOKEN) as c:
        assert c.post("/api/enqueue", content=b"sources=x", headers={**auth, "content-type":
                                                                      "application/x-www-form-urlencoded"}
                      ).status_code == 415
        assert c.post("/api/enqueue", content=b"{not json", headers={**auth, "content-type": "application/json"}
                      ).status_code == 400
        assert c.post("/api/enqueue", json={"sources": "one"}, headers=auth).status_code == 400
        assert c.post("/api/enqueue", json={"sources": ["x"] * 5000}, headers=auth).status_code == 400
        big = json.dumps({"sources": ["x" * 1000] * 1100}).encode()
        assert c.post("/api/enqueue", content=big, headers={**auth, "content-type": "application/json"}
                      ).status_code == 413
        assert c.post("/api/reprocess", json={"video_ids": ["../etc"], "stage": "speech"}, headers=auth
                      ).status_code == 400
        assert c.post("/api/reprocess", json={"video_ids": [HOSTILE_ID], "stage": "media"}, headers=auth
                      ).status_code == 400
        assert c.post("/api/reprocess", json={"video_ids": [HOSTILE_ID]}, headers=auth).status_code == 400


def test_closed_reading_needs_the_token(served_corpus: ServedCorpus):
    with make_client(served_corpus.data, api_token=TOKEN, serve_read_open=False) as c:
        page = c.get("/")
        assert page.status_code == 401 and page.headers["www-authenticate"].startswith("Basic")
        assert c.get("/api/videos").status_code == 401
        assert c.get(f"/media/{served_corpus.clip_id}/source").status_code == 401
        assert c.get("/", headers={"authorization": basic("wrong")}).status_code == 401
        assert c.get("/", headers={"authorization": basic(TOKEN)}).status_code == 200
        assert c.get("/api/videos", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        # a browser's remembered Basic password never writes
        assert c.post("/api/enqueue", json=ENQUEUE, headers={"authorization": basic(TOKEN)}).status_code == 401
    with pytest.raises(ConfigError, match="VIDSCRIBE_API_TOKEN"):
        create_app(Settings.load(env={}, data=str(served_corpus.data), serve_read_open=False))


def test_only_loopback_host_names_are_answered(served_corpus: ServedCorpus):
    app = create_app(Settings.load(env={}, data=str(served_corpus.data), redis_url="redis://127.0.0.1:9/0"),
                     background=False)
    with TestClient(app, base_url="http://127.0.0.1:8000") as c:
        assert c.get("/api/status").status_code == 200
        assert c.get("/api/status", headers={"host": "localhost:8000"}).status_code == 200
        rebound = c.get("/api/status", headers={"host": "attacker.example"})  # DNS rebinding
        assert rebound.status_code == 400


# --- errors ---------------------------------------------------------------------------------------

def test_errors_are_plain_pages_or_json_never_tracebacks(tmp_path: Path):
    data = tmp_path / "data"
    broken = {"unreadable-1": "{not json", "wrong-shape": json.dumps({"schema_version": 1, "video": "nope"}),
              # valid JSON the pages cannot sort: cue times that are not numbers (a bug path: a 500)
              "odd-times": json.dumps({"schema_version": 1, "video": {"id": "odd-times", "source": "x"},
                                       "subtitles": {"cues": [{"start": "a", "end": 1, "text": "x", "confidence": 1},
                                                              {"start": 1.0, "end": 2, "text": "y",
                                                               "confidence": 1}]}})}
    for vid, text in broken.items():
        (data / "transcripts" / vid).mkdir(parents=True)
        (data / "transcripts" / vid / "transcript.json").write_text(text)
    with make_client(data) as c:
        for vid in broken:
            page = c.get(f"/videos/{vid}")
            assert page.status_code == 500, vid
            assert "Traceback" not in page.text and str(data) not in page.text and "File " not in page.text
            api = c.get(f"/api/videos/{vid}/transcript")
            if vid == "odd-times":  # loads: the API gives it back as it is
                assert api.status_code == 200 and api.json()["subtitles"]["cues"][0]["start"] == "a"
                continue
            assert api.status_code == 500 and set(api.json()) == {"error"}
            assert "Traceback" not in api.text and str(data) not in api.text
        listing = c.get("/api/videos").json()
        assert {v["video_id"]: v["readable"] for v in listing["videos"]}["unreadable-1"] is False
        assert c.get("/").status_code == 200


def test_urls_come_from_the_folder_not_from_the_file(served_corpus: ServedCorpus, tmp_path: Path):
    """A transcript.json whose own `video.id` is markup: every URL on its page uses the folder's ID."""
    data = tmp_path / "data"
    shutil.copytree(served_corpus.data / "transcripts" / HOSTILE_ID, data / "transcripts" / "inner-1", symlinks=True)
    path = data / "transcripts" / "inner-1" / "transcript.json"
    doc = json.loads(path.read_text())
    doc["video"]["id"] = XSS[1]
    path.write_text(json.dumps(doc))
    with make_client(data) as c:
        page = c.get("/videos/inner-1")
    assert page.status_code == 200
    assert_inert(page.text, [XSS[0]])
    urls = [v for _, attrs in parse(page.text).tags for k, v in attrs.items() if k in ("src", "href", "poster") and v]
    assert "/files/inner-1/transcript.json?download=1" in urls and "/files/inner-1/keyframes/0002.jpg" in urls
    assert not [u for u in urls if '<' in u or '"' in u]


def test_serve_refuses_what_it_cannot_serve(tmp_path: Path):
    from click.testing import CliRunner

    from vidscribe.cli import cli

    result = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path), "--no-serve-read-open"],
                                env={"VIDSCRIBE_API_TOKEN": None})
    assert result.exit_code != 0 and "VIDSCRIBE_API_TOKEN" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    missing = CliRunner().invoke(cli, ["serve", "--data", str(tmp_path / "typo")])
    assert missing.exit_code != 0 and "no data root" in missing.output and not (tmp_path / "typo").exists()
