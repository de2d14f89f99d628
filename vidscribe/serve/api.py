"""The JSON API under /api/: what the pages show (videos, one transcript, search, findings,
accounts, status) and two write endpoints, `POST /api/enqueue` and `POST /api/reprocess`, which
put work on the RQ queues as `vidscribe enqueue` and `vidscribe reprocess` do (a listing URL
given to enqueue is expanded into its entries here, by the same code as the command's).

Write endpoints are off unless `VIDSCRIBE_API_TOKEN` is set, and then need it as a Bearer token.
Over HTTP only URLs are queued: a local path names a file on the server, not the caller's.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from vidscribe import pipeline
from vidscribe.errors import VidscribeError
from vidscribe.media.urls import classify
from vidscribe.redact import redact_url
from vidscribe.serve import queries
from vidscribe.serve.openapi import document
from vidscribe.serve.pages import load_transcript, run_search
from vidscribe.serve.queries import BadQuery, VideoQuery
from vidscribe.serve.security import may_write, output_file, valid_video_id
from vidscribe.serve.state import Corpus
from vidscribe.serve.views import downloads
from vidscribe.transcripts.store import TRANSCRIPT_FILE

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from vidscribe.listings.runs import Expansion
    from vidscribe.queue.graph import Submission

MAX_BODY = 1 << 20
MAX_SOURCES = 1000
MAX_SEARCH = 1000


def _corpus(request: Request) -> Corpus:
    return request.app.state.corpus


def _json(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status)


def _params(request: Request) -> VideoQuery:
    try:
        return VideoQuery.from_params(request.query_params)
    except BadQuery as e:
        raise HTTPException(400, str(e)) from None


# --- reading -------------------------------------------------------------------------------------

def videos(request: Request) -> Response:
    """GET /api/videos: the corpus listing (same filters, sort and paging as the corpus page)."""
    query = _params(request)
    with _corpus(request).catalog.reader() as conn:
        total, rows = queries.list_videos(conn, query)
    return _json({"total": total, "page": query.page, "per_page": query.per_page, "videos": rows})


def video(request: Request) -> Response:
    """GET /api/videos/{video_id}: the video's catalog entry and its files."""
    corpus = _corpus(request)
    video_id = request.path_params["video_id"]
    if not valid_video_id(video_id) or output_file(corpus.store.root, video_id, TRANSCRIPT_FILE) is None:
        raise HTTPException(404, "no such video")
    with corpus.catalog.reader() as conn:
        row = queries.get_video(conn, video_id)
    return _json({"video_id": video_id, "catalog": row, "files": downloads(corpus.store.root, video_id),
                  "page": f"/videos/{video_id}", "transcript": f"/api/videos/{video_id}/transcript"})


def transcript(request: Request) -> Response:
    """GET /api/videos/{video_id}/transcript: the whole transcript (transcript.json's contract)."""
    t = load_transcript(_corpus(request), request.path_params["video_id"])
    return _json(t.to_dict())


def search_api(request: Request) -> Response:
    """GET /api/search?q=...&track=...&limit=N: hits as `vidscribe search --json` prints them."""
    q = (request.query_params.get("q") or "").strip()
    if not q:
        raise HTTPException(400, "q is required")
    track = request.query_params.get("track") or None
    try:
        limit = queries.int_param(request.query_params, "limit", 50, 1, MAX_SEARCH)
    except BadQuery as e:
        raise HTTPException(400, str(e)) from None
    hits, total = run_search(_corpus(request), q, track, limit)
    return _json({"query": q, "track": track, "total": total, "hits": [dataclasses.asdict(h) for h in hits]})


def findings(request: Request) -> Response:
    """GET /api/findings?kind=&account=&video_id=&page=&per_page=: findings across the corpus."""
    try:
        with _corpus(request).catalog.reader() as conn:
            total, rows = queries.list_findings(conn, request.query_params)
    except BadQuery as e:
        raise HTTPException(400, str(e)) from None
    return _json({"total": total, "findings": rows})


def accounts(request: Request) -> Response:
    """GET /api/accounts: every account with its number of videos."""
    rows = _corpus(request).catalog.memo("accounts", queries.accounts)
    return _json({"accounts": [{"account": a, "videos": n} for a, n in rows]})


