"""A job that fails for good (retries used up by dying workers, its time limit, data that cannot be
read) is recorded in the transcript with its reason; `status` and `retry-failed` see it, and the
stages that read its output are recorded failed instead of running on a missing input."""

from __future__ import annotations

import signal
import zlib

import pytest
from queue_helpers import fetch_job, job_status, start_worker, wait_until
from redis import Redis
from test_queue import complete, vs

from vidscribe.queue.graph import RETRY, stage_job_id
from vidscribe.transcripts.store import Store


@pytest.fixture()
def queued_video(clips, worker_env, redis_url, data_root):
    """A video whose media stage is done and whose four stage jobs wait in Redis."""
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    done = vs("process", "--stage", "media", str(clips["small"]), env=env)
    assert done.exit_code == 0, done.output
    video_id = done.stdout.split("\t")[0].strip()
    queued = vs("reprocess", "--unfinished", env=env)
    assert queued.stdout.strip() == f"{video_id}\t{video_id}\tqueued", queued.output
    return env, video_id


def assert_failed_for_good(env, data_root, video_id, reason: str) -> None:
    stages = Store(data_root).load(video_id).stages
    assert stages["subtitles"].status == "failed" and reason in stages["subtitles"].error, stages["subtitles"]
    assert stages["speech"].status == "done"
    assert stages["align"].status == "failed" and stages["align"].error == "input stage subtitles failed"
    assert stages["analysis"].status == "failed" and stages["analysis"].error == "input stage align failed"
    status = vs("status", env=env).stdout
    assert f"{video_id}\tsubtitles\t" in status and reason in status, status
    assert f"{video_id}\talign\tinput stage subtitles failed" in status, status


def retry_until_complete(env, data_root, video_id) -> None:
    again = vs("retry-failed", env=env)
    assert again.stdout.strip() == f"{video_id}\t{video_id}\tqueued", again.output
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    assert complete(Store(data_root), video_id)


def test_a_job_whose_worker_dies_every_time_is_recorded_failed(queued_video, redis_url, data_root, tmp_path):
    env, video_id = queued_video
    conn = Redis.from_url(redis_url)
    job_id = stage_job_id(video_id, "subtitles")
    kills = RETRY.max + 1
    for i in range(kills):  # each worker takes the (re-queued) subtitles job and is killed mid-job
        name = f"doomed-{i}"
        worker = start_worker(env, "--queues", "subtitles", "--name", name, log=tmp_path / f"{name}.log", hanging=True)
        wait_until(lambda n=name: (job := fetch_job(conn, job_id)) and job.get_status() == "started"
                   and job.worker_name == n, timeout=60, what=f"worker {name} to run the job")
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    sweeper = start_worker(env, "--queues", "subtitles", log=tmp_path / "sweeper.log", hanging=True)
    try:
        wait_until(lambda: job_status(conn, job_id) == "failed", timeout=60, what="the job to fail for good")
    finally:
        sweeper.terminate()
        sweeper.wait(timeout=30)
    assert start_worker(env, "--burst").wait(timeout=180) == 0  # speech, then align and analysis
    assert_failed_for_good(env, data_root, video_id, f"its worker died {kills} times")
    retry_until_complete(env, data_root, video_id)


def test_a_job_past_its_time_limit_is_recorded_failed(queued_video, redis_url, data_root):
    env, video_id = queued_video
    conn = Redis.from_url(redis_url)
    job_id = stage_job_id(video_id, "subtitles")
    conn.hset(f"rq:job:{job_id}", "timeout", 2)
    assert start_worker(env, "--burst", "--queues", "subtitles", hanging=True).wait(timeout=60) == 0
    assert job_status(conn, job_id) == "failed"
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    assert_failed_for_good(env, data_root, video_id, "timed out after 2 s")
    retry_until_complete(env, data_root, video_id)


def test_a_stage_job_that_cannot_be_read_is_recorded_failed(queued_video, redis_url, data_root):
    env, video_id = queued_video
    conn = Redis.from_url(redis_url)
    conn.hset(f"rq:job:{stage_job_id(video_id, 'subtitles')}", "data", zlib.compress(b"\x80\x04not json"))
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    assert_failed_for_good(env, data_root, video_id, "cannot be read")
    retry_until_complete(env, data_root, video_id)
