"""What `vidscribe status` reports, read from the store (transcripts and the source ledger).

Redis is consulted only to add what is queued right now; a flushed or restarted Redis changes
nothing else, and sources the store still calls pending but Redis no longer holds are shown as
lost, with the command that queues them again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from redis import Redis

from vidscribe import pipeline
from vidscribe.queue.connection import QUEUE_NAMES, get_queue
from vidscribe.terminal import exact_line, one_line
from vidscribe.transcripts.sources import SourceLedger
from vidscribe.transcripts.store import Store

PENDING = "pending"  # no record yet: queued, running, or never queued


@dataclass
class Summary:
    videos: int = 0
    counts: Counter = field(default_factory=Counter)  # (stage, state) -> videos
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (video ID or source, stage, reason)
    sources_waiting: int = 0  # submitted, not fetched yet
    queues: dict[str, int] = field(default_factory=dict)  # from Redis, when reachable

    def lines(self) -> list[str]:
        names = [pipeline.MEDIA_STAGE, *pipeline.stage_names()]
        states = ["done", "skipped", "failed", PENDING]
        out = [f"videos: {self.videos}" + (f", sources waiting to be fetched: {self.sources_waiting}"
                                             if self.sources_waiting else "")]
        out.append("stage".ljust(12) + "".join(s.rjust(9) for s in states))
        for name in names:
            out.append(name.ljust(12) + "".join(str(self.counts[(name, s)]).rjust(9) for s in states))
        if self.queues:
            out.append("queued in Redis: " + ", ".join(f"{q} {n}" for q, n in self.queues.items()))
        if self.failed:
            out.append(f"failed ({len(self.failed)}):")
            out += [f"  {exact_line(who)}\t{stage}\t{one_line(reason)}" for who, stage, reason in self.failed]
        return out


def summarise(store: Store, conn: Redis | None = None) -> Summary:
    summary = Summary()
    names = [pipeline.MEDIA_STAGE, *pipeline.stage_names()]
    for transcript in store.transcripts():
        summary.videos += 1
        for name in names:
            record = transcript.stages.get(name)
            state = record.status if record else PENDING
            summary.counts[(name, state)] += 1
            if record and record.status == "failed":
                summary.failed.append((transcript.video.id, name, record.error or "failed"))
    for record in SourceLedger(store.root).records():
        if record.video_id:
            continue
        if record.status == "failed":
            summary.counts[(pipeline.MEDIA_STAGE, "failed")] += 1
            summary.failed.append((record.source, pipeline.MEDIA_STAGE, record.error or "failed"))
        else:
            summary.sources_waiting += 1
            summary.counts[(pipeline.MEDIA_STAGE, PENDING)] += 1
    if conn is not None:
        summary.queues = {name: get_queue(name, conn).count for name in QUEUE_NAMES}
    return summary


def video_lines(store: Store, video_id: str) -> list[str]:
    transcript = store.load(video_id)
    video = transcript.video
    # Titles, uploaders and sources come from outside: shown, never obeyed by the terminal.
    out = [f"{video.id}\t{exact_line(video.source)}",
           f"  title: {one_line(video.title) or '-'}  uploader: {one_line(video.uploader) or '-'}  "
           f"duration: {video.duration or 0:.1f} s"]
    for name in [pipeline.MEDIA_STAGE, *pipeline.stage_names()]:
        record = transcript.stages.get(name)
        if record is None:
            out.append(f"  {name.ljust(10)} {PENDING}")
            continue
        line = f"  {name.ljust(10)} {record.status.ljust(8)} {record.seconds:7.1f} s  v{record.version}"
        if record.finished_at:
            line += f"  {record.finished_at}"
        if record.error:
            line += f"  {one_line(record.error)}"
        out.append(line)
    return out
