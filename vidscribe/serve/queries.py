"""Questions the pages and the API ask the catalog (`serve.catalog`): the corpus listing with its
filters, sort and paging; accounts and their aggregated findings; findings; stage counts.

Every value from a request reaches SQL as a parameter; sort columns come from a fixed table.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from vidscribe.serve.catalog import PENDING, stage_names

SORTS = {"date": "upload_date", "account": "account", "duration": "duration", "findings": "findings",
         "id": "video_id", "title": "title"}
STATES = ("done", "failed", "skipped", PENDING)
MAX_PER_PAGE = 200
CHANNEL_KINDS = ("telegram", "handle", "wechat", "email", "url", "qr", "account")
_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


class BadQuery(ValueError):
    """A request parameter that cannot be used; the message says which and why."""


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadQuery(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise BadQuery(f"{name} must be between {low} and {high}")
    return value


def _date(params: Mapping[str, str], name: str) -> str | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    m = _DATE.match(raw)
    if not m:
        raise BadQuery(f"{name} must be a date as YYYY-MM-DD")
    return "".join(m.groups())


def _choice(params: Mapping[str, str], name: str, choices: tuple[str, ...] | list[str],
            default: str | None = None) -> str | None:
    raw = params.get(name) or default
    if raw is not None and raw not in choices:
        raise BadQuery(f"{name} must be one of {', '.join(choices)}")
    return raw


@dataclass(frozen=True)
class VideoQuery:
    account: str | None = None
    kind: str | None = None
    stage: str | None = None  # with `state`: that stage's state; without a stage, the video's overall state
    state: str | None = None
    date_from: str | None = None  # YYYYMMDD, inclusive
    date_to: str | None = None
    sort: str = "date"
    order: str = "desc"
    page: int = 1
    per_page: int = 50

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> VideoQuery:
        """The query a page's or API call's parameters ask for; BadQuery names a bad parameter."""
        return cls(account=params.get("account") or None, kind=params.get("kind") or None,
                   stage=_choice(params, "stage", stage_names()), state=_choice(params, "state", STATES),
                   date_from=_date(params, "from"), date_to=_date(params, "to"),
                   sort=_choice(params, "sort", tuple(SORTS), "date") or "date",
                   order=_choice(params, "order", ("asc", "desc"), "desc") or "desc",
                   page=int_param(params, "page", 1, 1, 10**6),
                   per_page=int_param(params, "per_page", 50, 1, MAX_PER_PAGE))

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-default parameters of this query (with `changes`), for links that keep the filters."""
        values = {"account": self.account, "kind": self.kind, "stage": self.stage, "state": self.state,
                  "from": _iso(self.date_from), "to": _iso(self.date_to), "sort": self.sort, "order": self.order,
                  "page": self.page, "per_page": self.per_page, **changes}
        defaults = {"sort": "date", "order": "desc", "page": 1, "per_page": 50}
        return {k: str(v) for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}

    def where(self) -> tuple[str, list[Any]]:
        conds, args = ["1"], []
        if self.account:
            conds.append("account = ?")
            args.append(self.account)
        if self.kind:
            conds.append("video_id IN (SELECT video_id FROM findings WHERE kind = ?)")
            args.append(self.kind)
        if self.state and self.stage:
            if self.state == PENDING:
                conds.append("video_id NOT IN (SELECT video_id FROM stages WHERE stage = ?)")
                args.append(self.stage)
            else:
                conds.append("video_id IN (SELECT video_id FROM stages WHERE stage = ? AND status = ?)")
                args += [self.stage, self.state]
        elif self.state:
            conds.append("state = ?")
            args.append(self.state)
        if self.date_from:
            conds.append("upload_date >= ?")
            args.append(self.date_from)
        if self.date_to:
            conds.append("upload_date <= ?")
            args.append(self.date_to)
        return " AND ".join(conds), args


def _iso(date: str | None) -> str | None:
    return f"{date[:4]}-{date[4:6]}-{date[6:]}" if date else None


def video_dict(row: sqlite3.Row) -> dict[str, Any]:
    """A catalog row as the API gives it (stages as an object: stage -> status, pending ones too)."""
    out = {k: v for k, v in dict(row).items() if k not in ("mtime_ns", "size", "stages", "readable")}
    recorded = json.loads(row["stages"] or "{}")
    out["stages"] = {name: recorded.get(name, PENDING) for name in stage_names()}
    out["readable"] = bool(row["readable"])
    return out


def list_videos(conn: sqlite3.Connection, query: VideoQuery) -> tuple[int, list[dict[str, Any]]]:
    """(how many videos match, the videos of the requested page)."""
    where, args = query.where()
    total = conn.execute(f"SELECT count(*) FROM videos WHERE {where}", args).fetchone()[0]
    column = SORTS[query.sort]
    direction = "DESC" if query.order == "desc" else "ASC"
    # One index scan, forwards or backwards (videos_<column> is on (column, video_id)); SQLite sorts
    # NULL first: undated videos count as the oldest.
    rows = conn.execute(f"SELECT * FROM videos WHERE {where} ORDER BY {column} {direction}, video_id {direction} "
                        "LIMIT ? OFFSET ?",
                        [*args, query.per_page, (query.page - 1) * query.per_page]).fetchall()
    return total, [video_dict(r) for r in rows]


