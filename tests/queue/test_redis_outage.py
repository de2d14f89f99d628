"""Workers outlive a Redis outage: a busy worker finishes its job, an idle one waits, each says once
that Redis went away and once that it is back, and the video is completed once Redis returns."""

from __future__ import annotations

import re
import time

import pytest
from queue_helpers import RestartableRedis, fetch_job, start_worker, wait_until
from redis import Redis
from test_queue import GETS_PER_FETCH, complete, video_id_of, vs

from vidscribe import pipeline
from vidscribe.queue.graph import fetch_job_id, stage_job_id
from vidscribe.transcripts.store import Store

LOST = re.compile(r"redis .*unreachable")
BACK = re.compile(r"redis .*reachable again")


@pytest.fixture()
def own_redis(tmp_path):
    server = RestartableRedis(tmp_path / "redis")
    server.workdir.mkdir()
    server.start()
    yield server
    server.stop()


def test_workers_wait_out_a_redis_outage_and_keep_their_work(clips, http_server, worker_env, own_redis, data_root,
                                                              tmp_path):
    env = {**worker_env, "VIDSCRIBE_REDIS_URL": own_redis.url, "VIDSCRIBE_DATA": str(data_root)}
    http_server.slow_bytes_per_second = 6000  # a few seconds: Redis goes away while the clip downloads
    url = http_server.add("slow/outage.mp4", clips["small"])
    assert vs("enqueue", url, env=env).stdout.endswith("\tqueued\n")
    logs = [tmp_path / f"w{i}.log" for i in range(2)]
    workers = [start_worker(env, log=log) for log in logs]  # one takes the download, one stays idle
    try:
        wait_until(lambda: list((data_root / "media").glob("*/.download-*/*")), timeout=60, what="the download")
        own_redis.stop()
        # The fetch job commits the media stage to the store, then needs Redis to queue the stages.
        wait_until(lambda: list((data_root / "transcripts").glob("*/transcript.json")), timeout=120,
                   what="the media stage to be committed while Redis is away")
        time.sleep(6)  # longer than the job heartbeat: the running job's execution looks expired
        assert all(w.poll() is None for w in workers), "a worker exited while Redis was away"
        own_redis.start()

        video_id = wait_until(lambda: video_id_of(data_root, url), timeout=60, what="the fetch to be recorded")
        wait_until(lambda: complete(Store(data_root), video_id), timeout=180, what="the video to complete")
        # A worker idle all along notices at its next try (back-off of at most 30 s).
        wait_until(lambda: all(BACK.search(log.read_text()) for log in logs), timeout=60,
                   what="every worker to see Redis back")
        assert all(w.poll() is None for w in workers), "a worker exited after Redis came back"
    finally:
        for w in workers:
            w.terminate()
        codes = [w.wait(timeout=60) for w in workers]
    assert codes == [0, 0], [log.read_text() for log in logs]

    for log in logs:
        text = log.read_text()
        assert len(LOST.findall(text)) == 1 and len(BACK.findall(text)) == 1, text
        assert "Traceback" not in text and " ERROR " not in text, text
    # The download ran once and every job once: nothing was taken for abandoned and run twice.
    assert http_server.requests["/slow/outage.mp4"] == GETS_PER_FETCH
    conn = Redis.from_url(own_redis.url)
    fetch = fetch_job(conn, fetch_job_id(url))
    assert fetch.get_status() == "finished" and len(fetch.results()) == 1
    for name in pipeline.stage_names():
        job = fetch_job(conn, stage_job_id(video_id, name))
        assert job.get_status() == "finished" and len(job.results()) == 1, name


def test_a_worker_told_to_stop_while_redis_is_away_stops(worker_env, own_redis, data_root, tmp_path):
    env = {**worker_env, "VIDSCRIBE_REDIS_URL": own_redis.url, "VIDSCRIBE_DATA": str(data_root)}
    log = tmp_path / "worker.log"
    worker = start_worker(env, log=log)
    wait_until(lambda: Redis.from_url(own_redis.url).keys("rq:scheduler-lock:*"), timeout=60,
               what="the worker to start")
    own_redis.stop()
    time.sleep(3)  # waiting for Redis now
    worker.terminate()
    assert worker.wait(timeout=30) == 0, log.read_text()
    text = log.read_text()
    assert "Traceback" not in text and "internal error" not in text, text
