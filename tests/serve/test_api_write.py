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
