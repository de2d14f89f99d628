"""Watches against a real redis-server and real `vidscribe worker --burst` processes: rounds run by
RQ's own repeat scheduling, only entries no earlier round returned are fetched, a failing listing
is recorded with its reason and tried again the next round, and `watch remove` stops the rounds."""

from __future__ import annotations

import datetime as dt
import json
import time

from click.testing import CliRunner
from queue_helpers import fetch_job, job_status, start_worker, wait_until
from redis import Redis
from rq.registry import ScheduledJobRegistry

from vidscribe.cli import cli
from vidscribe.listings.choose import SEEN
from vidscribe.listings.ledger import ListingLedger
from vidscribe.listings.source import listing_id
from vidscribe.listings.watch import REPEATS_AHEAD, WATCH_JOB, WATCH_QUEUE, watch_job_id
from vidscribe.media.ids import url_hash
from vidscribe.queue.connection import get_queue
from vidscribe.queue.graph import fetch_job_id
from vidscribe.transcripts.store import Store

EVERY = 2  # seconds between rounds: short, so a test waits for RQ's scheduler, not for a clock


def cli_env(redis_url: str, data_root) -> dict[str, str]:
    return {"VIDSCRIBE_REDIS_URL": redis_url, "VIDSCRIBE_DATA": str(data_root), "VIDSCRIBE_ALLOW_PRIVATE_URLS": "1"}


def video_id(site, n: int) -> str:
    return f"url-{url_hash(site.server.url(site.clip_path(n)))}"


def round_of_workers(env: dict[str, str], log) -> None:
    """One burst worker on the download queue: it moves due rounds onto the queue (its scheduler),
    runs them and the fetches they queue, then stops. Stage jobs stay queued: no model is needed."""
    assert start_worker(env, "--burst", "--queues", "download", log=log).wait(timeout=180) == 0, log.read_text()


def wait_for_next_round(conn: Redis, job_id: str) -> None:
    registry = ScheduledJobRegistry(queue=get_queue(WATCH_QUEUE, conn))
    when = wait_until(lambda: job_id in registry.get_job_ids() and registry.get_scheduled_time(job_id),
                      timeout=30, what="the next round to be scheduled")
    time.sleep(max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 0.2)


