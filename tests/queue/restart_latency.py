"""How long after a SIGKILL of a busy worker its job runs again on another worker (figures only;
the tests never assert times). A private redis-server on a free port, two `vidscribe worker`
processes whose subtitles stage never ends (hanging_stage.py), one stage job with retries to
spare: each trial kills the worker running the job at a random point of its heartbeat cycle and
times the job's start on the idle one, then starts a fresh idle worker.

    python tests/queue/restart_latency.py [--heartbeat 30] [--trials 8]
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # queue_helpers, servers

import argparse  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from queue_helpers import fetch_job, start_worker, wait_until  # noqa: E402
from redis import Redis  # noqa: E402
from rq import Retry  # noqa: E402
from servers import start_redis  # noqa: E402

from vidscribe.queue.connection import get_queue  # noqa: E402
from vidscribe.queue.graph import RETRY, stage_job_id  # noqa: E402
from vidscribe.samples import ClipSpec, make_clip  # noqa: E402


def stored_video(tmp: Path, env: dict[str, str]) -> str:
    clip = make_clip(ClipSpec(duration=2.0, width=160, height=120, fps=10), tmp / "clip.mp4")
    out = subprocess.run([sys.executable, "-m", "vidscribe", "process", "--stage", "media", str(clip)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return out.split("\t")[0].strip()


def trial(conn: Redis, job_id: str, busy: subprocess.Popen, name: str, heartbeat: int) -> float:
    time.sleep(random.uniform(0, heartbeat / 5))  # anywhere in the heartbeat cycle
    busy.send_signal(signal.SIGKILL)
    busy.wait()
    killed = time.monotonic()
    wait_until(lambda: (job := fetch_job(conn, job_id)) and job.get_status() == "started" and job.worker_name != name,
               timeout=30 * heartbeat, every=0.05, what="the job to restart")
    return time.monotonic() - killed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heartbeat", type=int, default=30, help="VIDSCRIBE_JOB_HEARTBEAT for the workers")
    parser.add_argument("--trials", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vidscribe-restart-") as name:
        tmp = Path(name)
        redis_proc, url = start_redis(tmp)
        env = {**os.environ, "VIDSCRIBE_REDIS_URL": url, "VIDSCRIBE_DATA": str(tmp / "data"),
               "VIDSCRIBE_JOB_HEARTBEAT": str(args.heartbeat)}
        workers: dict[str, subprocess.Popen] = {}
        try:
            conn = Redis.from_url(url)
            video_id = stored_video(tmp, env)
            job_id = stage_job_id(video_id, "subtitles")
            get_queue("subtitles", conn).enqueue(
                "vidscribe.queue.jobs.stage_job", args=(video_id, "subtitles", str(tmp / "data")), job_id=job_id,
                retry=Retry(max=args.trials + 1, interval=RETRY.intervals), job_timeout=3600)
            for i in range(2):
                workers[f"w{i}"] = start_worker(env, "--queues", "subtitles", "--name", f"w{i}", hanging=True)
            seconds = []
            for i in range(args.trials):
                job = wait_until(lambda: (j := fetch_job(conn, job_id)) and j.get_status() == "started" and j,
                                 timeout=600, what="the job to run")
                busy = job.worker_name
                seconds.append(trial(conn, job_id, workers.pop(busy), busy, args.heartbeat))
                print(f"trial {i + 1}: restarted {seconds[-1]:.1f} s after the kill", flush=True)
                workers[f"r{i}"] = start_worker(env, "--queues", "subtitles", "--name", f"r{i}", hanging=True)
            print(f"job heartbeat {args.heartbeat} s, {len(seconds)} kills: median {statistics.median(seconds):.1f} s, "
                  f"min {min(seconds):.1f} s, max {max(seconds):.1f} s")
        finally:
            for proc in workers.values():
                proc.kill()
                proc.wait()
            redis_proc.terminate()
            redis_proc.wait()


if __name__ == "__main__":
    main()
