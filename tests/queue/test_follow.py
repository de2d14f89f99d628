"""`--wait`: following jobs to their end, against a real Redis and an in-process worker."""

from __future__ import annotations

import io

from redis import Redis

from vidscribe.queue.connection import get_queue
from vidscribe.queue.follow import Progress, follow, wait
from vidscribe.worker.worker import make_worker


def test_follow_counts_finished_failed_and_lost_jobs(redis_url):
    conn = Redis.from_url(redis_url)
    queue = get_queue("post", conn)
    ok = [queue.enqueue("vidscribe.queue.jobs.noop", args=(i,)).id for i in range(3)]
    refused = queue.enqueue("os.getcwd").id  # not a vidscribe job: the worker fails it
    make_worker(conn, ["post"], heartbeat=10).work(burst=True, with_scheduler=False)

    seen: list[Progress] = []
    done = follow(conn, [*ok, refused, "gone-from-redis"], poll=0.01, on_progress=seen.append)
    assert (done.finished, done.failed, done.total) == (3, 2, 5)
    assert seen and seen[-1].ended == 5

    stream = io.StringIO()
    assert wait(conn, ok, stream) == 0
    assert stream.getvalue() == "done: 3 finished, 0 failed".ljust(60) + "\n"