def get_video(conn: sqlite3.Connection, video_id: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM videos WHERE video_id = ?", (video_id,)).fetchone()
    return video_dict(row) if row else None


def accounts(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every account with its number of videos, by name."""
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT account, count(*) FROM videos WHERE account IS NOT NULL GROUP BY account ORDER BY account")]


def finding_kinds(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT kind FROM findings ORDER BY kind")]


_FINDING_SELECT = ("SELECT f.video_id, f.kind, f.value, f.raw, f.track, f.start, f.end, f.context, f.amount, "
                   "f.amount_max, f.currency, f.period, f.label, v.title, v.account, v.upload_date "
                   "FROM findings f JOIN videos v USING (video_id)")


def list_findings(conn: sqlite3.Connection, params: Mapping[str, str]) -> tuple[int, list[dict[str, Any]]]:
    """Findings across the corpus, filtered by kind, account or video, in video and time order."""
    conds, args = ["1"], []
    for name, column in (("kind", "f.kind"), ("account", "v.account"), ("video_id", "f.video_id")):
        if params.get(name):
            conds.append(f"{column} = ?")
            args.append(params[name])
    page, per_page = int_param(params, "page", 1, 1, 10**6), int_param(params, "per_page", 100, 1, 1000)
    where = " AND ".join(conds)
    total = conn.execute(f"SELECT count(*) FROM findings f JOIN videos v USING (video_id) WHERE {where}",
                         args).fetchone()[0]
    rows = conn.execute(f"{_FINDING_SELECT} WHERE {where} ORDER BY f.video_id, f.n LIMIT ? OFFSET ?",
                        [*args, per_page, (page - 1) * per_page])
    return total, [dict(r) for r in rows]


@dataclass
class Aggregate:
    """One value an account's clips show (a phone, an amount, a handle), how often and where first."""

    kind: str
    value: str
    count: int = 0
    videos: set[str] = field(default_factory=set)
    first: tuple[str, float | None] | None = None  # (video ID, start) of its first appearance
    raw: Counter = field(default_factory=Counter)


def account_summary(conn: sqlite3.Connection, account: str) -> dict[str, Any] | None:
    """An account's videos (oldest first), its findings aggregated by value, and a monthly timeline."""
    videos = [video_dict(r) for r in conn.execute(
        "SELECT * FROM videos WHERE account = ? ORDER BY (upload_date IS NULL), upload_date, video_id", (account,))]
    if not videos:
        return None
    order = {v["video_id"]: i for i, v in enumerate(videos)}
    found: dict[tuple[str, str], Aggregate] = {}
    rows = conn.execute(f"{_FINDING_SELECT} WHERE v.account = ?", (account,)).fetchall()
    for r in sorted(rows, key=lambda r: (order[r["video_id"]], r["start"] or 0.0)):
        agg = found.setdefault((r["kind"], r["value"]), Aggregate(r["kind"], r["value"]))
        agg.count += 1
        agg.videos.add(r["video_id"])
        agg.first = agg.first or (r["video_id"], r["start"])
        if r["raw"]:
            agg.raw[r["raw"]] += 1
    groups: dict[str, list[Aggregate]] = defaultdict(list)
    for agg in sorted(found.values(), key=lambda a: (-len(a.videos), -a.count, a.value)):
        group = {"money": "amounts", "phone": "phones", "lexicon": "terms"}.get(agg.kind)
        groups[group or ("channels" if agg.kind in CHANNEL_KINDS else "other")].append(agg)
    return {"account": account, "videos": videos, "findings": groups, "timeline": timeline(videos)}


def aggregate_dict(agg: Aggregate) -> dict[str, Any]:
    return {"kind": agg.kind, "value": agg.value, "count": agg.count, "videos": sorted(agg.videos),
            "first": {"video_id": agg.first[0], "start": agg.first[1]} if agg.first else None,
            "raw": [text for text, _ in agg.raw.most_common(5)]}


def timeline(videos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Videos and findings per month of upload (months without a video included), oldest first."""
    per_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for v in videos:
        date = v.get("upload_date") or ""
        if re.fullmatch(r"\d{8}", date):
            per_month[date[:6]].append(v)
    if not per_month:
        return []
    months = sorted(per_month)
    year, month = int(months[0][:4]), int(months[0][4:])
    out = []
    while f"{year:04d}{month:02d}" <= months[-1] and len(out) < 600:
        key = f"{year:04d}{month:02d}"
        items = per_month.get(key, [])
        out.append({"month": f"{key[:4]}-{key[4:]}", "videos": len(items),
                    "findings": sum(v.get("findings") or 0 for v in items), "ids": [v["video_id"] for v in items]})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def stage_counts(conn: sqlite3.Connection) -> dict[str, Any]:
    """Videos per stage and state (pending: no record yet), and the failed stages with reasons."""
    total = conn.execute("SELECT count(*) FROM videos").fetchone()[0]
    counts = {name: {state: 0 for state in STATES} for name in stage_names()}
    for stage, status, n in conn.execute("SELECT stage, status, count(*) FROM stages GROUP BY stage, status"):
        counts.setdefault(stage, {state: 0 for state in STATES})[status] = n
    for states in counts.values():
        states[PENDING] = max(0, total - sum(n for s, n in states.items() if s != PENDING))
    failed = [{"video_id": r[0], "stage": r[1], "error": r[2]} for r in conn.execute(
        "SELECT video_id, stage, error FROM stages WHERE status = 'failed' ORDER BY video_id, stage LIMIT 500")]
    unreadable = [r[0] for r in conn.execute("SELECT video_id FROM videos WHERE readable = 0 LIMIT 500")]
    return {"videos": total, "stages": counts, "failed": failed, "unreadable": unreadable}
