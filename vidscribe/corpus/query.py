"""Search over the index (`corpus.index`): full text, and findings by their normalised values.

Full text: a query is tokenised like the indexed lines (every CJK character a token, other text
in words) and each of its whitespace-separated terms becomes a quoted FTS5 phrase, so "签约奖金"
finds the four characters in a row and one- or two-character Chinese queries ("军", "签约") work,
which FTS5's trigram tokenizer cannot do; a word's last token also matches as a prefix
("контракт" finds "контракта"). User text only ever reaches FTS5 inside double quotes: operators
in a query (NEAR, AND, "-", "*", quotes) are searched as text, never parsed.

Values: the same query is also read as a phone number, an amount or a name (`corpus.values`), and
findings with that normalised value are hits too, at the finding's time and track: "+79991234567",
"89991234567" and "7999" find a subtitle showing "+7 (999) 123-45-67"; "2000000" finds "200万卢布"
and "2,000,000 рублей". A line found both ways is one hit, and a hit whose line holds a matching
finding names it (`kind`, `value`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from vidscribe.corpus.index import CJK, TRACKS, index_path, open_index, token_spans, tokens, update_index
from vidscribe.corpus.safe import one_line
from vidscribe.corpus.values import ValueQuery
from vidscribe.errors import VidscribeError
from vidscribe.transcripts.store import Store

log = logging.getLogger(__name__)

TRACK_ALIASES = {"subtitle": "subtitles"}  # the library's old spelling, still accepted
_LETTER = re.compile(r"[^\W\d_]")
_CJK_START = re.compile(f"[{CJK}]")


@dataclass(frozen=True)
class SearchHit:
    video_id: str
    track: str  # speech, subtitles, overlay, screen (or frame: a QR code's finding)
    start: float | None
    end: float | None
    text: str  # the whole line as stored in the transcript
    snippet: str  # the line around the first match, the match in «», on one line, controls shown
    highlights: list[list[int]] = field(default_factory=list)  # [start, end) character spans in `text`
    url: str | None = None  # the video's web page URL, else its source URL (a local file: its path)
    title: str | None = None
    kind: str | None = None  # set when a finding matched by its value: phone, money, telegram, ...
    value: str | None = None  # that finding's normalised value: "+79991234567", "2000000 RUB"
    # The image the line was read from (a subtitle cue's or screen text block's keyframe), relative
    # to the data root as in the findings export: "transcripts/<id>/keyframes/screen-0001.jpg".
    keyframe: str | None = None


Hit = SearchHit  # the earlier name


def canonical_track(track: str | None) -> str | None:
    """`track` as the index spells it (`subtitle` is read as `subtitles`); unknown ones refused."""
    if track is None:
        return None
    track = TRACK_ALIASES.get(track, track)
    if track not in TRACKS:
        raise VidscribeError(f"unknown track {track!r}; tracks: {', '.join(TRACKS)}")
    return track


def _prefix_last(token: str) -> bool:
    return bool(_LETTER.search(token)) and not _CJK_START.match(token)


def fts_query(query: str, track: str | None = None) -> str | None:
    """The FTS5 MATCH expression for a user query, or None when it holds nothing searchable."""
    phrases = []
    for term in query.split():
        toks = tokens(term)
        if not toks:
            continue
        phrase = '"' + " ".join(t.replace('"', '""') for t in toks) + '"'
        if _prefix_last(toks[-1]):
            phrase += " *"
        phrases.append(phrase)
    track = canonical_track(track)
    if not phrases:
        return None
    expr = "body : (" + " AND ".join(phrases) + ")"
    if track is not None:
        expr = f'track : "{track}" AND ' + expr
    return expr


# --- findings by value --------------------------------------------------------------------------


def _value_filter(values: ValueQuery, track: str | None) -> tuple[str, list[Any]]:
    """SQL condition (and its parameters) on `findings` rows for a value query."""
    conds: list[str] = []
    params: list[Any] = []
    for prefix in values.phone_prefixes:  # a range on the indexed column: "7999" <= d < "7999:"
        conds += ["(digits >= ? AND digits < ?)", "(national >= ? AND national < ?)"]
        params += [prefix, prefix + ":", prefix, prefix + ":"]
    if values.amount is not None:
        a = values.amount
        money = "amount BETWEEN ? AND ?"
        params += _around(a.amount)
        if a.amount_max is not None:
            money += " AND amount_max BETWEEN ? AND ?"
            params += _around(a.amount_max)
        else:
            money = f"(({money}) OR amount_max BETWEEN ? AND ?)"
            params += _around(a.amount)
        if a.currency is not None:
            money += " AND currency = ?"
            params.append(a.currency)
        conds.append(f"({money})")
    if values.keys:
        conds.append(f"key IN ({', '.join('?' * len(values.keys))})")
        params += values.keys
    where = "(" + " OR ".join(conds) + ")"
    if track is not None:
        where += " AND track = ?"
        params.append(track)
    return where, params


def _around(amount: float) -> list[float]:
    slack = max(1e-6, abs(amount) * 1e-9)  # amounts are parsed floats: 2.4万 is 24000.000000000004
    return [amount - slack, amount + slack]


def _finding_rows(conn: sqlite3.Connection, values: ValueQuery, track: str | None, lines: list[int],
                  limit: int) -> list[tuple[Any, ...]]:
    """Findings matching `values`, one per line, leaving out lines already hit (`lines`)."""
    where, params = _value_filter(values, track)
    sql = ("SELECT pos, video_id, track, start, end, text, raw, kind, value, line, keyframe FROM findings "
           f"WHERE {where} AND (line IS NULL OR line NOT IN (SELECT value FROM json_each(?))) "
           "ORDER BY pos, id LIMIT ?")
    want = limit + 8
    while True:  # a line's findings are consecutive: the first (phone before wechat) speaks for it
        rows = conn.execute(sql, [*params, json.dumps(lines), want]).fetchall()
        kept = [r for i, r in enumerate(rows) if r[9] is None or i == 0 or rows[i - 1][9] != r[9]]
        if len(kept) >= limit or len(rows) < want:
            return kept[:limit]
        want *= 4


def _line_values(conn: sqlite3.Connection, values: ValueQuery, track: str | None,
                 lines: list[int]) -> dict[int, tuple[str, str]]:
    """Line rowid -> (kind, value) of the first finding in it matching `values`, for `lines`."""
    where, params = _value_filter(values, track)
    rows = conn.execute("SELECT line, kind, value FROM findings INDEXED BY findings_line WHERE line IN "
                        f"(SELECT value FROM json_each(?)) AND {where} ORDER BY id DESC",
                        [json.dumps(lines), *params])
    return dict((line, (kind, value)) for line, kind, value in rows)  # the line's first finding last: it wins


# --- search ---------------------------------------------------------------------------------


def _refresh(store: Store) -> None:
    try:
        update_index(store)
    except sqlite3.OperationalError as e:  # locked by a long writer, a read-only data root
        if not index_path(store).is_file():
            raise VidscribeError(f"cannot build the search index at {index_path(store)}: {e}") from None
        log.warning("search index not refreshed (%s); results may miss the latest transcripts", e)


def search(store: Store, query: str, track: str | None = None, limit: int = 50,
           refresh: bool = True) -> list[SearchHit]:
    """Lines matching `query` across the corpus, as text or through a finding's normalised value:
    video by video (in the order they were first indexed; by ID after a rebuild), in time order
    within a video, at most `limit`.

    `track`: speech, subtitles (or its old spelling subtitle), overlay, screen or frame only. `refresh`:
    first update the index for changed transcript files (one stat per transcript; pass False to
    query the index as it is).
    """
    track = canonical_track(track)
    expr = fts_query(query, track)
    values = ValueQuery.parse(query)
    if limit <= 0 or (expr is None and not values):
        return []
    if not (store.root / "transcripts").is_dir() and not index_path(store).is_file():
        return []  # nothing stored (or a mistyped data root): do not create an index there
    if refresh:
        _refresh(store)
    with contextlib.closing(open_index(store)) as conn:
        lines = [] if expr is None else conn.execute(
            "SELECT rowid, video_id, track, start, end, text, keyframe FROM lines WHERE lines MATCH ? "
            "ORDER BY rowid LIMIT ?", (expr, limit)).fetchall()
        rowids = [r[0] for r in lines]
        found = _finding_rows(conn, values, track, rowids, limit) if values else []
        also = _line_values(conn, values, track, rowids) if values and rowids else {}
        ranked = sorted([(float(r[0]), True, r) for r in lines] + [(r[0], False, r) for r in found],
                        key=lambda x: x[0])[:limit]
        videos = _videos(conn, {r[1] for _, _, r in ranked})
    terms = [tokens(term) for term in query.split()]
    hits = []
    for _, as_text, r in ranked:
        url, title = videos.get(r[1], (None, None))
        if as_text:  # a line found as text (it may hold a finding with the value asked for)
            kind, value = also.get(r[0], (None, None))
            hits.append(_text_hit(r[1:6], terms, url, title, kind, value, r[6]))
        else:
            hits.append(_finding_hit(r[1:9], url, title, r[10]))
    return hits


def _videos(conn: sqlite3.Connection, ids: set[str]) -> dict[str, tuple[str | None, str | None]]:
    rows = conn.execute("SELECT video_id, url, title FROM videos WHERE video_id IN "
                        "(SELECT value FROM json_each(?))", (json.dumps(sorted(ids)),))
    return {vid: (url, title) for vid, url, title in rows}


def count_matches(store: Store, query: str, track: str | None = None) -> int:
    """How many hits `search` would give without a limit (the index as it is: call after
    `search` or `update_index`)."""
    track = canonical_track(track)
    expr = fts_query(query, track)
    values = ValueQuery.parse(query)
    if expr is None and not values:
        return 0
    with contextlib.closing(open_index(store)) as conn:
        total = 0 if expr is None else conn.execute(
            "SELECT count(*) FROM lines WHERE lines MATCH ?", (expr,)).fetchone()[0]
        if values:
            where, params = _value_filter(values, track)
            if expr is not None:  # lines found as text are counted once
                where += " AND (line IS NULL OR line NOT IN (SELECT rowid FROM lines WHERE lines MATCH ?))"
                params.append(expr)
            total += conn.execute(f"SELECT count(DISTINCT coalesce(line, -id)) FROM findings WHERE {where}",
                                  params).fetchone()[0]
    return total


# --- hits -----------------------------------------------------------------------------------


def _keyframe(video_id: str, name: str | None) -> str | None:
    """A line's keyframe (relative to its transcript folder in the index) relative to the data root."""
    return f"transcripts/{video_id}/{name}" if name else None


