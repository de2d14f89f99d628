"""A worker's scheduler child dies with the worker, and the locks a dead process held free
themselves by expiring, within a bounded time."""

from __future__ import annotations

import os
import signal
import threading
import time

from queue_helpers import process_gone, start_worker, wait_until
from redis import Redis

from vidscribe.queue.connection import QUEUE_NAMES
from vidscribe.worker.scheduler import SCHEDULER_LOCK_TTL
from vidscribe.worker.sweep import MAINTENANCE_LOCK_TTL, maintenance_lock
from vidscribe.worker.worker import PUBSUB_POLL, make_worker

LOCKS = [f"rq:scheduler-lock:{name}" for name in QUEUE_NAMES]


def scheduler_pid(conn: Redis) -> int | None:
    for key in conn.scan_iter("rq:scheduler:*"):
        pid = conn.hget(key, "pid")
        if pid and int(pid):
            return int(pid)
    return None


def test_scheduler_dies_with_its_worker_and_its_locks_expire(worker_env, redis_url, data_root, tmp_path):
    conn = Redis.from_url(redis_url)
    worker = start_worker({**worker_env, "VIDSCRIBE_DATA": str(data_root)}, log=tmp_path / "worker.log")
    try:
        child = wait_until(lambda: scheduler_pid(conn), timeout=60, what="the scheduler to start")
        wait_until(lambda: all(conn.exists(k) for k in LOCKS), timeout=30, what="the scheduler locks")
        # A lock outlives a holder killed outright (SIGKILL of the whole group) by at most its TTL.
        assert all(0 < conn.ttl(k) <= SCHEDULER_LOCK_TTL for k in LOCKS), [conn.ttl(k) for k in LOCKS]
        assert child != worker.pid and not process_gone(child)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)

    wait_until(lambda: process_gone(child), timeout=10, what="the orphaned scheduler to exit")
    wait_until(lambda: not any(conn.exists(k) for k in LOCKS), timeout=SCHEDULER_LOCK_TTL + 5,
               what="the scheduler locks to be freed")


def test_maintenance_lock_of_a_dead_worker_expires(redis_url):
    """RQ's own registry-cleaning lock lasts 899 s: a worker killed while cleaning would stop every
    other worker from noticing abandoned jobs for 15 minutes."""
    conn = Redis.from_url(redis_url)
    key = "rq:clean_registries:post"
    with maintenance_lock(conn, key) as held:
        assert held and 0 < conn.ttl(key) <= MAINTENANCE_LOCK_TTL
        with maintenance_lock(conn, key) as again:
            assert not again  # one cleaner at a time
    assert not conn.exists(key)


def test_a_stopping_worker_does_not_wait_on_its_command_listener(redis_url: str) -> None:
    """The listener for RQ's worker commands, once its channel is not subscribed (after a Redis
    outage; here, unsubscribed by hand), sleeps PUBSUB_POLL at a time before it looks again: a stop
    waits that long, not the minute RQ's listener slept (redis-py 8's stop() joins the thread; the
    Redis-outage test saw a worker outlive SIGTERM by a minute)."""
    worker = make_worker(Redis.from_url(redis_url), name=f"listener-{os.getpid()}")
    worker.subscribe()
    worker.pubsub.unsubscribe()
    wait_until(lambda: not worker.pubsub.subscribed, timeout=10, what="the listener to see its channel go")
    time.sleep(2 * PUBSUB_POLL)  # ... and go back to waiting for a subscription
    stopping = threading.Thread(target=worker.unsubscribe, daemon=True)
    stopping.start()
    stopping.join(timeout=30)
    assert not stopping.is_alive(), "the stop waited on the listener's sleep"
    assert not worker.pubsub_thread.is_alive()
