"""RQ's own clean-up of a queue's started jobs runs in whatever process counts them: `rq info`,
rq-dashboard, a script. It finds a job whose worker died and retries it by the retry intervals the job
carries. vidscribe's jobs carry none, so such a job goes straight back on its queue, as the workers'
sweep would put it; only a worker's retry after a transient failure (network, HTTP 5xx) waits out the
back-off. Found by bench/soak.py, whose polling of the started jobs did what `rq info` does: a killed
worker's job came back after RQ's 10, 60 and 300 s intervals instead of within a heartbeat."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from queue_helpers import fetch_job, start_worker, wait_until
from redis import Redis
from rq.utils import current_timestamp
from test_queue import vs

from vidscribe.queue.graph import fetch_job_id, stage_job_id
from vidscribe.queue.trust import RETRY_BACKOFF


def rq_info(redis_url: str) -> str:
    """`rq info` as an operator runs it on vidscribe's queues (JSON jobs)."""
    rq = Path(sys.executable).with_name("rq")
    done = subprocess.run([str(rq), "info", "--url", redis_url, "-S", "json", "--only-queues"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_dead_workers_job_found_by_rq_info_is_queued_again_at_once(clips, worker_env, redis_url, data_root,
                                                                      tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root), "VIDSCRIBE_JOB_HEARTBEAT": "2"}
    done = vs("process", "--stage", "media", str(clips["small"]), env=env)
    assert done.exit_code == 0, done.output
    video_id = done.stdout.split("\t")[0].strip()
    assert vs("reprocess", "--unfinished", env=env).exit_code == 0
    conn, job_id = Redis.from_url(redis_url), stage_job_id(video_id, "subtitles")
    worker = start_worker(env, "--queues", "subtitles", "--name", "doomed", log=tmp_path / "doomed.log", hanging=True)
    wait_until(lambda: (job := fetch_job(conn, job_id)) and job.get_status() == "started", timeout=60,
               what="the worker to run the subtitles job")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    wait_until(lambda: conn.zrangebyscore("rq:wip:subtitles", 0, current_timestamp()), timeout=30,
               what="the dead worker's execution to expire")

    rq_info(redis_url)  # counts the started jobs, and so cleans them up RQ's way

    job = fetch_job(conn, job_id)
    assert job.get_status() == "queued", (job.get_status(), conn.zrange("rq:scheduled:subtitles", 0, -1,
                                                                        withscores=True))
    assert job_id.encode() in conn.lrange("rq:queue:subtitles", 0, -1)
    assert job.retries_left == 2


def test_a_transient_failure_is_still_retried_after_the_back_off(http_server, worker_env, redis_url, data_root):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    url = http_server.url("status/503")
    assert vs("enqueue", url, env=env).exit_code == 0
    before = time.time()
    assert start_worker(env, "--burst", "--queues", "download").wait(timeout=120) == 0
    conn, job_id = Redis.from_url(redis_url), fetch_job_id(url)
    assert fetch_job(conn, job_id).get_status() == "scheduled"
    due = conn.zscore("rq:scheduled:download", job_id)
    assert due is not None and before + RETRY_BACKOFF[0] - 1 <= due <= time.time() + RETRY_BACKOFF[0] + 1
