"""The HTML pages: corpus, video, search, account. Each handler reads the catalog, the store or the
search index and renders one template; author text reaches the page only through autoescaping.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from vidscribe.corpus.index import TRACKS
from vidscribe.corpus.query import count_matches, search
from vidscribe.errors import VidscribeError
from vidscribe.serve import queries
from vidscribe.serve.queries import BadQuery, VideoQuery
from vidscribe.serve.security import output_file, valid_video_id
from vidscribe.serve.state import Corpus
from vidscribe.serve.views import hit_keyframe, marked, video_context
from vidscribe.transcripts.model import Transcript
from vidscribe.transcripts.store import TRANSCRIPT_FILE

log = logging.getLogger(__name__)

SEARCH_PAGE = 50
SEARCH_MAX = 1000  # hits one search page can reach (the index has no offset: deeper pages ask for more)


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    corpus: Corpus = request.app.state.corpus
    env = request.app.state.templates
    html = env.get_template(name).render(request=request, status=corpus.status(), **context)
    return HTMLResponse(html, status_code=status)


def _corpus(request: Request) -> Corpus:
    return request.app.state.corpus


def _bad(e: BadQuery) -> HTTPException:
    return HTTPException(400, str(e))


def corpus_page(request: Request) -> Response:
    """GET /: every video, filtered, sorted and paged."""
    try:
        query = VideoQuery.from_params(request.query_params)
    except BadQuery as e:
        raise _bad(e) from None
    corpus = _corpus(request)
    with corpus.catalog.reader() as conn:
        total, videos = queries.list_videos(conn, query)
    kinds = corpus.catalog.memo("kinds", queries.finding_kinds)
    counts = corpus.catalog.memo("stage_counts", queries.stage_counts)
    pages = max(1, math.ceil(total / query.per_page))
    return render(request, "corpus.html", {"query": query, "total": total, "videos": videos,
                                           "kinds": kinds, "counts": counts, "pages": pages,
                                           "stage_names": list(counts["stages"]), "states": queries.STATES,
                                           "sorts": list(queries.SORTS)})


def load_transcript(corpus: Corpus, video_id: str) -> Transcript:
    """The stored transcript of `video_id`; 404 for an invalid or unknown ID, 500 (one plain line,
    no path) for a file that cannot be read."""
    if not valid_video_id(video_id) or output_file(corpus.store.root, video_id, TRANSCRIPT_FILE) is None:
        raise HTTPException(404, "no such video")
    try:
        return corpus.store.load(video_id)
    except VidscribeError as e:
        log.warning("%s", e)
        raise HTTPException(500, "this video's transcript cannot be read") from None


def _seconds(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) and value >= 0 else None


def video_page(request: Request) -> Response:
    """GET /videos/{video_id}[?t=SECONDS]: the player with its tracks, the transcript, findings."""
    corpus = _corpus(request)
    video_id = request.path_params["video_id"]
    transcript = load_transcript(corpus, video_id)
    context = video_context(corpus.store.root, video_id, transcript, _seconds(request.query_params.get("t")))
    return render(request, "video.html", context)


def search_params(request: Request) -> tuple[str, str | None, int]:
    q = (request.query_params.get("q") or "").strip()
    track = request.query_params.get("track") or None
    if track is not None and track not in (*TRACKS, "subtitle"):
        raise HTTPException(400, f"track must be one of {', '.join(TRACKS)}")
    try:
        page = queries.int_param(request.query_params, "page", 1, 1, SEARCH_MAX // SEARCH_PAGE)
    except BadQuery as e:
        raise _bad(e) from None
    if len(q) > 500:
        raise HTTPException(400, "the query is longer than 500 characters")
    return q, track, page


def run_search(corpus: Corpus, q: str, track: str | None, limit: int) -> tuple[list[Any], int]:
    """Hits of `q` (what `vidscribe search` finds: the same function, on the index the server keeps
    current) and how many there are in all."""
    if not q:
        return [], 0
    try:
        hits = search(corpus.store, q, track=track, limit=limit, refresh=False)
        total = count_matches(corpus.store, q, track=track) if len(hits) == limit else len(hits)
    except VidscribeError as e:
        raise HTTPException(400, e.reason) from None
    except sqlite3.Error as e:  # no index yet on a read-only data root, a locked file
        log.warning("search failed: %s", e)
        raise HTTPException(503, "the search index is not available right now") from None
    return hits, total


def search_page(request: Request) -> Response:
    """GET /search?q=...&track=...&page=N: hits, each linking to its video at its time."""
    q, track, page = search_params(request)
    corpus = _corpus(request)
    hits, total = run_search(corpus, q, track, page * SEARCH_PAGE)
    shown_hits = [{"hit": h, "pieces": marked(h.text, h.highlights), "keyframe": hit_keyframe(h.video_id, h.keyframe)}
                  for h in hits[(page - 1) * SEARCH_PAGE:]]
    with corpus.catalog.reader() as conn:
        rows = {h["hit"].video_id: queries.get_video(conn, h["hit"].video_id) for h in shown_hits}
    return render(request, "search.html", {"q": q, "track": track, "tracks": TRACKS, "hits": shown_hits,
                                           "total": total, "page": page, "per_page": SEARCH_PAGE,
                                           "videos": rows, "more": total > page * SEARCH_PAGE
                                           and page * SEARCH_PAGE < SEARCH_MAX})


def account_page(request: Request) -> Response:
    """GET /account?name=ACCOUNT: the uploader's videos, their findings aggregated, a timeline."""
    name = request.query_params.get("name") or ""
    corpus = _corpus(request)
    with corpus.catalog.reader() as conn:
        summary = queries.account_summary(conn, name) if name else None
    if summary is None:
        raise HTTPException(404, "no such account")
    peak = max([m["videos"] for m in summary["timeline"]] or [1])
    return render(request, "account.html", {**summary, "peak": peak})


def error_page(request: Request, status: int, message: str) -> Response:
    try:
        return render(request, "error.html", {"code": status, "message": message}, status=status)
    except Exception:  # the error page itself failed: one plain line
        log.exception("error page failed")
        return Response(f"{status}: {message}\n", status_code=status, media_type="text/plain; charset=utf-8")