def test_rounds_fetch_only_new_entries_and_survive_a_failing_listing(site, redis_url, worker_env, data_root,
                                                                       tmp_path):
    conn = Redis.from_url(redis_url)
    env = cli_env(redis_url, data_root)
    log = tmp_path / "worker.log"
    site.publish(0, "Mon, 02 Nov 2026 10:00:00 GMT")
    site.publish(1)
    lid = listing_id(site.feed_url)
    job_id = watch_job_id(lid)

    added = CliRunner().invoke(cli, ["watch", "add", site.feed_url, "--every", f"{EVERY}s"], env=env)
    assert added.exit_code == 0, added.output
    assert added.stdout == f"{lid}\t{site.feed_url}\tevery {EVERY}s\n"
    job = fetch_job(conn, job_id)
    assert job.func_name == WATCH_JOB and list(job.args) == [lid, str(data_root.resolve())]  # JSON, no pickle
    assert job.repeats_left == REPEATS_AHEAD and job.repeat_intervals == [EVERY]

    # Round 1 (queued by `watch add`): both entries fetched, the account recorded on each.
    round_of_workers(worker_env, log)
    store = Store(data_root)
    for n in (0, 1):
        video = store.load(video_id(site, n)).video
        assert video.channel_url == site.feed_url
    fetched = [site.fetches(n) for n in (0, 1)]
    assert job_status(conn, job_id) == "scheduled"  # RQ's repeat: the same job, `every` seconds on
    listed = CliRunner().invoke(cli, ["watch", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "\tevery 2s\tlast " in listed.stdout and " ok\t2 entries seen\tnext round 20" in listed.stdout

    # Round 2: a new entry is fetched, and only it.
    site.publish(2)
    wait_for_next_round(conn, job_id)
    round_of_workers(worker_env, log)
    assert store.exists(video_id(site, 2))
    assert [site.fetches(n) for n in (0, 1)] == fetched
    runs = ListingLedger(data_root).runs(lid)
    assert all(r["by"] == "watch" and r["status"] == "ok" for r in runs)
    # However many rounds RQ's scheduler ran meanwhile (a burst worker that takes longer than EVERY
    # runs the next repetition too), each entry was taken once, by one round.
    taken = [vid for r in runs for vid in r["taken"]]
    assert sorted(taken) == sorted(video_id(site, n) for n in range(3))
    [second] = [r for r in runs if video_id(site, 2) in r["taken"]]
    assert second["taken"] == [video_id(site, 2)]
    assert second["skipped"] == {video_id(site, 0): SEEN, video_id(site, 1): SEEN}

    # Round 3: the account is gone (HTTP 404): recorded with its reason, nothing fetched is lost.
    feed = site.server.root / "account" / "feed.xml"
    saved = feed.read_bytes()
    feed.unlink()
    wait_for_next_round(conn, job_id)
    round_of_workers(worker_env, log)
    record = ListingLedger(data_root).read(lid)
    assert record["last_status"] == "failed" and record["last_error"] == "HTTP 404 Not Found"
    assert len(record["entries"]) == 3 and all(store.exists(video_id(site, n)) for n in range(3))
    assert job_status(conn, job_id) == "scheduled"  # tried again next round
    listed = CliRunner().invoke(cli, ["watch", "list"], env=env)
    assert " failed: HTTP 404 Not Found\t3 entries seen\tnext round" in listed.stdout

    # Round 4: back, with a new entry: fetched.
    feed.write_bytes(saved)
    site.publish(3)
    wait_for_next_round(conn, job_id)
    round_of_workers(worker_env, log)
    assert store.exists(video_id(site, 3))
    assert [r["taken"] for r in ListingLedger(data_root).runs(lid) if video_id(site, 3) in r["taken"]] \
        == [[video_id(site, 3)]]

    # Removed: no more rounds; the listing's record and its videos stay.
    removed = CliRunner().invoke(cli, ["watch", "remove", site.feed_url], env=env)
    assert removed.exit_code == 0 and removed.stdout == f"{lid}\t{site.feed_url}\tremoved\n"
    assert fetch_job(conn, job_id) is None
    assert CliRunner().invoke(cli, ["watch", "list"], env=env).stdout == ""
    assert ListingLedger(data_root).read(lid) and all(store.exists(video_id(site, n)) for n in range(4))
    again = CliRunner().invoke(cli, ["watch", "remove", lid], env=env)
    assert again.exit_code == 1 and "not watched" in again.stderr


def test_a_round_the_worker_runs_after_removal_does_not_repeat(site, redis_url, worker_env, data_root, tmp_path):
    """`watch remove` while the round is queued in Redis but the job was kept (Redis unreachable to
    the remover): the round finds no watch.json, does nothing, and RQ does not repeat it."""
    conn = Redis.from_url(redis_url)
    env = cli_env(redis_url, data_root)
    site.publish(0)
    lid = listing_id(site.feed_url)
    assert CliRunner().invoke(cli, ["watch", "add", site.feed_url], env=env).exit_code == 0
    (data_root / "listings" / lid / "watch.json").unlink()  # as `watch remove` does without Redis
    round_of_workers(worker_env, tmp_path / "worker.log")
    assert job_status(conn, watch_job_id(lid)) == "finished"
    assert not store_has_any(data_root) and site.fetches(0) == 0


def store_has_any(data_root) -> bool:
    return bool(Store(data_root).video_ids())


def test_watch_add_refuses_what_it_must_not_store_or_cannot_watch(redis_url, data_root, clips):
    env = cli_env(redis_url, data_root)
    bad = [
        (["http://user:secret@127.0.0.1:9/feed.xml"], "must not carry credentials"),
        ([str(clips["small"])], "a local file cannot be watched"),
        (["http://127.0.0.1:9/feed.xml", "--every", "6"], "not an interval: '6'"),
    ]
    for args, needle in bad:
        result = CliRunner().invoke(cli, ["watch", "add", *args], env=env)
        assert result.exit_code == 1 and needle in result.stderr and "Traceback" not in result.output, result.output
        assert "secret" not in result.output
    private = CliRunner().invoke(cli, ["watch", "add", "http://127.0.0.1:9/feed.xml"],
                                 env={**env, "VIDSCRIBE_ALLOW_PRIVATE_URLS": "0"})
    assert private.exit_code == 1 and "private, loopback or link-local" in private.stderr
    assert not (data_root / "listings").exists()


def test_enqueue_queues_one_fetch_per_entry_with_the_listing_account(site, redis_url, worker_env, data_root,
                                                                     tmp_path):
    env = cli_env(redis_url, data_root)
    for n in (0, 1):
        site.publish(n)
    result = CliRunner().invoke(cli, ["enqueue", site.page_url], env=env)
    assert result.exit_code == 0, result.output
    urls = [site.server.url(site.clip_path(n)) for n in (0, 1)]
    assert result.stdout == "".join(f"{url}\t-\tqueued\n" for url in urls)
    assert f"listing {listing_id(site.page_url)} {site.page_url}: 2 entries, 2 taken" in result.stderr
    conn = Redis.from_url(redis_url)
    job = fetch_job(conn, fetch_job_id(urls[0]))
    assert list(job.args)[3] == {"channel_url": site.page_url}  # JSON-safe, beside source, data root, force
    round_of_workers(worker_env, tmp_path / "worker.log")
    store = Store(data_root)
    assert [store.load(video_id(site, n)).video.channel_url for n in (0, 1)] == [site.page_url] * 2

    site.publish(2)
    again = CliRunner().invoke(cli, ["enqueue", site.page_url], env=env)
    assert again.exit_code == 0 and again.stdout == f"{site.server.url(site.clip_path(2))}\t-\tqueued\n"
    assert "3 entries, 1 taken, 2 skipped (2 already in the store)" in again.stderr


def test_adding_again_changes_the_interval_and_list_works_without_redis(site, redis_url, data_root):
    conn = Redis.from_url(redis_url)
    env = cli_env(redis_url, data_root)
    lid = listing_id(site.feed_url)
    assert CliRunner().invoke(cli, ["watch", "add", site.feed_url, "--every", "6h", "--since", "30d"],
                              env=env).exit_code == 0
    again = CliRunner().invoke(cli, ["watch", "add", site.feed_url + "/", "--every", "1d"], env=env)
    assert again.exit_code == 0 and again.stdout == f"{lid}\t{site.feed_url}/\tevery 1d\n"  # the same listing
    job = fetch_job(conn, watch_job_id(lid))
    assert job.repeat_intervals == [86400] and job.get_status(refresh=False) == "queued"
    assert len(conn.lrange(f"rq:queue:{WATCH_QUEUE}", 0, -1)) == 1  # one job per watch, whatever was added
    watch = json.loads((data_root / "listings" / lid / "watch.json").read_text())
    assert watch["every"] == 86400 and watch["options"]["since"] is None  # the options given this time

    offline = CliRunner().invoke(cli, ["watch", "list"], env={**env, "VIDSCRIBE_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert offline.exit_code == 0 and "showing the store only" in offline.stderr
    assert offline.stdout == f"{lid}\t{site.feed_url}/\tevery 1d\tlast never -\t0 entries seen\tRedis unreachable\n"
    conn.flushall()  # Redis lost the job: said, and `watch add` re-arms it
    lost = CliRunner().invoke(cli, ["watch", "list"], env=env).stdout
    assert lost.endswith("\tnot scheduled (run `vidscribe watch add URL` again to re-arm it)\n")
