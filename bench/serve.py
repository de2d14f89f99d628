"""Benchmark `vidscribe serve`: the real server (a subprocess on a free loopback port) over synthetic
transcripts (default 10,000 of 40 lines, see `vidscribe/corpus/synthetic.py`), timing requests as a
browser makes them: one at a time over a kept-alive connection.

Reports how long the first start takes to catalogue and index the corpus, then median, p95 and max
latency of the corpus page (first, deep and filtered pages), a video page, a search (the queries of
bench/search.py) and API calls (/api/videos pages, one transcript, /api/status), against the
100 ms target; and the server process's memory (resident now and at its peak). Prints the load
average: the numbers only mean something beside it. No Redis is started: the server says the queue
is unreachable and serves the corpus read-only, as it does without one.

    python bench/serve.py                          # 10,000 transcripts in a temporary folder
    python bench/serve.py --count 1000 --repeat 50 --json bench/out/serve.json
    python bench/serve.py --data /tmp/corpus --keep   # reuse a corpus written by a previous --keep run
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from vidscribe.corpus.synthetic import pool_phone, write_corpus  # noqa: E402

TARGET_MS = 100.0
SEARCHES = ["军", "签约", "奖金", "加入俄罗斯军队", "контракт", "выплата рублей", "Join the army", "recruit_042",
            f"+7{pool_phone(1)}", "7900", "2000000", "zzzz"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak, in MiB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[{"VmRSS": "rss_mib", "VmHWM": "peak_rss_mib"}[key]] = round(int(value.split()[0]) / 1024, 1)
    return out


class Client:
    """One kept-alive HTTP/1.1 connection to the server, as a browser tab uses."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        return response.status, response.read()

    def close(self) -> None:
        self.conn.close()


def _status(port: int) -> dict[str, Any] | None:
    client = Client(port)
    try:
        code, body = client.get("/api/status")
        return json.loads(body) if code == 200 else None
    except (OSError, http.client.HTTPException, ValueError):
        return None
    finally:
        client.close()


def start(data: Path, log: Path) -> tuple[subprocess.Popen, int, dict[str, float]]:
    """The server, and seconds until its catalog and its search index were ready."""
    port = free_port()
    env = {**os.environ, "VIDSCRIBE_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "vidscribe", "serve", "--data", str(data), "--port", str(port)],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    started, ready = time.monotonic(), {}
    while len(ready) < 2:
        if proc.poll() is not None:
            raise SystemExit(f"the server stopped: {log.read_text(errors='replace')[-2000:]}")
        status = _status(port) or {}
        for part in ("catalog", "index"):
            if status.get(part, {}).get("ready") and part not in ready:
                ready[part] = round(time.monotonic() - started, 2)
        time.sleep(0.2)
    return proc, port, {f"{k}_ready_s": v for k, v in ready.items()}


def measure(client: Client, urls: Callable[[int], str], repeat: int) -> dict[str, Any]:
    for i in range(min(10, repeat)):  # warm-up: templates compiled, pages cached by SQLite
        client.get(urls(i))
    times, sizes = [], []
    for i in range(repeat):
        t = time.perf_counter()
        code, body = client.get(urls(i))
        times.append(time.perf_counter() - t)
        if code != 200:
            raise SystemExit(f"{urls(i)}: HTTP {code}")
        sizes.append(len(body))
    times.sort()
    ms = [t * 1000 for t in times]
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2), "max_ms": round(ms[-1], 2),
            "mean_bytes": int(statistics.mean(sizes)), "under_target": p95 < TARGET_MS}


def workloads(count: int, rng: random.Random) -> dict[str, Callable[[int], str]]:
    pages = max(1, count // 50)
    ids = [f"syn-{rng.randrange(count):06d}" for _ in range(1000)]
    corpus = ["/", "/?sort=account&order=asc", "/?kind=phone", "/?sort=findings", "/?stage=speech&state=pending"]
    return {
        "corpus page": lambda i: (corpus[i % len(corpus)] + ("&" if "?" in corpus[i % len(corpus)] else "?")
                                  + urlencode({"page": rng.randrange(1, pages + 1) if i % 3 else 1})),
        "video page": lambda i: f"/videos/{ids[i % len(ids)]}",
        "search": lambda i: "/search?" + urlencode({"q": SEARCHES[i % len(SEARCHES)]}),
        "api call": lambda i: [f"/api/videos?page={1 + i % pages}", f"/api/videos/{ids[i % len(ids)]}/transcript",
                               "/api/status", "/api/search?" + urlencode({"q": SEARCHES[i % len(SEARCHES)]})][i % 4],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=200, help="requests per kind")
    parser.add_argument("--data", type=Path, help="data root (written if it holds no transcripts)")
    parser.add_argument("--keep", action="store_true", help="keep the data root")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    data = args.data or Path(tempfile.mkdtemp(prefix="vidscribe-serve-bench-"))
    results: dict[str, Any] = {"count": args.count, "repeat": args.repeat, "target_ms": TARGET_MS}
    if not (data / "transcripts").is_dir():
        t = time.monotonic()
        write_corpus(data, args.count)
        results["write_s"] = round(time.monotonic() - t, 1)
    proc, port, ready = start(data, data / "serve-bench.log")
    results.update(ready)
    client = Client(port)
    try:
        results["requests"] = {name: measure(client, urls, args.repeat)
                               for name, urls in workloads(args.count, random.Random(1)).items()}
        results["memory"] = memory(proc.pid)
        results["loadavg"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if not args.keep and not args.data:
            shutil.rmtree(data, ignore_errors=True)
    print(f"{args.count} transcripts; first start: catalog ready in {results.get('catalog_ready_s')} s, "
          f"search index in {results.get('index_ready_s')} s")
    print(f"{'request':<14}{'median ms':>11}{'p95 ms':>9}{'max ms':>9}{'bytes':>9}  p95 < {TARGET_MS:g} ms")
    for name, r in results["requests"].items():
        print(f"{name:<14}{r['median_ms']:>11}{r['p95_ms']:>9}{r['max_ms']:>9}{r['mean_bytes']:>9}  "
              f"{'yes' if r['under_target'] else 'NO'}")
    print(f"server memory: {results['memory']['rss_mib']} MiB resident, peak {results['memory']['peak_rss_mib']} MiB;"
          f" load average {results['loadavg']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
