"""POST /api/enqueue and /api/reprocess with the token, against a real redis-server on a free
loopback port: jobs land on the RQ queues as `vidscribe enqueue`/`reprocess` put them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from redis import Redis
from serve_helpers import ServedCorpus
from starlette.testclient import TestClient

from vidscribe.queue.connection import get_queue
from vidscribe.queue.graph import fetch_job_id, stage_job_id
from vidscribe.serve import create_app
from vidscribe.settings import Settings

TOKEN = "write-token"
AUTH = {"authorization": f"Bearer {TOKEN}"}


@pytest.fixture()
def data(served_corpus: ServedCorpus, tmp_path: Path) -> Path:
    """A data root of its own holding the processed clip (its media included)."""
    root = tmp_path / "data"
    for area in ("media", "transcripts"):
        shutil.copytree(served_corpus.data / area / served_corpus.clip_id, root / area / served_corpus.clip_id)
    return root


def client(data: Path, redis_url: str, **settings: object) -> TestClient:
    loaded = Settings.load(env={}, data=str(data), redis_url=redis_url, api_token=TOKEN, **settings)
    return TestClient(create_app(loaded, background=False, allowed_hosts=["testserver"]))


def test_enqueue_puts_fetch_jobs_on_the_queue(data: Path, redis_url: str, tmp_path: Path):
    conn = Redis.from_url(redis_url)
    conn.flushall()
    local = tmp_path / "clip.mp4"
    local.write_bytes(b"not really a video")
    sources = ["http://127.0.0.1:9/one.mp4", "http://127.0.0.1:9/one.mp4", str(local), "ftp://example.org/x"]
    with client(data, redis_url, allow_private_urls=True) as c:
        assert c.get("/api/status").json()["queue"]["reachable"] is True
        response = c.post("/api/enqueue", json={"sources": sources}, headers=AUTH)
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["queued", "refused", "refused", "refused"]
    assert results[1]["reason"] == "already queued"
    assert "local paths are not queued over HTTP" in results[2]["reason"]
    assert "unsupported URL scheme" in results[3]["reason"]
    assert results[0]["job_ids"] == [fetch_job_id(sources[0])]
    assert get_queue("download", conn).job_ids == [fetch_job_id(sources[0])]


def test_reprocess_queues_the_stage_and_what_follows(data: Path, redis_url: str, served_corpus: ServedCorpus):
    conn = Redis.from_url(redis_url)
    conn.flushall()
    vid = served_corpus.clip_id
    with client(data, redis_url) as c:
        response = c.post("/api/reprocess", json={"video_ids": [vid, "missing-1"], "stage": "align"}, headers=AUTH)
    assert response.status_code == 202
    queued, missing = response.json()["results"]
    assert queued["status"] == "queued" and queued["job_ids"] == [stage_job_id(vid, "align"),
                                                                  stage_job_id(vid, "analysis")]
    assert missing["status"] == "refused" and "no transcript" in missing["reason"]
    assert get_queue("post", conn).job_ids == [stage_job_id(vid, "align")]  # analysis waits for align


def test_enqueue_lists_a_feed_and_queues_its_entries_as_the_command_does(redis_url: str, tmp_path: Path,
                                                                         http_server):
    conn = Redis.from_url(redis_url)
    clips = [f"{http_server.base}/media/clip{n}.mp4" for n in range(3)]
    items = "".join(f"<item><title>Clip {n}</title><link>{url}</link></item>" for n, url in enumerate(clips))
    feed = http_server.add("feed.xml", f'<?xml version="1.0"?><rss version="2.0"><channel><title>Recruiter</title>'
                                       f"<link>{http_server.base}/</link>{items}</channel></rss>")
    bomb = http_server.add("bomb.xml", '<?xml version="1.0"?><!DOCTYPE feed [<!ENTITY a "aaaaaaaaaa">'
                                       '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                                       '<feed xmlns="http://www.w3.org/2005/Atom"><title>&b;</title>'
                                       f'<entry><link href="{clips[0]}"/></entry></feed>')
    single = "http://127.0.0.1:9/one.mp4"
    (tmp_path / "data").mkdir()
    with client(tmp_path / "data", redis_url, allow_private_urls=True, max_entries=2) as c:
        response = c.post("/api/enqueue", json={"sources": [feed, single, bomb]}, headers=AUTH)
        again = c.post("/api/enqueue", json={"sources": [feed]}, headers=AUTH)
    assert response.status_code == 202
    listed, one, refused = response.json()["results"]
    assert listed["status"] == "listed" and listed["source"] == feed
    assert [e["source"] for e in listed["entries"]] == clips[:2]
    assert [e["status"] for e in listed["entries"]] == ["queued", "queued"]
    assert listed["job_ids"] == [fetch_job_id(url) for url in clips[:2]]
    summary = listed["listing"]
    assert summary["entries"] == 2 and summary["title"] == "Recruiter" and len(summary["taken"]) == 2
    assert summary["listing_id"].startswith("listing-") and summary["url"] == feed
    assert one["status"] == "queued" and one["job_ids"] == [fetch_job_id(single)]
    assert refused["status"] == "refused" and "declares XML entities" in refused["reason"]
    assert get_queue("download", conn).job_ids == [*listed["job_ids"], fetch_job_id(single)]
    assert http_server.requests["/media/clip0.mp4"] == 0  # listing reads the feed only

    # The same listing again: its entries are still queued, so nothing new; the run is recorded.
    assert again.status_code == 200
    [repeat] = again.json()["results"]
    assert [e["reason"] for e in repeat["entries"]] == ["already queued", "already queued"]
    runs = sorted((tmp_path / "data" / "listings" / summary["listing_id"] / "runs").iterdir())
    assert len(runs) == 2 and '"by": "api"' in runs[0].read_text()
