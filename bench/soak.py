"""Worker faults, measured (issue 11): SIGKILL soak, Redis restart, full disk.

    python bench/soak.py [--part soak|redis|disk|all] [--kills 20] [--clips 10] [--heartbeat 30]
                         [--also-heartbeat 10] [--seed 11]

Everything runs on a private redis-server (a free port, append-only file, as a production Redis
with persistence) and private data roots, with the tiny offline Whisper model (tests/tiny_whisper.py)
and --clips generated clips of --seconds (speech and burned-in subtitles, vidscribe.samples), queued
as local files.

1. Baseline: 2 `vidscribe worker` processes, no faults: its outputs are what the other runs must give.
   Soak: the same clips with 2 workers, and --kills times a random busy worker gets SIGKILL (only
   one whose job has a retry left: the soak measures recovery, not running out of retries) and a
   replacement starts, as a supervisor would. Per kill, from Redis's own job times: kill -> job
   queued again (the sweep found it abandoned) -> job started again. Then: every clip has every
   stage done; outputs equal the baseline's (transcript.json without its run fields, stages'
   `seconds` and `finished_at`; transcript.md with its Stages row read as a set, since it lists the
   stages in the order they finished; every other file byte for byte); no temporary files
   (hidden `.*.tmp`, `.*.partial.*`, `.*.new.*`, `.download-*`) left; no orphaned process of a
   killed worker (PPID 1); no `rq:scheduler-lock:*` key held by a dead scheduler after the lock TTL.
   What bounds recovery: a killed worker's job execution expires within a job heartbeat
   (VIDSCRIBE_JOB_HEARTBEAT, --heartbeat) of its last beat, any idle worker sweeps for expired
   executions every quarter heartbeat, and the job is queued at the front of its queue; then it
   waits for a worker to be free for that queue.
   Previous figure (issue 11, before "Workers live through faults"): median 67 s, max 376 s from
   kill to the job restarting. The bench reads the started jobs without RQ's clean-up (see
   `targets`): RQ's would requeue a dead worker's job itself, in the bench's process.
2. Redis restart: during a run of 2 workers, redis-server is stopped (SIGTERM: it writes its
   append-only file and exits) for --outage seconds and started again on the same port with its
   data. Reported: whether the workers stayed alive, the log lines they wrote meanwhile, whether
   every clip finished with the baseline's outputs.
3. Disk full: the data root on a small tmpfs (needs root: `mount -t tmpfs`), 2 workers and then
   `vidscribe process` on a batch: the one-line messages, every transcript.json still readable,
   the batch going on past the full disk. Skipped, saying so, where mount is not permitted.
4. Bad inputs (--part inputs, also in all): `vidscribe process` on each bad input issue 11 names
   (corrupt middle, redirect to file://, 404, 0 fps, image renamed .mp4, newline in the path, a
   6-hour clip as a URL), served from a loopback HTTP server: the exit status and every stderr line.

Figures only: nothing here asserts a time. Run it alone on the machine (it is timing-sensitive).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder leads sys.path, and bench/queue.py would shadow the standard
# library's `queue` (which redis imports): drop it before importing anything else.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path.pop(0)
sys.path[:0] = [str(ROOT / "tests" / "queue"), str(ROOT / "tests")]  # queue_helpers, servers, tiny_whisper

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timezone  # noqa: E402
from http.server import ThreadingHTTPServer  # noqa: E402

from queue_helpers import RestartableRedis  # noqa: E402
from redis import Redis  # noqa: E402
from rq.exceptions import NoSuchJobError  # noqa: E402
from rq.job import Job, JobStatus  # noqa: E402
from rq.serializers import JSONSerializer  # noqa: E402
from servers import LocalServer, static_handler  # noqa: E402

PREVIOUS = {"median": 67.0, "max": 376.0}  # issue 11's figures before the fix, kill -> job restarted
TAG = "VIDSCRIBE_SOAK_TAG"  # in every worker's environment: how its processes (and children) are found
TEMP_NAME = re.compile(r"^\.(download-.*|.*\.tmp|.*\.partial\..*|.*\.new\..*|write-check-.*)$")
RUN_FIELDS = ("seconds", "finished_at")  # a stage record's fields that differ from run to run
UTC = timezone.utc
FLEETS: list[Fleet] = []  # every fleet started, for the last resort clean-up


# -- set-up -----------------------------------------------------------------------------------------

def make_clips(folder: Path, count: int, seconds: float) -> list[str]:
    from vidscribe.samples import ClipSpec, TextLayer, Utterance, make_clip

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        half = seconds / 2
        spec = ClipSpec(duration=seconds, width=360, height=640, fps=25,
                        background=f"color=c=0x{16 + 20 * i:02x}3050",
                        layers=[TextLayer("加入俄罗斯军队", 0.5, half, size=30, y="h*0.8"),
                                TextLayer(f"签约奖金{i + 1}万卢布", half, seconds - 0.5, size=30, y="h*0.8")],
                        speech=[Utterance(0.5, f"Join the army. Sign contract number {i + 1} today.", "en-us"),
                                Utterance(half, "Call us on Telegram.", "en-us")])
        paths.append(str(make_clip(spec, folder / f"clip{i}.mp4")))
    return paths


def worker_env(url: str, data: Path, model: Path, heartbeat: int, tag: str) -> dict[str, str]:
    return {**os.environ, "VIDSCRIBE_REDIS_URL": url, "VIDSCRIBE_DATA": str(data), "VIDSCRIBE_ASR_MODEL": str(model),
            "VIDSCRIBE_JOB_HEARTBEAT": str(heartbeat), "PYTHONUNBUFFERED": "1", TAG: tag}


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


class Fleet:
    """`vidscribe worker` processes, each logging to its own file, as a supervisor would run them."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen] = {}
        self.started = 0
        logs.mkdir(parents=True, exist_ok=True)
        FLEETS.append(self)

    def start(self) -> str:
        name = f"w{self.started}-{self.env[TAG][:6]}"
        self.started += 1
        with open(self.logs / f"{name}.log", "ab") as out:
            self.procs[name] = subprocess.Popen([sys.executable, "-m", "vidscribe", "worker", "--name", name],
                                                env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return name

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()

    def alive(self) -> list[str]:
        return [name for name, proc in self.procs.items() if proc.poll() is None]

    def offsets(self) -> dict[Path, int]:
        return {p: p.stat().st_size for p in self.logs.glob("*.log")}

    def lines_since(self, offsets: dict[Path, int], until: dict[Path, int] | None = None) -> list[str]:
        """The log lines written after `offsets` (and before `until`), each with its worker's name."""
        lines = []
        for path in sorted(self.logs.glob("*.log")):
            with open(path, "rb") as f:
                f.seek(offsets.get(path, 0))
                chunk = f.read((until or {}).get(path, path.stat().st_size) - offsets.get(path, 0))
            lines += [f"{path.stem}: {line}" for line in chunk.decode(errors="replace").splitlines()]
        return lines

    def stop(self) -> list[int | None]:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        codes = []
        for proc in self.procs.values():
            try:
                codes.append(proc.wait(timeout=60))
            except subprocess.TimeoutExpired:
                proc.kill()
                codes.append(proc.wait())
        return codes


def enqueue(env: dict[str, str], sources: list[str]) -> list[str]:
    """`vidscribe enqueue SOURCES`; returns the video IDs (a local file's is its content hash)."""
    out = subprocess.run([sys.executable, "-m", "vidscribe", "enqueue", *sources], env=env, check=True,
                         capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in out.splitlines() if line.strip()]
    assert all(row[2] == "queued" for row in rows), out
    return [row[1] for row in rows]


def finished(data: Path, ids: list[str]) -> bool:
    from vidscribe.queue.graph import complete
    from vidscribe.transcripts.store import Store

    store = Store(data)
    try:
        return all(complete(store.load(i)) for i in ids)
    except Exception:  # not there yet
        return False


def stage_states(data: Path, ids: list[str]) -> dict[str, dict[str, str]]:
    from vidscribe.transcripts.store import Store

    states = {}
    for video_id in ids:
        try:
            stages = Store(data).load(video_id).stages
        except Exception as e:  # noqa: BLE001 (a figure, not a test)
            states[video_id] = {"transcript": f"unreadable: {type(e).__name__}: {e}"}
            continue
        states[video_id] = {name: r.status if not r.error else f"{r.status}: {r.error}" for name, r in stages.items()}
    return states


# -- what the runs leave -------------------------------------------------------------------------

STAGES_ROW = "- **Stages:** "  # transcript.md's row listing the stages, in the order they were recorded


def snapshot(data: Path, ids: list[str]) -> dict[str, object]:
    """What must not depend on faults: transcript.json without its run fields, transcript.md with its
    Stages row's items sorted (their order is the order the stages finished in), every other file's hash."""
    snap: dict[str, object] = {}
    for video_id in ids:
        for folder in (data / "transcripts" / video_id, data / "media" / video_id):
            for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != ".lock"):
                key = str(path.relative_to(data))
                if path.name == "transcript.json":
                    doc = json.loads(path.read_text(encoding="utf-8"))
                    for record in doc.get("stages", {}).values():
                        for name in RUN_FIELDS:
                            record.pop(name, None)
                    snap[key] = doc
                elif path.name == "transcript.md":
                    snap[key] = path.read_text(encoding="utf-8").splitlines()
                else:
                    snap[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snap


def _sorted_stages(lines: object) -> object:
    if not isinstance(lines, list):
        return lines
    return [STAGES_ROW + ", ".join(sorted(line.removeprefix(STAGES_ROW).split(", "))) if line.startswith(STAGES_ROW)
            else line for line in lines]


def differences(base: dict[str, object], other: dict[str, object]) -> list[str]:
    out = [f"only in the baseline: {k}" for k in sorted(base.keys() - other.keys())]
    out += [f"not in the baseline: {k}" for k in sorted(other.keys() - base.keys())]
    for key in sorted(base.keys() & other.keys()):
        if base[key] == other[key]:
            continue
        if _sorted_stages(base[key]) == _sorted_stages(other[key]):
            out.append(f"order of the Stages row only: {key}")
        else:
            out.append(f"differs: {key}")
    return out


def leftovers(data: Path) -> list[str]:
    return sorted(str(p.relative_to(data)) for p in data.rglob(".*") if TEMP_NAME.match(p.name))


def _stat(pid: str) -> tuple[str, int] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def tagged(tag: str) -> list[tuple[int, int, str]]:
    """(pid, ppid, state) of every live process carrying `tag` in its environment: workers and children."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        stat = _stat(pid)
        if stat and stat[0] not in "ZX" and f"{TAG}={tag}".encode() in environ.split(b"\0"):
            found.append((int(pid), stat[1], stat[0]))
    return found


def orphans(tag: str) -> list[str]:
    """Processes of this run whose parent is gone: PPID 1, or any parent that is not ours."""
    ours = {pid for pid, _, _ in tagged(tag)} | {os.getpid()}
    return [f"pid {pid} ppid {ppid} ({command_line(pid)})" for pid, ppid, _ in tagged(tag) if ppid not in ours]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")[:80]
    except OSError:
        return "?"


def dead_lock_holders(conn: Redis) -> list[str]:
    """`rq:scheduler-lock:*` keys whose scheduler is not a live process."""
    held = []
    for key in conn.scan_iter("rq:scheduler-lock:*"):
        name = (conn.get(key) or b"").decode()
        pid = conn.hget(f"rq:scheduler:{name}", "pid")
        alive = pid is not None and _stat(pid.decode()) is not None and _stat(pid.decode())[0] not in "ZX"
        if not alive:
            held.append(f"{key.decode()} held by scheduler {name} (pid {pid.decode() if pid else 'unknown'}, "
                        f"ttl {conn.ttl(key)} s)")
    return held


# -- the soak -------------------------------------------------------------------------------------------

@dataclass
class Kill:
    job_id: str
    worker: str
    at: datetime  # UTC, as RQ records job times
    requeued: float | None = None  # seconds from the kill to the job's new enqueued_at
    restarted: float | None = None  # seconds from the kill to the job's new started_at
    outcome: str = "pending"


@dataclass
class Run:
    ids: list[str]
    data: Path
    wall: float
    kills: list[Kill] = field(default_factory=list)


def fetch(conn: Redis, job_id: str) -> Job | None:
    try:
        return Job.fetch(job_id, connection=conn, serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def targets(conn: Redis, fleet: Fleet) -> list[tuple[str, Job]]:
    """Live workers running a job that has a retry left (from each queue's started jobs). Read with
    `cleanup=False`: RQ's own clean-up of the started jobs (what `rq info` and rq-dashboard run on the
    way to a count) would take the sweep's place for jobs whose worker just died."""
    from vidscribe.queue.connection import QUEUE_NAMES, get_queue

    alive, found = set(fleet.alive()), []
    for name in QUEUE_NAMES:
        for job_id in get_queue(name, conn).started_job_registry.get_job_ids(cleanup=False):
            job = fetch(conn, job_id)
            if (job and job.get_status(refresh=False) == JobStatus.STARTED and job.worker_name in alive
                    and (job.retries_left or 0) > 0):
                found.append((job.worker_name, job))
    return found


def kill_one(conn: Redis, fleet: Fleet, rng: random.Random) -> Kill | None:
    """SIGKILL a random busy worker and start its replacement; None when no worker is busy."""
    choices = targets(conn, fleet)
    if not choices:
        return None
    name, job = rng.choice(sorted(choices, key=lambda c: c[0]))
    at = datetime.now(UTC)
    fleet.kill(name)
    fleet.start()
    after = fetch(conn, job.id)
    if after is None or after.get_status() != JobStatus.STARTED or after.worker_name != name:
        return Kill(job.id, name, at, outcome="the job ended just before the kill")
    return Kill(job.id, name, at)


def follow(conn: Redis, kills: list[Kill]) -> None:
    """Fill in when each killed job was queued and started again, from RQ's own job times."""
    for kill in (k for k in kills if k.outcome == "pending"):
        job = fetch(conn, kill.job_id)
        if job is None:
            kill.outcome = "job gone from Redis"
            continue
        if kill.requeued is None and job.enqueued_at and _utc(job.enqueued_at) > kill.at:
            kill.requeued = (_utc(job.enqueued_at) - kill.at).total_seconds()
        if job.started_at and _utc(job.started_at) > kill.at:
            kill.restarted = (_utc(job.started_at) - kill.at).total_seconds()
            kill.outcome = "restarted"
        elif job.get_status() == JobStatus.FAILED:
            kill.outcome = "failed for good"


def run_batch(conn: Redis, env: dict[str, str], sources: list[str], tmp: Path, kills: int = 0, gap: float = 5.0,
              rng: random.Random | None = None, limit: float = 1800,
              until: Callable[[Path, list[str]], bool] = finished) -> tuple[Run, Fleet]:
    """2 workers through `sources` on a flushed Redis and a fresh data root, with `kills` kills spaced
    `gap` s apart on average, until `until(data, ids)` (every clip complete) or `limit` seconds.
    Returns with the workers still running (the caller checks, then stops them)."""
    conn.flushall()
    data = Path(env["VIDSCRIBE_DATA"])
    shutil.rmtree(data, ignore_errors=True)
    fleet = Fleet(env, tmp / "logs" / env[TAG])
    ids = enqueue(env, sources)
    started = time.monotonic()
    for _ in range(2):
        fleet.start()
    run, rng = Run(ids, data, 0.0), rng or random.Random(0)
    next_kill, next_check, done = started + gap * rng.uniform(0.5, 1.5), 0.0, False
    while not done and time.monotonic() - started < limit:
        follow(conn, run.kills)
        hits = sum(k.outcome != "the job ended just before the kill" for k in run.kills)
        if hits < kills and time.monotonic() >= next_kill:
            kill = kill_one(conn, fleet, rng)
            if kill:
                run.kills.append(kill)
                next_kill = time.monotonic() + gap * rng.uniform(0.5, 1.5)
        if time.monotonic() >= next_check:
            done, next_check = until(data, ids), time.monotonic() + 1.0
        time.sleep(0.2)
    run.wall = time.monotonic() - started
    follow(conn, run.kills)
    return run, fleet


def nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)]


