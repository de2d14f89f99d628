"""The queue service against a real redis-server, real workers (subprocesses) and real stages."""

from __future__ import annotations

import json
import re
import signal
import threading
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from queue_helpers import start_worker, wait_until
from redis import Redis
from rq.job import Job
from rq.registry import FailedJobRegistry, FinishedJobRegistry
from rq.serializers import JSONSerializer

from vidscribe import pipeline
from vidscribe.cli import cli
from vidscribe.queue.graph import fetch_job_id, stage_job_id
from vidscribe.samples import ClipSpec, TextLayer, Utterance, make_clip
from vidscribe.transcripts.sources import SourceLedger
from vidscribe.transcripts.store import Store

# yt-dlp's generic extractor GETs a direct link once to sniff it, then once to download it.
GETS_PER_FETCH = 2


def vs(*args: str, env: dict[str, str]):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def complete(store: Store, video_id: str) -> bool:
    if not store.exists(video_id):
        return False
    stages = store.load(video_id).stages
    return all(n in stages and stages[n].status in ("done", "skipped") for n in
               [pipeline.MEDIA_STAGE, *pipeline.stage_names()])


def video_id_of(data: Path, source: str) -> str | None:
    record = SourceLedger(data).get(source)
    return record.video_id if record else None


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> list[Path]:
    """Five distinct small clips (distinct content, so distinct media)."""
    root = tmp_path_factory.mktemp("variants")
    out = []
    for i in range(5):
        spec = ClipSpec(duration=2.0, width=160, height=284, fps=10, background=f"color=c=0x{20 + i * 30:02x}3040",
                        layers=[TextLayer(f"第{i + 1}条字幕", 0.2, 1.8, size=18, y="h*0.8")],
                        speech=[Utterance(0.2, "contract", "en-us")])
        out.append(make_clip(spec, root / f"v{i}.mp4"))
    return out


def test_redis_unreachable_is_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["enqueue", "--redis-url", "redis://127.0.0.1:1/0", "--data",
                                      str(tmp_path), "x.mp4"])
    assert result.exit_code != 0
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in result.output
    assert "Traceback" not in result.output