def _text_hit(row: tuple[Any, ...], terms: list[list[str]], url: str | None, title: str | None,
              kind: str | None, value: str | None, keyframe: str | None) -> SearchHit:
    video_id, track, start, end, text = row
    spans = highlights(text, terms)
    return SearchHit(video_id, track, start, end, text, snippet(text, spans), [list(s) for s in spans],
                     url, title, kind, value, _keyframe(video_id, keyframe))


def _finding_hit(row: tuple[Any, ...], url: str | None, title: str | None, keyframe: str | None) -> SearchHit:
    video_id, track, start, end, text, raw, kind, value = row
    at = text.find(raw) if raw else -1
    spans = [(at, at + len(raw))] if at >= 0 else []
    return SearchHit(video_id, track, start, end, text, snippet(text, spans), [list(s) for s in spans],
                     url, title, kind, value, _keyframe(video_id, keyframe))


def highlights(text: str, terms: list[list[str]]) -> list[tuple[int, int]]:
    """Character spans of each query term's token sequence in `text` (as the index matched it)."""
    toks = token_spans(text)
    words = [t for _, _, t in toks]
    spans: list[tuple[int, int]] = []
    for term in terms:
        want = [t.lower() for t in term if t]
        if not want:
            continue
        prefix_last = _prefix_last(want[-1])
        for i in range(len(words) - len(want) + 1):
            head_ok = words[i:i + len(want) - 1] == want[:-1]
            last = words[i + len(want) - 1]
            if head_ok and (last.startswith(want[-1]) if prefix_last else last == want[-1]):
                spans.append((toks[i][0], toks[i + len(want) - 1][1]))
    return _union(spans)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def snippet(text: str, spans: list[tuple[int, int]], width: int = 40) -> str:
    """`text` cut to about `width` characters either side of the first match, matches in «»; on
    one line, with control and bidi characters shown as <U+XXXX> (`safe.one_line`)."""
    if not spans:
        return one_line(text if len(text) <= 2 * width else text[: 2 * width] + "…")
    lo = max(0, spans[0][0] - width)
    hi = min(len(text), spans[0][1] + width)
    out, pos = [], lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out += [one_line(text[pos:s]), "«", one_line(text[s:e]), "»"]
        pos = e
    out.append(one_line(text[pos:hi]))
    return ("…" if lo > 0 else "") + "".join(out) + ("…" if hi < len(text) else "")