def spread(values: list[float]) -> str:
    if not values:
        return "no values"
    return (f"median {statistics.median(values):.1f} s, p95 {nearest_rank(values, 0.95):.1f} s, "
            f"max {max(values):.1f} s (min {min(values):.1f} s, n={len(values)})")


def settle_and_check(conn: Redis, run: Run, fleet: Fleet, baseline: dict[str, object] | None) -> dict[str, object]:
    """After a run: wait out the scheduler lock TTL, then look for dead lock holders and orphans (workers
    still up), stop the workers, and compare the outputs with the baseline."""
    from vidscribe.worker.scheduler import SCHEDULER_LOCK_TTL

    last_kill = max((k.at for k in run.kills), default=None)
    if last_kill:
        time.sleep(max(0.0, SCHEDULER_LOCK_TTL + 2 - (datetime.now(UTC) - last_kill).total_seconds()))
    tag = fleet.env[TAG]
    checks: dict[str, object] = {"dead lock holders": dead_lock_holders(conn), "orphans": orphans(tag)}
    checks["worker exit codes (SIGTERM)"] = fleet.stop()
    time.sleep(1)
    checks["processes left after stop"] = [f"pid {p} ppid {pp} {st}" for p, pp, st in tagged(tag)]
    checks["locks left after stop"] = [k.decode() for k in conn.scan_iter("rq:scheduler-lock:*")]
    states = stage_states(run.data, run.ids)
    checks["clips with every stage done"] = f"{sum(all(v == 'done' for v in s.values()) for s in states.values())}" \
                                            f"/{len(run.ids)}"
    checks["not done"] = {i: {k: v for k, v in s.items() if v != "done"} for i, s in states.items()
                          if any(v != "done" for v in s.values())}
    checks["temporary files left"] = leftovers(run.data)
    if baseline is not None:
        checks["differences from the baseline"] = differences(baseline, snapshot(run.data, run.ids))
    return checks


