"""Waiting out a Redis outage: a worker never exits because Redis was unreachable for a while.

One `RedisOutage` per process (`OUTAGE`) is shared by the worker's threads (the job loop, the
heartbeat, RQ's command listener) and by the job functions, so the operator reads one line when
Redis goes away and one when it is back, however many threads noticed. A thread that needs Redis
polls it with back-off (1 s, doubling, at most 30 s) and wakes at once when another thread of the
process finds it back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# What an unreachable, restarting or still-loading Redis raises (BusyLoadingError is a ConnectionError).
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)
FIRST_WAIT = 1.0  # seconds before the first new try: a restart is often this quick
MAX_WAIT = 30.0  # seconds between tries at most: back within half a minute of Redis, never a busy loop

T = TypeVar("T")


class RedisOutage:
    """Whether Redis answers, as this process last saw it; logs each change once (when `loud`)."""

    def __init__(self, loud: bool = True):
        self.loud = loud
        self._lock = threading.Lock()
        self._up = threading.Event()
        self._up.set()
        self._lost_at = 0.0
        self._back_at: float | None = None
        self.recoveries = 0  # how many times Redis came back

    @property
    def up(self) -> bool:
        return self._up.is_set()

    def lost(self, error: BaseException) -> None:
        """Note that Redis did not answer (logged once per outage)."""
        with self._lock:
            if not self._up.is_set():
                return
            self._up.clear()
            self._lost_at = time.monotonic()
        if self.loud:
            log.warning("redis unreachable (%s: %s): waiting for it, trying again every %.0f-%.0f s; "
                        "work in progress goes on", type(error).__name__, error, FIRST_WAIT, MAX_WAIT)

    def back(self) -> None:
        """Note that Redis answered (logged once, if it had been lost); wakes every waiting thread."""
        with self._lock:
            if self._up.is_set():
                return
            self._up.set()
            self._back_at = time.monotonic()
            self.recoveries += 1
            seconds = self._back_at - self._lost_at
        if self.loud:
            log.warning("redis reachable again after %.0f s", seconds)

    def seconds_since_back(self) -> float | None:
        """Seconds since Redis last came back, None if this process never saw it go."""
        return None if self._back_at is None else time.monotonic() - self._back_at

    def wait(self, conn: Redis, error: BaseException | None = None,
             stop: Callable[[], bool] | None = None) -> bool:
        """Return True once `conn` answers a PING (at once if it does now), trying with back-off;
        False as soon as `stop()` says to give up (checked before each try)."""
        if error is not None:
            self.lost(error)
        delay = FIRST_WAIT
        while stop is None or not stop():
            try:
                conn.ping()
            except REDIS_DOWN as e:
                self.lost(e)
            else:
                self.back()
                return True
            was_up = self._up.wait(delay)  # True: another thread just found Redis back, try now
            delay = FIRST_WAIT if was_up else min(delay * 2, MAX_WAIT)
        return False

    def call(self, conn: Redis, fn: Callable[[], T]) -> T:
        """`fn()`, tried again after each outage until it gets through. Only for calls that are safe
        to repeat (a heartbeat, a state, a status read, queueing under fixed job IDs)."""
        while True:
            try:
                result = fn()
            except REDIS_DOWN as e:
                self.wait(conn, e)
                continue
            self.back()
            return result


OUTAGE = RedisOutage()
