"""Clusters from matched pairs: the connected groups of videos, each in upload order (first poster
first), every video with the evidence that ties it to an earlier one.

Order: by `upload_date` (YYYYMMDD, as yt-dlp gives it), then video ID. Videos posted the same day
as the earliest are all marked `first: "tie"` (a day is all the platforms tell); videos without a
date come last with `first: "undated"`, and when no video of a cluster has a date none is called
first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from vidscribe.transcripts.formats import mmss


@dataclass
class ClusterVideo:
    video_id: str
    rank: int  # 1 = posted first
    first: str  # "yes", "tie" (same day as the earliest), "no", "undated"
    upload_date: str | None = None
    uploader: str | None = None
    uploader_id: str | None = None
    url: str | None = None
    title: str | None = None
    matched_with: str | None = None  # the earlier video (the first poster when it matched) it matched
    evidence: dict[str, Any] | None = None  # that match's evidence (footage spans, text), this video as b


@dataclass
class Cluster:
    number: int
    videos: list[ClusterVideo] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)  # every matched pair: a, b, evidence


def _components(pairs: Iterable[tuple[str, str]]) -> list[set[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, set[str]] = defaultdict(set)
    for x in parent:
        groups[find(x)].add(x)
    return list(groups.values())


def _order_key(meta: dict[str, Any]) -> tuple[bool, str, str]:
    date = meta.get("upload_date") or ""
    return (not date, date, meta["video_id"])


def _flip(evidence: dict[str, Any]) -> dict[str, Any]:
    """The evidence with the two videos' roles swapped (a's times become b's)."""
    out = dict(evidence)
    out["footage"] = [{**s, "a_start": s["b_start"], "a_end": s["b_end"], "b_start": s["a_start"],
                       "b_end": s["a_end"], "variant_a": s["variant_b"], "variant_b": s["variant_a"]}
                      for s in evidence.get("footage", [])]
    if evidence.get("text"):
        t = evidence["text"]
        out["text"] = {**t, "track_a": t["track_b"], "track_b": t["track_a"], "chars_a": t["chars_b"],
                       "chars_b": t["chars_a"]}
    return out


def build_clusters(pairs: list[tuple[str, str, dict[str, Any]]], videos: dict[str, dict[str, Any]]) -> list[Cluster]:
    """Clusters of matched videos, largest first; `videos`: video ID -> its metadata."""
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    for a, b, ev in pairs:
        edges[(a, b)] = ev
        edges[(b, a)] = _flip(ev)
    out: list[Cluster] = []
    for group in _components((a, b) for a, b, _ in pairs):
        metas = sorted((videos.get(v, {"video_id": v}) for v in group), key=_order_key)
        earliest = metas[0].get("upload_date")
        members: list[ClusterVideo] = []
        for rank, meta in enumerate(metas, 1):
            date = meta.get("upload_date")
            first = "undated" if not date else ("no" if date != earliest else "yes")
            earlier = [m["video_id"] for m in metas[:rank - 1] if (m["video_id"], meta["video_id"]) in edges]
            matched = earlier[0] if earlier else None
            members.append(ClusterVideo(meta["video_id"], rank, first, date, meta.get("uploader"),
                                        meta.get("uploader_id"), meta.get("url"), meta.get("title"), matched,
                                        edges[(matched, meta["video_id"])] if matched else None))
        ties = [m for m in members if m.first == "yes"]
        if len(ties) > 1:
            for m in ties:
                m.first = "tie"
        cluster_pairs = [{"a": a, "b": b, "evidence": ev} for a, b, ev in pairs if a in group]
        out.append(Cluster(0, members, cluster_pairs))
    out.sort(key=lambda c: (-len(c.videos), _order_key(vars(c.videos[0]))))
    for number, cluster in enumerate(out, 1):
        cluster.number = number
    return out


_REGION_WORDS = {"inner": "borders cut", "zoom": "zoomed in", "top": "bottom band cut"}


def _variant_words(a: str, b: str) -> str:
    """How one picture was made from the other, from the variants that matched: "mirrored, crop 9:16"."""
    words = []
    if a.endswith("~") != b.endswith("~"):
        words.append("mirrored")
    regions = {v.rstrip("~") for v in (a, b)} - {"full"}
    words += [_REGION_WORDS.get(r, f"crop {r}") for r in sorted(regions)]
    return ", ".join(words)


def describe(evidence: dict[str, Any] | None) -> str:
    """One line of evidence: footage spans (earlier video's time -> this video's) and the text."""
    if not evidence:
        return ""
    parts = []
    spans = evidence.get("footage") or []
    if evidence.get("same_footage") and spans:
        shown = []
        for s in spans[:3]:
            how = _variant_words(s["variant_a"], s["variant_b"])
            shown.append(f"{mmss(s['a_start'])}-{mmss(s['a_end'])} = {mmss(s['b_start'])}-{mmss(s['b_end'])}"
                         f" ({s['bits']} bits{', ' + how if how else ''})")
        more = f" +{len(spans) - 3} more" if len(spans) > 3 else ""
        median = evidence.get("median_bits")
        parts.append(f"footage {evidence['coverage']:.0%}" + (f", median {median} bits" if median is not None else "")
                     + ": " + "; ".join(shown) + more)
    text = evidence.get("text")
    if text and evidence.get("same_text"):
        parts.append(f"text {text['track_a']}~{text['track_b']} Jaccard {text['jaccard']:.2f}, "
                     f"contained {text.get('containment', 0):.0%}")
    return " | ".join(parts)
