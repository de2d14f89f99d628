"""Queue overhead and throughput, on a private redis-server started on a free port.

    python bench/queue.py [--jobs 500] [--clips 6]

1. Enqueue rate: --jobs trivial jobs (vidscribe.queue.jobs.noop) through RQ with the JSON serializer.
2. Drain with 2 `vidscribe worker --burst` processes (our SimpleWorker subclass with its heartbeat
   thread): per-job overhead of the worker loop = workers x span / jobs - mean job time, the span
   running from the first job's start to the last one's end as RQ recorded them (worker start-up
   excluded). Baseline in the same run: the same jobs drained by RQ's stock SimpleWorker.
3. End to end: --clips generated clips (speech + burned-in subtitles) enqueued and processed by 2
   workers through every stage, with the tiny offline Whisper model: clips per minute and media
   seconds per wall second.
Target (issue 6): per-job queue overhead below 20 ms.
"""

from __future__ import annotations

import sys

# Run as a script, this file's folder leads sys.path and its name would shadow the standard
# library's `queue` (which redis imports): drop it before importing anything else.
if sys.path and sys.path[0] == __import__("os").path.dirname(__import__("os").path.abspath(__file__)):
    sys.path.pop(0)

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers import start_redis  # noqa: E402

STOCK_WORKER = """
import sys
from redis import Redis
from rq import Queue, SimpleWorker
from rq.serializers import JSONSerializer
conn = Redis.from_url(sys.argv[1])
SimpleWorker([Queue("post", connection=conn, serializer=JSONSerializer)], connection=conn,
             serializer=JSONSerializer).work(burst=True, logging_level="WARNING")
"""


def drain(env: dict[str, str], url: str, jobs: int, stock: bool) -> tuple[float, float]:
    """Returns (span, per-job overhead): span from the first job's start to the last job's end, as
    RQ recorded them (worker start-up excluded); overhead = workers x span / jobs - mean job time."""
    from redis import Redis
    from rq.job import Job
    from rq.serializers import JSONSerializer

    from vidscribe.queue.connection import get_queue

    conn = Redis.from_url(url)
    conn.flushall()
    queue = get_queue("post", conn)
    ids = [queue.enqueue("vidscribe.queue.jobs.noop", args=(float(i),), result_ttl=600).id for i in range(jobs)]
    if stock:
        cmd = [sys.executable, "-c", STOCK_WORKER, url]
    else:
        cmd = [sys.executable, "-m", "vidscribe", "worker", "--burst", "--queues", "post"]
    procs = [subprocess.Popen(cmd, env=env) for _ in range(2)]
    for p in procs:
        p.wait()
    done = [j for j in Job.fetch_many(ids, connection=conn, serializer=JSONSerializer) if j and j.ended_at]
    assert len(done) == jobs, f"only {len(done)} of {jobs} jobs finished"
    span = (max(j.ended_at for j in done) - min(j.started_at for j in done)).total_seconds()
    work = sum((j.ended_at - j.started_at).total_seconds() for j in done) / jobs
    return span, 2 * span / jobs - work


def enqueue_rate(url: str, jobs: int) -> float:
    from redis import Redis

    from vidscribe.queue.connection import get_queue

    conn = Redis.from_url(url)
    conn.flushall()
    queue = get_queue("post", conn)
    started = time.perf_counter()
    for i in range(jobs):
        queue.enqueue("vidscribe.queue.jobs.noop", args=(float(i),), result_ttl=600)
    return jobs / (time.perf_counter() - started)


def end_to_end(env: dict[str, str], url: str, clips: int, tmp: Path) -> tuple[float, float, int]:
    from redis import Redis

    from vidscribe.samples import ClipSpec, TextLayer, Utterance, make_clip

    Redis.from_url(url).flushall()
    sources = []
    for i in range(clips):
        spec = ClipSpec(duration=8.0, width=360, height=640, fps=25, background=f"color=c=0x{16 + 20 * i:02x}3050",
                        layers=[TextLayer("加入俄罗斯军队", 0.5, 3.5, size=30, y="h*0.8"),
                                TextLayer(f"签约奖金{i + 1}万卢布", 3.5, 7.5, size=30, y="h*0.8")],
                        speech=[Utterance(0.5, "Join the army. Sign the contract today.", "en-us")])
        sources.append(str(make_clip(spec, tmp / f"clip{i}.mp4")))
    data = tmp / "data"
    env = {**env, "VIDSCRIBE_DATA": str(data)}
    subprocess.run([sys.executable, "-m", "vidscribe", "enqueue", *sources], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-m", "vidscribe", "worker", "--burst"], env=env) for _ in range(2)]
    for p in procs:
        p.wait()
    wall = time.perf_counter() - started
    done = len(list((data / "transcripts").glob("*/transcript.json")))
    return wall, clips * 8.0, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--clips", type=int, default=6)
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        sys.exit("bench/queue.py: redis-server not found (./dev setup installs it)")
    import tiny_whisper

    with tempfile.TemporaryDirectory(prefix="vidscribe-bench-queue-") as name:
        tmp = Path(name)
        redis_proc, url = start_redis(tmp)
        try:
            env = {**os.environ, "VIDSCRIBE_REDIS_URL": url, "VIDSCRIBE_DATA": str(tmp / "trivial")}
            print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
            rate = enqueue_rate(url, args.jobs)
            print(f"enqueue: {rate:,.0f} jobs/s ({1000 / rate:.2f} ms per job, one round trip each)")
            for label, stock in (("vidscribe worker (SimpleWorker + heartbeat thread)", False),
                                 ("baseline: stock rq SimpleWorker", True)):
                span, overhead = drain(env, url, args.jobs, stock)
                print(f"drain {args.jobs} trivial jobs, 2 workers, {label}: {span:.2f} s, "
                      f"{args.jobs / span:,.0f} jobs/s, per-job overhead {overhead * 1000:.1f} ms (target < 20 ms)")
            model = tiny_whisper.build(tmp / "tiny-whisper", language="ru")
            env["VIDSCRIBE_ASR_MODEL"] = str(model)
            wall, media, done = end_to_end(env, url, args.clips, tmp)
            print(f"end to end: {done}/{args.clips} clips of 8 s through every stage with 2 workers in {wall:.1f} s: "
                  f"{60 * done / wall:.1f} clips/min, {media / wall:.2f} media s per wall s (tiny Whisper model)")
        finally:
            redis_proc.terminate()
            redis_proc.wait()


if __name__ == "__main__":
    main()
