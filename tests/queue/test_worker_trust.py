"""Workers run only vidscribe's own functions (job functions and callbacks alike), and a job that
cannot be read fails alone: the worker records why and goes on to the next job."""

from __future__ import annotations

import pickle
import signal
import zlib

from queue_helpers import job_status, start_worker, wait_until
from redis import Redis
from rq import Callback
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.serializers import JSONSerializer
from rq.webhook import Webhook

from vidscribe.queue.connection import get_queue
from vidscribe.transcripts.sources import SourceLedger

FOREIGN = "foreign_hooks.hook"  # tests/queue/foreign_hooks.py: importable by the workers, never vidscribe's


def failure_reason(conn: Redis, job_id: str) -> str:
    result = Job.fetch(job_id, connection=conn, serializer=JSONSerializer).latest_result()
    return result.exc_string if result else ""


def test_foreign_callbacks_are_refused_without_being_imported(http_server, worker_env, redis_url, data_root,
                                                               tmp_path):
    marker = tmp_path / "foreign"
    hook_url = http_server.url("hook")  # a webhook: the worker would send requests wherever Redis says
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root), "VIDSCRIBE_TEST_FOREIGN_MARKER": str(marker)}
    conn = Redis.from_url(redis_url)
    queue = get_queue("post", conn)
    refused = [
        queue.enqueue("vidscribe.queue.jobs.noop", args=(1,), on_success=Callback(FOREIGN)),
        queue.enqueue("vidscribe.queue.jobs.noop", args=(2,), on_failure=Callback(FOREIGN)),
        queue.enqueue("vidscribe.queue.jobs.noop", args=(3,), on_stopped=Callback(FOREIGN)),
        queue.enqueue("vidscribe.queue.jobs.noop", args=(4,), on_success=Callback("builtins.print")),
        queue.enqueue("vidscribe.queue.jobs.noop", args=(6,), webhooks=[Webhook(hook_url, "finished"),
                                                                         Webhook(hook_url, "failed")]),
        # An allowed function that fails (a source that is not a string), with a foreign failure callback.
        get_queue("download", conn).enqueue("vidscribe.queue.jobs.fetch_job", args=(12345, str(data_root)),
                                            on_failure=Callback(FOREIGN)),
    ]
    fine = queue.enqueue("vidscribe.queue.jobs.noop", args=(5,))
    log = tmp_path / "worker.log"
    assert start_worker(env, "--burst", log=log).wait(timeout=60) == 0

    assert not marker.exists(), marker.read_text()  # foreign_hooks never imported, let alone called
    text = log.read_text()
    assert "Redis<ConnectionPool" not in text  # builtins.print never called with (job, connection, result)
    assert http_server.requests["/hook"] == 0
    for job in refused:
        assert job_status(conn, job.id) == "failed", job.id
        assert "refused: its on_" in failure_reason(conn, job.id) or "webhook" in failure_reason(conn, job.id)
    assert job_status(conn, fine.id) == "finished"


def test_abandoned_job_failure_callback_is_not_run(clips, http_server, worker_env, redis_url, data_root, tmp_path):
    """The failure callback RQ runs while cleaning up after a dead worker is allow-listed too."""
    marker = tmp_path / "foreign"
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root), "VIDSCRIBE_TEST_FOREIGN_MARKER": str(marker)}
    http_server.slow_bytes_per_second = 4000
    url = http_server.add("slow/abandoned.mp4", clips["small"])
    conn = Redis.from_url(redis_url)
    job = get_queue("download", conn).enqueue("vidscribe.queue.jobs.fetch_job", args=(url, str(data_root)),
                                              job_timeout=600)
    first = start_worker(env, log=tmp_path / "w1.log")
    wait_until(lambda: list((data_root / "media").glob("*/.download-*/*")), timeout=60, what="the download")
    # Whoever can write to Redis can rewrite a running job: here, its failure callback.
    conn.hset(job.key, "failure_callback_name", FOREIGN)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)

    http_server.slow_bytes_per_second = 0
    second = start_worker(env, log=tmp_path / "w2.log")
    try:
        wait_until(lambda: job_status(conn, job.id) == "failed", timeout=60, what="the abandoned job to fail")
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert not marker.exists(), marker.read_text()
    record = SourceLedger(data_root).get(url)  # and the store says so (no retries were left)
    assert record.status == "failed" and "worker" in record.error, record


def test_unreadable_jobs_fail_alone_and_the_worker_goes_on(worker_env, redis_url, data_root, tmp_path):
    conn = Redis.from_url(redis_url)
    queue = get_queue("post", conn)
    pickled = queue.enqueue("vidscribe.queue.jobs.noop", args=(1,))
    conn.hset(pickled.key, "data", zlib.compress(pickle.dumps(("vidscribe.queue.jobs.noop", None, (1,), {}))))
    garbled = queue.enqueue("vidscribe.queue.jobs.noop", args=(2,))
    conn.hset(garbled.key, "status", "not-a-status")  # a hash RQ cannot even load
    after = [queue.enqueue("vidscribe.queue.jobs.noop", args=(i,)) for i in range(3)]

    log = tmp_path / "worker.log"
    # One queue: RQ moves each job it takes to an intermediate list, which a refused job must leave too.
    worker = start_worker({**worker_env, "VIDSCRIBE_DATA": str(data_root)}, "--burst", "--queues", "post", log=log)
    assert worker.wait(timeout=60) == 0, log.read_text()

    assert all(job_status(conn, job.id) == "finished" for job in after), log.read_text()
    failed = FailedJobRegistry("post", connection=conn, serializer=JSONSerializer).get_job_ids()
    assert pickled.id in failed and garbled.id in failed
    assert "cannot be read" in failure_reason(conn, pickled.id)
    text = log.read_text()
    assert "Traceback" not in text
    assert [line for line in text.splitlines() if pickled.id in line and "cannot be read" in line]
    assert [line for line in text.splitlines() if garbled.id in line and "cannot be read" in line]
    assert conn.llen(queue.intermediate_queue_key) == 0
