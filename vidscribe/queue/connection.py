"""Redis connection and the queues. Jobs are JSON-serialised (never pickle), so rq's own tools and
rq-dashboard can read them and nothing arriving from Redis is executed as data."""

from __future__ import annotations

import re

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue
from rq.serializers import JSONSerializer

from vidscribe.errors import ConfigError
from vidscribe.queue.trust import VidscribeJob

# In the order a worker serves them by default: finish videos already under way before starting new ones.
QUEUE_NAMES = ("post", "subtitles", "speech", "download")
_USERINFO_PASSWORD = re.compile(r"^([a-z][a-z0-9+.-]*://[^:/@]*):[^@/]*@", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def redacted(url: str) -> str:
    """`url` with any password (user info or `?password=`) replaced by ***, fit for logs and messages."""
    url = _USERINFO_PASSWORD.sub(r"\1:***@", url, count=1)
    return _QUERY_PASSWORD.sub(r"\1***", url)


def connect(url: str) -> Redis:
    """A client for `url` that answered a PING; a ConfigError naming the URL (no password) if not."""
    try:
        conn = Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
        conn.ping()
    except (RedisError, ValueError, OSError) as e:
        raise ConfigError(f"cannot reach Redis at {redacted(url)} ({e}); start redis-server or set "
                          "VIDSCRIBE_REDIS_URL") from None
    return conn


def get_queue(name: str, conn: Redis) -> Queue:
    """One of vidscribe's queues. Its jobs are `VidscribeJob`s, so whatever reads them through it (a
    worker, a registry clean-up) imports only vidscribe's own job functions."""
    if name not in QUEUE_NAMES:
        raise ConfigError(f"unknown queue {name!r}; queues: {', '.join(QUEUE_NAMES)}")
    return Queue(name, connection=conn, serializer=JSONSerializer, job_class=VidscribeJob)
