"""What `vidscribe worker` tells its operator: a start line, one line per job, a traceback only for a bug;
and jobs run with the worker's own settings, handed over as an object (never through os.environ)."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from queue_helpers import start_worker
from redis import Redis

from vidscribe.cli import cli
from vidscribe.queue import jobs
from vidscribe.queue.connection import get_queue, redacted
from vidscribe.transcripts.sources import SourceLedger


def vs(*args: str, env: dict[str, str]):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_redacted_hides_passwords():
    assert redacted("redis://:s3cret@db:6379/0") == "redis://:***@db:6379/0"
    assert redacted("rediss://app:s3cret@db/1") == "rediss://app:***@db/1"
    assert redacted("unix:///run/redis.sock?password=s3cret&db=2") == "unix:///run/redis.sock?password=***&db=2"
    assert redacted("redis://localhost:6379/0") == "redis://localhost:6379/0"


def test_expected_refusal_is_one_line_a_bug_keeps_its_traceback(clips, http_server, worker_env, redis_url,
                                                                 data_root, tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root), "VIDSCRIBE_ALLOW_PRIVATE_URLS": "0"}
    url = http_server.add("private/clip.mp4", clips["small"])
    refused = vs("enqueue", url, env=env)  # this side does not allow private addresses either
    assert refused.exit_code == 1 and "\trefused: 127.0.0.1 is" in refused.stdout
    assert refused.stdout.count("refused") == 1
    # Allowed when queued, refused by the worker, whose settings say otherwise.
    assert vs("enqueue", "--allow-private-urls", url, env=env).stdout.endswith("\tqueued\n")
    # A job that trips over a bug (a source that is not a string) stands in for a real bug.
    get_queue("download", Redis.from_url(redis_url)).enqueue("vidscribe.queue.jobs.fetch_job",
                                                             args=(12345, str(data_root)))
    log = tmp_path / "worker.log"
    assert start_worker(env, "--burst", log=log).wait(timeout=120) == 0

    lines = log.read_text().splitlines()
    assert f"started: queues post,subtitles,speech,download; redis {redis_url}; data root" in lines[0]
    assert "speech model" in lines[0]
    refusal = [line for line in lines if url in line]
    assert len(refusal) == 1 and f"{url} media: failed (" in refusal[0], lines
    assert "refused: 127.0.0.1 is a private" in refusal[0] and "refused: refused" not in refusal[0]
    bug = next(i for i, line in enumerate(lines) if "12345 media: failed (" in line)
    assert "ERROR" in lines[bug] and lines[bug + 1] == "Traceback (most recent call last):"
    assert sum(line.startswith("Traceback") for line in lines) == 1, lines
    record = SourceLedger(data_root).get(url)
    assert record.status == "failed" and "private" in record.error


@pytest.fixture()
def own_settings_reset():
    yield
    jobs.use_settings(None)


def test_jobs_get_the_worker_settings_object(clips, redis_url, data_root, monkeypatch, own_settings_reset, caplog):
    monkeypatch.delenv("VIDSCRIBE_MAX_FILESIZE", raising=False)
    monkeypatch.setenv("VIDSCRIBE_REDIS_URL", redis_url)
    monkeypatch.setenv("VIDSCRIBE_DATA", str(data_root))
    queued = CliRunner().invoke(cli, ["enqueue", str(clips["small"])])
    assert queued.stdout.endswith("\tqueued\n"), queued.output
    caplog.set_level("INFO", logger="vidscribe")
    ran = CliRunner().invoke(cli, ["worker", "--burst", "--queues", "download", "--max-filesize", "1K"])
    assert ran.exit_code == 0, ran.output
    assert "VIDSCRIBE_MAX_FILESIZE" not in os.environ  # nothing exported for the jobs to pick up
    assert jobs.worker_settings().max_filesize == 1024
    record = SourceLedger(data_root).get(str(clips["small"]))
    assert record.status == "failed" and "too large" in record.error, record
    assert any("media: failed" in r.getMessage() and "too large" in r.getMessage() for r in caplog.records)