def account(request: Request) -> Response:
    """GET /api/account?name=ACCOUNT: the account's videos, aggregated findings and timeline."""
    name = request.query_params.get("name") or ""
    with _corpus(request).catalog.reader() as conn:
        summary = queries.account_summary(conn, name) if name else None
    if summary is None:
        raise HTTPException(404, "no such account")
    groups = {group: [queries.aggregate_dict(a) for a in items] for group, items in summary["findings"].items()}
    return _json({**summary, "findings": groups})


def status(request: Request) -> Response:
    """GET /api/status: videos per stage and state, failures, the queue, the catalog and index."""
    corpus = _corpus(request)
    counts = corpus.catalog.memo("stage_counts", queries.stage_counts)
    return _json({**counts, **corpus.status(), "write_enabled": bool(corpus.settings.api_token)})


async def clusters(request: Request) -> Response:
    """GET /api/clusters?min_size=N: reposts, as `vidscribe clusters --format json` (the index
    brought up to date first)."""
    from vidscribe.clusters import clusters_json, find_clusters

    try:
        min_size = queries.int_param(request.query_params, "min_size", 2, 2, 1_000_000)
    except BadQuery as e:
        raise HTTPException(400, str(e)) from None
    try:
        found, stats = await run_in_threadpool(find_clusters, _corpus(request).store)
    except VidscribeError as e:  # a read-only data root, a full disk
        raise HTTPException(503, str(e)) from None
    found = [c for c in found if len(c.videos) >= min_size]
    return _json({"clusters": clusters_json(found), "index": dataclasses.asdict(stats) if stats else None})


def openapi(request: Request) -> Response:
    """GET /api/openapi.json: this API described as OpenAPI 3.1."""
    return _json(document())


# --- writing -------------------------------------------------------------------------------------

def _require_token(request: Request) -> None:
    token = _corpus(request).settings.api_token
    if not token:
        raise HTTPException(403, "write endpoints are off: set VIDSCRIBE_API_TOKEN to turn them on")
    if not may_write(request.headers.get("authorization"), token):
        raise HTTPException(401, "a valid token is required (Authorization: Bearer TOKEN)",
                            headers={"WWW-Authenticate": 'Bearer realm="vidscribe"'})


async def _body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "send the body as application/json")
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, f"the body is larger than {MAX_BODY} bytes")
        chunks.append(chunk)
    try:
        data = json.loads(b"".join(chunks))
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise HTTPException(400, "the body must be a JSON object")
    return data


def _strings(data: dict[str, Any], key: str, limit: int) -> list[str]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise HTTPException(400, f"{key} must be a list of strings")
    if len(items) > limit:
        raise HTTPException(400, f"at most {limit} {key} at once")
    return items


def _connect(corpus: Corpus) -> Any:
    from vidscribe.queue.connection import connect

    try:
        return connect(corpus.settings.redis_url)
    except VidscribeError as e:
        raise HTTPException(503, f"queue unreachable: {e.reason}") from None


def _result(sub: Submission) -> dict[str, Any]:
    return {"source": sub.source, "video_id": sub.video_id, "job_ids": list(sub.job_ids),
            "status": "refused" if sub.refused else "queued", "reason": sub.refused}


def _enqueue(corpus: Corpus, sources: list[str], force: bool) -> list[dict[str, Any]]:
    """Each source as `vidscribe enqueue` queues it: a listing URL (channel, playlist, feed, page) is
    expanded by the same `expand_each` and each entry it takes is queued with the listing's account."""
    from vidscribe.listings.runs import expand_each
    from vidscribe.queue import graph
    from vidscribe.queue.graph import Submission

    settings = corpus.settings
    conn = _connect(corpus)
    out = []
    try:
        for source in sources:
            text = source.strip()[:4096]
            try:
                local = classify(text, settings.allow_private_urls).path is not None
            except VidscribeError as e:
                out.append(_result(Submission(text, None, refused=e.reason)))
                continue
            if local:
                out.append(_result(Submission(text, None, refused="local paths are not queued over HTTP: "
                                                                   "give a URL, or use `vidscribe enqueue`")))
                continue
            for expansion in expand_each([text], settings, corpus.store, "api", force=force):
                submitted = [graph.submit(conn, settings, item, force=force, account=account)
                             for item, account in expansion.sources]
                out.append(_expanded(expansion, submitted))
    finally:
        conn.close()
    return out