def print_checks(checks: dict[str, object]) -> None:
    for name, value in checks.items():
        shown = value if value or value == 0 else "none"
        if isinstance(value, list) and len(value) > 12:
            shown = [*value[:12], f"... {len(value) - 12} more"]
        print(f"  {name}: {shown}")


def print_kills(run: Run, heartbeat: int) -> None:
    hits = [k for k in run.kills if k.outcome != "the job ended just before the kill"]
    for i, k in enumerate(run.kills, 1):
        queued = f"queued again +{k.requeued:.1f} s" if k.requeued is not None else "never queued again"
        again = f"started again +{k.restarted:.1f} s" if k.restarted is not None else k.outcome
        print(f"  kill {i:2d} {k.at:%H:%M:%S} {k.worker} running {k.job_id[:40]}: "
              + (k.outcome if k.outcome.startswith("the job ended") else f"{queued}, {again}"))
    requeued = [k.requeued for k in hits if k.requeued is not None]
    restarted = [k.restarted for k in hits if k.restarted is not None]
    print(f"  {len(hits)} kills mid-job ({len(run.kills) - len(hits)} more landed as a job ended); "
          f"{len(restarted)} jobs started again, {sum(k.outcome == 'failed for good' for k in hits)} failed for good")
    print(f"  kill -> queued again (the sweep): {spread(requeued)}")
    print(f"  kill -> started again:            {spread(restarted)}")
    print(f"  previous figure (issue 11, before the fix): median {PREVIOUS['median']:.0f} s, "
          f"max {PREVIOUS['max']:.0f} s")
    quarter = max(1, heartbeat // 4)
    print(f"  bound: heartbeat {heartbeat} s: the execution of a killed job expires "
          f"{heartbeat * 4 / 5:.0f}-{heartbeat} s after the kill (renewed every {heartbeat / 5:.0f} s), "
          f"an idle worker sweeps every {quarter} s, so queued again within ~{heartbeat + quarter} s "
          f"once a worker is idle; then started when a worker serving its queue is free "
          f"(post, subtitles, speech, download in that order)")


def soak_part(conn: Redis, url: str, tmp: Path, sources: list[str], model: Path, args: argparse.Namespace,
              baseline: tuple[Run, dict[str, object]]) -> None:
    base_run, base_snap = baseline
    for heartbeat in dict.fromkeys([args.heartbeat, *args.also_heartbeat]):
        gap = args.gap or max(2.0, 0.7 * base_run.wall / max(1, args.kills))
        env = worker_env(url, tmp / f"soak-{heartbeat}", model, heartbeat, uuid.uuid4().hex)
        print(f"\nsoak: {len(sources)} clips, 2 workers, {args.kills} SIGKILLs of a busy worker "
              f"(~{gap:.1f} s apart), job heartbeat {heartbeat} s; {load()}", flush=True)
        run, fleet = run_batch(conn, env, sources, tmp, kills=args.kills, gap=gap, rng=random.Random(args.seed),
                               limit=args.limit)
        print(f"  wall {run.wall:.0f} s (baseline {base_run.wall:.0f} s), {fleet.started} workers started in all; "
              f"{load()}")
        print_kills(run, heartbeat)
        print_checks(settle_and_check(conn, run, fleet, base_snap))


def baseline_part(conn: Redis, url: str, tmp: Path, sources: list[str], model: Path, heartbeat: int
                  ) -> tuple[Run, dict[str, object]]:
    env = worker_env(url, tmp / "baseline", model, heartbeat, uuid.uuid4().hex)
    print(f"baseline: {len(sources)} clips, 2 workers, no faults; {load()}", flush=True)
    run, fleet = run_batch(conn, env, sources, tmp)
    checks = settle_and_check(conn, run, fleet, None)
    print(f"  wall {run.wall:.0f} s; {load()}")
    print_checks(checks)
    return run, snapshot(run.data, run.ids)


# -- Redis restart ------------------------------------------------------------------------------------

def redis_part(server: RestartableRedis, tmp: Path, sources: list[str], model: Path, args: argparse.Namespace,
               baseline: tuple[Run, dict[str, object]]) -> None:
    """Redis stopped (SIGTERM: append-only file written, as `systemctl restart redis`) for `args.outage`
    s while 2 workers are busy, then started again on its port with its data."""
    conn = Redis.from_url(server.url)
    env = worker_env(server.url, tmp / "redis-restart", model, args.heartbeat, uuid.uuid4().hex)
    print(f"\nredis restart: {len(sources)} clips, 2 workers, redis-server stopped for {args.outage:.0f} s once a "
          f"worker is busy and a quarter of the clips are fetched; {load()}", flush=True)
    conn.flushall()
    data = Path(env["VIDSCRIBE_DATA"])
    fleet = Fleet(env, tmp / "logs" / env[TAG])
    ids = enqueue(env, sources)
    started = time.monotonic()
    for _ in range(2):
        fleet.start()
    wait_for(lambda: len(list((data / "transcripts").glob("*/transcript.json"))) >= max(1, len(ids) // 4)
             and any(conn.hget(f"rq:worker:{n}", "state") == b"busy" for n in fleet.alive()), 600)
    before = fleet.offsets()
    busy = [n for n in fleet.alive() if conn.hget(f"rq:worker:{n}", "state") == b"busy"]
    server.stop()
    stopped = time.monotonic()
    time.sleep(args.outage)
    alive = fleet.alive()
    during = fleet.lines_since(before)
    server.start()
    print(f"  stopped at +{stopped - started:.0f} s with {busy} busy; back after {time.monotonic() - stopped:.0f} s")
    print(f"  workers alive at the end of the outage: {len(alive)}/2; log lines written during it: {len(during)}")
    for line in during:
        print(f"    {line}")
    back = fleet.offsets()
    done = wait_for(lambda: finished(data, ids), args.limit)
    print(f"  every clip finished: {done}, wall {time.monotonic() - started:.0f} s (baseline {baseline[0].wall:.0f} s)")
    wait_for(lambda: all(re.search(r"reachable again", p.read_text()) for p in fleet.logs.glob("*.log")), 60)
    after = [line for line in fleet.lines_since(back) if "redis" in line]
    print(f"  redis lines after the restart: {after or 'none'}")
    run = Run(ids, data, time.monotonic() - started)
    print_checks(settle_and_check(conn, run, fleet, baseline[1]))


def wait_for(predicate: Callable[[], bool], limit: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


# -- full disk -------------------------------------------------------------------------------------------

def settled(conn: Redis) -> Callable[[Path, list[str]], bool]:
    """True once no job is queued, running, waiting for another or scheduled for a retry."""
    from vidscribe.queue.connection import QUEUE_NAMES, get_queue

    def check(_data: Path, _ids: list[str]) -> bool:
        for name in QUEUE_NAMES:
            queue = get_queue(name, conn)
            registries = (queue.started_job_registry, queue.deferred_job_registry, queue.scheduled_job_registry)
            if (len(queue) or any(r.get_job_count(cleanup=False) for r in registries)
                    or conn.llen(queue.intermediate_queue_key)):
                return False
        return True

    return check


def mount_tmpfs(where: Path, size: int) -> str | None:
    """Mount a tmpfs of `size` bytes at `where`; the reason it could not, or None."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else (done.stderr.strip() or f"mount exited {done.returncode}")


def readable_transcripts(data: Path) -> str:
    from vidscribe.transcripts.store import Store

    store, bad = Store(data), []
    ids = store.video_ids() if (data / "transcripts").is_dir() else []
    for video_id in ids:
        try:
            store.load(video_id)
        except Exception as e:  # noqa: BLE001 (reported)
            bad.append(f"{video_id}: {type(e).__name__}: {e}")
    return f"{len(ids) - len(bad)}/{len(ids)} transcript.json readable" + (f"; unreadable: {bad}" if bad else "")


def disk_workers(conn: Redis, url: str, disk: Path, tmp: Path, sources: list[str], model: Path,
                 args: argparse.Namespace) -> None:
    env = worker_env(url, disk / "queued", model, args.heartbeat, uuid.uuid4().hex)
    run, fleet = run_batch(conn, env, sources, tmp, limit=args.disk_limit, until=settled(conn))
    print(f"  workers: every job ended: {settled(conn)(run.data, run.ids)} after {run.wall:.0f} s; "
          f"{sum(all(v == 'done' for v in s.values()) for s in stage_states(run.data, run.ids).values())}"
          f"/{len(run.ids)} clips complete")
    failed = [line for line in fleet.lines_since({}) if "failed" in line or "Traceback" in line]
    print(f"  worker lines about failures ({len(failed)}):")
    for line in failed[:20]:
        print(f"    {line}")
    print(f"  {readable_transcripts(run.data)}; temporary files left: {leftovers(run.data) or 'none'}")
    print(f"  workers alive: {len(fleet.alive())}/2; exit codes on SIGTERM: {fleet.stop()}")
    status = subprocess.run([sys.executable, "-m", "vidscribe", "status"], env=env, capture_output=True, text=True)
    print("  vidscribe status:\n" + "\n".join(f"    {line}" for line in status.stdout.splitlines()[:20]))


def disk_cli(disk: Path, sources: list[str], model: Path) -> None:
    data = disk / "inline"
    cmd = [sys.executable, "-m", "vidscribe", "process", "--data", str(data), "--asr-model", str(model), *sources]
    done = subprocess.run(cmd, capture_output=True, text=True)
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:") or "sources:" in line
             or "Traceback" in line or "internal error" in line]
    print(f"  vidscribe process on {len(sources)} clips: exit {done.returncode}; stderr lines:")
    for line in lines:
        print(f"    {line}")
    print(f"  stdout lines (one per finished source): {len(done.stdout.splitlines())}; {readable_transcripts(data)}; "
          f"temporary files left: {leftovers(data) or 'none'}")


def disk_part(conn: Redis, url: str, tmp: Path, sources: list[str], model: Path, args: argparse.Namespace,
              baseline: tuple[Run, dict[str, object]]) -> None:
    data = baseline[0].data
    per_clip = sum(p.stat().st_size for p in data.rglob("*") if p.is_file()) / len(baseline[0].ids)
    size = int(per_clip * args.disk_clips) // 4096 * 4096
    for label, run_it in (("workers", lambda disk: disk_workers(conn, url, disk, tmp, sources, model, args)),
                          ("inline", lambda disk: disk_cli(disk, sources, model))):
        disk = tmp / f"disk-{label}"
        print(f"\ndisk full ({label}): data root on a {size // 1024} KiB tmpfs (room for ~{args.disk_clips} of "
              f"{len(sources)} clips at {per_clip / 1024:.0f} KiB each); {load()}", flush=True)
        reason = mount_tmpfs(disk, size)
        if reason:
            print(f"  skipped: cannot mount a tmpfs here ({reason})")
            return
        try:
            run_it(disk)
            usage = shutil.disk_usage(disk)
            print(f"  tmpfs at the end: {usage.used // 1024} KiB used of {usage.total // 1024} KiB")
        finally:
            subprocess.run(["umount", str(disk)], check=False)


# -- bad inputs ------------------------------------------------------------------------------------------

def serve(root: Path) -> tuple[LocalServer, ThreadingHTTPServer]:
    """A loopback static server (tests/servers.py): files, /status/<code>, /redirect/<code>?to=..."""
    state = LocalServer(root, "")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), static_handler(state))
    state.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return state, httpd


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=600)


def zero_fps(clip: Path, out: Path) -> Path:
    """`clip` as MJPEG in MP4 whose video sample durations are all 0: ffprobe reads avg_frame_rate 0/0."""
    import struct

    plain = out.with_suffix(".plain.mp4")
    ffmpeg("-i", str(clip), "-c:v", "mjpeg", "-q:v", "3", "-c:a", "copy", "-use_editlist", "0", str(plain))
    data = bytearray(plain.read_bytes())
    stts = data.find(b"stts")  # the first track's (video) time-to-sample table
    for k in range(struct.unpack(">I", data[stts + 8:stts + 12])[0]):
        data[stts + 16 + 8 * k:stts + 20 + 8 * k] = struct.pack(">I", 0)
    for box, at in ((b"mdhd", 20), (b"tkhd", 24)):  # the track's duration: 0 too (version 0 boxes)
        where = data.find(box)
        data[where + at:where + at + 4] = struct.pack(">I", 0)
    out.write_bytes(bytes(data))
    plain.unlink()
    return out


def bad_inputs(tmp: Path, clip: Path, state: LocalServer) -> dict[str, str]:
    """Each bad input issue 11 names, as a source for `vidscribe process`."""
    folder = tmp / "bad"
    folder.mkdir()
    damaged = bytearray(clip.read_bytes())
    noise = random.Random(1)
    for i in range(len(damaged) // 3, len(damaged) // 2):
        damaged[i] = noise.randrange(256)
    (folder / "corrupt-middle.mp4").write_bytes(bytes(damaged))
    ffmpeg("-f", "lavfi", "-i", "color=c=white:s=320x240", "-vf", "drawtext=text='t.me/join':fontsize=40:x=40:y=100",
           "-frames:v", "1", "-f", "image2", "-c:v", "png", str(folder / "photo-renamed.mp4"))
    newline = folder / "two\nlines.mp4"
    shutil.copyfile(clip, newline)
    text_newline = folder / "notes\nvideo.mp4"
    text_newline.write_text("this is a text file with a video name\n" * 50)
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=1:d=21600", "-c:v", "libx264", "-preset", "ultrafast",
           "-crf", "35", "-movflags", "+faststart", str(state.root / "six-hours.mp4"))
    return {
        "corrupt middle (a sixth of the file overwritten with noise)": str(folder / "corrupt-middle.mp4"),
        "redirect to file:// (loopback HTTP 302)": state.url("redirect/302?to=file:///etc/passwd"),
        "HTTP 404": state.url("status/404"),
        "container says 0 fps (MP4, every video sample 0 long)": str(zero_fps(clip, folder / "zero-fps.mp4")),
        "PNG image renamed .mp4": str(folder / "photo-renamed.mp4"),
        "path with a newline (a real clip)": str(newline),
        "path with a newline (a text file)": str(text_newline),
        "6-hour clip as a URL (loopback HTTP)": state.url("six-hours.mp4"),
    }


def inputs_part(tmp: Path, sources: list[str], model: Path) -> None:
    """`vidscribe process` (every stage) on each bad input: its exit status and every stderr line."""
    (tmp / "www").mkdir()
    state, httpd = serve(tmp / "www")
    try:
        for label, source in bad_inputs(tmp, Path(sources[0]), state).items():
            data = tmp / "inputs" / hashlib.sha256(label.encode()).hexdigest()[:8]
            cmd = [sys.executable, "-m", "vidscribe", "process", "--data", str(data), "--asr-model", str(model),
                   "--allow-private-urls", source]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            print(f"\n{label}: exit {done.returncode}\n  source: {source!r}")
            for line in done.stderr.splitlines():
                print(f"  stderr: {line}")
            for line in done.stdout.splitlines():
                print(f"  stdout: {line}")
            states = stage_states(data, [line.split("\t")[0] for line in done.stdout.splitlines()])
            print(f"  stages: {states or 'no transcript'}")
        size = (state.root / "six-hours.mp4").stat().st_size
        print(f"\n6-hour URL: file {size} bytes; bytes the server sent {dict(state.bytes_sent)}; whole GETs "
              f"{dict(state.requests)}, ranged GETs {dict(state.ranged)}")
    finally:
        httpd.shutdown()


# -- main ------------------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["soak", "redis", "disk", "inputs", "all"], default="all")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clips", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each generated clip")
    parser.add_argument("--heartbeat", type=int, default=30, help="VIDSCRIBE_JOB_HEARTBEAT for the workers")
    parser.add_argument("--also-heartbeat", type=int, nargs="*", default=[],
                        help="soak again with these heartbeats (e.g. 10)")
    parser.add_argument("--gap", type=float, default=0.0,
                        help="mean seconds between kills (default: 0.7 x baseline wall / kills, at least 2)")
    parser.add_argument("--outage", type=float, default=45.0, help="seconds Redis stays down")
    parser.add_argument("--disk-clips", type=float, default=3.5, help="tmpfs size, in clips' worth of outputs")
    parser.add_argument("--disk-limit", type=float, default=300.0, help="seconds the disk-full batch may take")
    parser.add_argument("--limit", type=float, default=1800.0, help="seconds a run may take before giving up")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep-logs", type=Path, help="copy the workers' logs here at the end")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if not shutil.which("redis-server"):
        sys.exit("bench/soak.py: redis-server not found (./dev setup installs it)")
    import tiny_whisper

    with tempfile.TemporaryDirectory(prefix="vidscribe-soak-") as name:
        tmp = Path(name)
        server = RestartableRedis(tmp / "redis")
        server.workdir.mkdir()
        server.start()
        try:
            conn = Redis.from_url(server.url)
            print(f"machine: {os.cpu_count()} CPUs, {load()}; private redis {server.url} (append-only file)")
            sources = make_clips(tmp / "clips", args.clips, args.seconds)
            model = tiny_whisper.build(tmp / "tiny-whisper", language="ru")
            if args.part == "inputs":
                inputs_part(tmp, sources, model)
                return
            baseline = baseline_part(conn, server.url, tmp, sources, model, args.heartbeat)
            if args.part in ("soak", "all"):
                soak_part(conn, server.url, tmp, sources, model, args, baseline)
            if args.part in ("redis", "all"):
                redis_part(server, tmp, sources, model, args, baseline)
            if args.part in ("disk", "all"):
                disk_part(conn, server.url, tmp, sources, model, args, baseline)
            if args.part == "all":
                inputs_part(tmp, sources, model)
        finally:
            for fleet in FLEETS:
                for proc in fleet.procs.values():
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
            server.stop()
            if args.keep_logs and (tmp / "logs").is_dir():
                shutil.copytree(tmp / "logs", args.keep_logs, dirs_exist_ok=True)


if __name__ == "__main__":
    main()
