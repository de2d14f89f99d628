"""The worker's scheduler child (it moves retries waiting out their back-off back onto the queues),
made to die with its worker and to hold its locks briefly.

RQ forks the scheduler from the worker and nothing ties the two together: after a `kill -9` of the
worker, the scheduler ran on under PID 1 and kept every `rq:scheduler-lock:*` key refreshed, for
good. Here the child asks Linux for SIGTERM when its parent dies (PR_SET_PDEATHSIG) and also
checks its parent each second (other systems, and a parent that died before the request); on
SIGTERM RQ's scheduler releases its locks and ends. Locks are kept at `SCHEDULER_LOCK_TTL`
rather than RQ's 61 s, so a scheduler killed outright frees them that much sooner.

A Redis outage does not end the scheduler either: it waits quietly (its worker says so once).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time

from rq.scheduler import ForkProcess, RQScheduler
from rq.scheduler import run as run_scheduler

from vidscribe.queue.outage import REDIS_DOWN, RedisOutage

# Seconds a scheduler lock outlives the last refresh. The scheduler refreshes every `interval`
# (1 s), so this allows nine missed refreshes; RQ's own is interval + 60.
SCHEDULER_LOCK_TTL = 10
PR_SET_PDEATHSIG = 1  # linux/prctl.h

# Sets the TTL of each lock still held by ARGV[1] (a lock another scheduler took is left alone).
_SHORTEN_LOCKS = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('EXPIRE', key, ARGV[2]) end
end
return 1
"""


def die_with_parent(parent: int) -> None:
    """In a forked child: be sent SIGTERM when `parent` dies (Linux), and end now if it already has.
    SIGTERM first goes back to its default (ending the process): the handler inherited from the
    worker would act as if the worker had been told to stop."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)  # the process's own symbols, libc's among them
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    if os.getppid() != parent:  # died between fork and prctl: nobody would send the signal
        os.kill(os.getpid(), signal.SIGTERM)


def _child_main(scheduler: VidscribeScheduler, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl+C reaches the worker, which stops its scheduler
    die_with_parent(parent)
    run_scheduler(scheduler)


class VidscribeScheduler(RQScheduler):
    lock_ttl = SCHEDULER_LOCK_TTL

    def start(self) -> ForkProcess:
        self._status = self.Status.STARTED
        self._connection = None  # a Redis client must not cross fork(); the child makes its own
        self._parent = os.getpid()
        self._process = ForkProcess(target=_child_main, args=(self, self._parent), name="Scheduler")
        self._process.start()
        return self._process

    def acquire_locks(self, auto_start: bool = False) -> set[str]:
        locks = super().acquire_locks(auto_start=auto_start)
        self._shorten_locks()
        return locks

    def heartbeat(self) -> None:
        super().heartbeat()
        self._shorten_locks()

    def _shorten_locks(self) -> None:
        if self._acquired_locks:
            keys = [self.get_locking_key(name) for name in sorted(self._acquired_locks)]
            self.connection.eval(_SHORTEN_LOCKS, len(keys), *keys, self.name, self.lock_ttl)

    def _ending(self) -> bool:
        """Told to stop (SIGTERM: its worker stopping, or dying), or its worker is gone."""
        return self._stop_requested or (getattr(self, "_parent", None) is not None and os.getppid() != self._parent)

    def work(self) -> None:
        """RQ's loop, ending when the worker is gone, waiting out Redis outages quietly."""
        self._install_signal_handlers()
        outage = RedisOutage(loud=False)
        born = resumed = False
        while not self._ending():
            try:
                if not born:
                    self.register_birth()
                    born = True
                if resumed or self.should_reacquire_locks:
                    self.acquire_locks()  # after an outage the locks may have expired: take them again
                    resumed = False
                self.heartbeat()
                self.enqueue_scheduled_jobs()
            except REDIS_DOWN as e:
                outage.wait(self.connection, e, stop=self._ending)  # a stop request ends the wait
                resumed = True
                continue
            time.sleep(self.interval)
        with contextlib.suppress(*REDIS_DOWN):  # unreachable: the locks expire by themselves
            self.stop()  # releases the locks and says so in Redis