def _expanded(expansion: Expansion, submitted: list[Submission]) -> dict[str, Any]:
    """A single source's result as it always was; a listing's with what it listed, took and skipped,
    and one result per entry queued; a listing that could not be read, refused with the reason."""
    from vidscribe.queue.graph import Submission

    error = expansion.error
    if error is not None:
        if not isinstance(error, VidscribeError):
            log.error("listing %s: internal error", redact_url(expansion.item), exc_info=error)
        reason = error.reason if isinstance(error, VidscribeError) else f"internal error: {type(error).__name__}"
        return _result(Submission(expansion.item, None, refused=reason))
    if expansion.taken is None:
        return _result(submitted[0])
    taken = expansion.taken
    entries = [_result(s) for s in submitted]
    return {"source": expansion.item, "video_id": None, "job_ids": [j for e in entries for j in e["job_ids"]],
            "status": "listed", "reason": None, "entries": entries,
            "listing": {"listing_id": taken.run.listing_id, "url": redact_url(taken.listing.url),
                        "title": taken.listing.title, "entries": len(taken.listing.entries),
                        "taken": [e.key for e in taken.choice.taken], "skipped": dict(taken.choice.skipped),
                        "undated": list(taken.choice.undated), "refused": dict(taken.listing.refused)}}


def _queued(results: list[dict[str, Any]]) -> bool:
    return any(r["status"] == "queued" or _queued(r.get("entries") or []) for r in results)


async def enqueue(request: Request) -> Response:
    """POST /api/enqueue {"sources": [URL, ...], "force": false}: queue sources for the workers. A
    listing URL is listed here (with the server's listing settings) and its entries queued: its
    result has status "listed", the listing's `taken`/`skipped` entries and one result per entry."""
    _require_token(request)
    data = await _body(request)
    sources = _strings(data, "sources", MAX_SOURCES)
    if not sources:
        raise HTTPException(400, "give at least one source")
    results = await run_in_threadpool(_enqueue, _corpus(request), sources, bool(data.get("force")))
    return _json({"results": results}, status=202 if _queued(results) else 200)


def _check_stage(stage: Any) -> str | None:
    if stage is None:
        return None
    if not isinstance(stage, str) or stage not in pipeline.stage_names():
        raise HTTPException(400, f"stage must be one of {', '.join(pipeline.stage_names())}")
    return stage


def _reprocess(corpus: Corpus, video_ids: list[str], stage: str | None, failed: bool) -> list[dict[str, Any]]:
    from vidscribe.queue import graph

    chosen = list(video_ids) + (graph.select_videos(corpus.store, failed=True) if failed else [])
    conn = _connect(corpus)
    try:
        return [_result(s) for s in graph.reprocess(conn, corpus.settings, dict.fromkeys(chosen), stage)]
    finally:
        conn.close()


async def reprocess(request: Request) -> Response:
    """POST /api/reprocess {"video_ids": [...], "stage": "subtitles"} or {"failed": true}: run
    stages again from the stored media."""
    _require_token(request)
    data = await _body(request)
    video_ids = _strings(data, "video_ids", MAX_SOURCES)
    bad = [v for v in video_ids if not valid_video_id(v)]
    if bad:
        raise HTTPException(400, f"not a valid video ID: {bad[0][:200]!r}")
    stage = _check_stage(data.get("stage"))
    failed = data.get("failed") is True
    if not video_ids and not failed:
        raise HTTPException(400, 'give video_ids (with a stage) or "failed": true')
    if video_ids and stage is None:
        raise HTTPException(400, "a stage is needed with video_ids")
    results = await run_in_threadpool(_reprocess, _corpus(request), video_ids, stage, failed)
    return _json({"results": results}, status=202 if any(r["status"] == "queued" for r in results) else 200)