def test_enqueue_dedupes_and_jobs_are_json(variants, http_server, worker_env, redis_url, data_root, tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    url = http_server.add("v/0.mp4", variants[0])
    first = vs("enqueue", url, "ftp://nope/x.mp4", env=env)
    assert first.exit_code == 1  # the bad scheme is refused; the URL is queued
    lines = first.stdout.strip().splitlines()
    assert lines[0].endswith("\tqueued") and "unsupported URL scheme" in lines[1]
    again = vs("enqueue", url, env=env)
    assert again.exit_code == 0 and again.stdout.strip().endswith("refused: already queued")

    # Jobs are JSON in Redis (rq info / rq-dashboard read them; nothing is unpickled).
    raw = Redis.from_url(redis_url).hget(f"rq:job:{fetch_job_id(url)}", "data")
    assert json.loads(zlib.decompress(raw))[0] == "vidscribe.queue.jobs.fetch_job"  # RQ zlib-compresses it

    proc = start_worker(env, "--burst", log=tmp_path / "worker.log")
    assert proc.wait(timeout=180) == 0
    video_id = video_id_of(data_root, url)
    assert video_id and complete(Store(data_root), video_id)
    log = (tmp_path / "worker.log").read_text()
    assert "worker " in log.splitlines()[0] and "started: queues" in log.splitlines()[0]
    for stage in [pipeline.MEDIA_STAGE, *pipeline.stage_names()]:  # one line per job: ID, stage, status, time
        assert re.search(rf"{video_id} {stage}: (done|skipped) \(\d+\.\d s\)", log), (stage, log)
    assert "ftp://nope" not in log  # refused when queued: never reached the worker
    done = vs("enqueue", url, env=env)
    assert done.stdout.strip().endswith("refused: already processed (use --force to redo it)")
    assert done.stdout.split("\t")[1] == video_id or done.stdout.split("\t")[1] == "-"
    assert http_server.requests["/v/0.mp4"] >= 1


def test_worker_killed_mid_job_is_recovered(variants, http_server, worker_env, data_root, tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    http_server.slow_bytes_per_second = 4000  # ~10 s for the clip: long enough to kill mid-download
    url = http_server.add("slow/1.mp4", variants[1])
    assert vs("enqueue", url, env=env).exit_code == 0
    worker = start_worker(env, log=tmp_path / "worker1.log")
    wait_until(lambda: list((data_root / "media").glob("*/.download-*/*")), timeout=60,
               what="the download to start")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    # Nothing partial is visible: no media under its final name, no transcript.
    assert not list((data_root / "media").glob("*/source.*"))
    assert not list((data_root / "transcripts").glob("*/transcript.json"))
    assert SourceLedger(data_root).get(url).status == "running"

    http_server.slow_bytes_per_second = 0
    rescuer = start_worker(env, log=tmp_path / "worker2.log")
    try:
        video_id = wait_until(lambda: video_id_of(data_root, url), timeout=120, what="the fetch to be redone")
        wait_until(lambda: complete(Store(data_root), video_id), timeout=120, what="the video to complete")
    finally:
        rescuer.terminate()
        rescuer.wait(timeout=30)
    media = data_root / "media" / video_id
    assert (media / "source.mp4").read_bytes() == variants[1].read_bytes()
    assert not list(media.glob(".download-*")), "the killed download's leftovers are cleaned up"


def test_two_workers_twenty_videos_good_and_bad(variants, http_server, worker_env, data_root, redis_url, tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    good = [http_server.add(f"good/{i}.mp4", variants[i % len(variants)]) for i in range(5)]
    good += [http_server.add(f"good/copy{i}/clip.mp4", variants[i]) for i in range(5)]
    bad = [http_server.url(f"status/404?{i}") for i in range(4)]
    bad += [http_server.add(f"bad/page{i}.html", "<html><body>no video here</body></html>") for i in range(3)]
    bad += [http_server.add(f"bad/fake{i}.mp4", b"not a video at all " * 100) for i in range(3)]
    sources = good + bad
    listing = tmp_path / "sources.txt"
    listing.write_text("# twenty sources\n" + "\n".join(sources) + "\n")
    assert vs("enqueue", "--from-file", str(listing), env=env).stdout.count("\tqueued") == 20

    workers = [start_worker(env, "--burst", log=tmp_path / f"w{i}.log") for i in range(2)]
    for proc in workers:
        assert proc.wait(timeout=300) == 0

    store, ledger = Store(data_root), SourceLedger(data_root)
    for source in good:
        record = ledger.get(source)
        assert record.status == "done", (source, record)
        assert complete(store, record.video_id)
    for source in bad:
        record = ledger.get(source)
        assert record.status == "failed" and record.permanent and record.error.startswith(source), record
    # Exactly once: each good file was downloaded once, each stage job ran once.
    for i in range(5):
        assert http_server.requests[f"/good/{i}.mp4"] == GETS_PER_FETCH
    conn = Redis.from_url(redis_url)
    for source in good:
        video_id = ledger.get(source).video_id
        for name in pipeline.stage_names():
            job = Job.fetch(stage_job_id(video_id, name), connection=conn, serializer=JSONSerializer)
            assert len(job.results()) == 1, (video_id, name)
    # Permanent failures are not retried: one execution each.
    job = Job.fetch(fetch_job_id(bad[0]), connection=conn, serializer=JSONSerializer)
    assert job.get_status() == "failed" and len(job.results()) == 1

    status = vs("status", env=env)
    assert "videos: 10" in status.stdout
    assert status.stdout.count("\tmedia\t") == 10  # the ten bad sources, each with its reason
    assert "HTTP 404" in status.stdout


def test_redis_flush_then_reprocess_unfinished(variants, http_server, worker_env, data_root, redis_url, tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    urls = [http_server.add(f"flush/{i}.mp4", variants[i]) for i in range(3)]
    vs("enqueue", *urls, env=env)
    # Only the download queue is served: every video is fetched, its stages wait in Redis.
    assert start_worker(env, "--burst", "--queues", "download").wait(timeout=120) == 0
    Redis.from_url(redis_url).flushall()

    status = vs("status", env=env)
    assert "videos: 3" in status.stdout
    pending_row = next(line for line in status.stdout.splitlines() if line.startswith(pipeline.stage_names()[0]))
    assert pending_row.split()[-1] == "3"  # every video's first stage is still pending, as the store says

    result = vs("reprocess", "--unfinished", env=env)
    assert result.exit_code == 0 and result.stdout.count("\tqueued") == 3
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    store = Store(data_root)
    assert all(complete(store, video_id_of(data_root, u)) for u in urls)
    assert all(http_server.requests[f"/flush/{i}.mp4"] == GETS_PER_FETCH for i in range(3))


def test_reprocess_all_never_downloads_and_never_hides_outputs(variants, http_server, worker_env, data_root,
                                                                tmp_path):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    urls = [http_server.add(f"re/{i}.mp4", variants[i]) for i in range(3)]
    vs("enqueue", *urls, env=env)
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    store = Store(data_root)
    ids = [video_id_of(data_root, u) for u in urls]
    stage = pipeline.stage_names()[0]
    before = {i: store.load(i).stages[stage].finished_at for i in ids}
    outputs = {i: store.load(i).stages[stage].outputs for i in ids}

    missing: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # readers must always find the previous outputs while the stage re-runs
        while not stop.is_set():
            for video_id in ids:
                folder = data_root / "transcripts" / video_id
                for name in ["transcript.json", *outputs[video_id]]:
                    if not (folder / name).is_file():
                        missing.append(f"{video_id}/{name}")
                json.loads((folder / "transcript.json").read_text())

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    result = vs("reprocess", "--stage", stage, "--all", env=env)
    assert result.stdout.count("\tqueued") == 3
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    stop.set()
    watcher.join(timeout=10)
    assert not missing
    for video_id in ids:
        assert store.load(video_id).stages[stage].finished_at >= before[video_id]
        assert complete(store, video_id)
    assert [http_server.requests[f"/re/{i}.mp4"] for i in range(3)] == [GETS_PER_FETCH] * 3


def test_retry_failed_requeues_failed_fetches_and_stages(variants, http_server, worker_env, data_root, redis_url):
    env = {**worker_env, "VIDSCRIBE_DATA": str(data_root)}
    url = http_server.url("later/clip.mp4")  # 404 until the file is published
    vs("enqueue", url, env=env)
    assert start_worker(env, "--burst").wait(timeout=120) == 0
    record = SourceLedger(data_root).get(url)
    assert record.status == "failed" and "HTTP 404" in record.error

    conn = Redis.from_url(redis_url)
    failed_registry = FailedJobRegistry("download", connection=conn, serializer=JSONSerializer)
    assert fetch_job_id(url) in failed_registry.get_job_ids()

    http_server.add("later/clip.mp4", variants[2])
    result = vs("retry-failed", env=env)
    assert result.exit_code == 0 and result.stdout.strip().endswith("\tqueued")
    assert fetch_job_id(url) not in failed_registry.get_job_ids()  # re-queued: no longer listed as failed
    assert start_worker(env, "--burst").wait(timeout=180) == 0
    record = SourceLedger(data_root).get(url)
    assert record.status == "done" and complete(Store(data_root), record.video_id)
    finished = FinishedJobRegistry("download", connection=conn, serializer=JSONSerializer)
    assert fetch_job_id(url) in finished.get_job_ids() and fetch_job_id(url) not in failed_registry.get_job_ids()
    assert "no failed videos or sources" in vs("retry-failed", env=env).stderr


def test_worker_refuses_jobs_that_are_not_vidscribe_functions(worker_env, redis_url, tmp_path):
    from vidscribe.queue.connection import get_queue

    marker = tmp_path / "pwned"
    job = get_queue("post", Redis.from_url(redis_url)).enqueue("os.system", args=(f"touch {marker}",))
    assert start_worker(worker_env, "--burst").wait(timeout=60) == 0
    job.refresh()
    assert job.get_status() == "failed" and not marker.exists()
