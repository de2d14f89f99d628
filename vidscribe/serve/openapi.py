"""The OpenAPI 3.1 description of /api/ (served at /api/openapi.json). A test checks that every
API route is described here with its methods, so the two cannot drift apart."""

from __future__ import annotations

from typing import Any

from vidscribe import __version__

_PAGE = [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
         {"name": "per_page", "in": "query", "schema": {"type": "integer", "minimum": 1}}]
_VIDEO_ID = {"name": "video_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"}}


def _q(name: str, description: str, required: bool = False, **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": {"type": "string", **schema}}


def _get(summary: str, params: list[dict[str, Any]] | None = None, *, not_found: bool = False) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "OK", "content": {"application/json": {}}},
                                 "400": {"$ref": "#/components/responses/Error"}}
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/Error"}
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _post(summary: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "security": [{"token": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {"200": {"description": "Nothing queued; each result says why"},
                      "202": {"description": "Queued; one result per source or video"},
                      "400": {"$ref": "#/components/responses/Error"},
                      "401": {"$ref": "#/components/responses/Error"},
                      "403": {"description": "Write endpoints are off (no VIDSCRIBE_API_TOKEN)"},
                      "503": {"description": "The queue (Redis) is unreachable"}}}}


_STRINGS = {"type": "array", "items": {"type": "string"}}
_FILTERS = [_q("account", "uploader ID (else name)"), _q("kind", "videos with a finding of this kind"),
            _q("stage", "with state: that stage's state"),
            _q("state", "done, failed, skipped or pending", enum=["done", "failed", "skipped", "pending"]),
            _q("from", "uploaded on or after (YYYY-MM-DD)"), _q("to", "uploaded on or before (YYYY-MM-DD)"),
            _q("sort", "sort key", enum=["date", "account", "duration", "findings", "id", "title"]),
            _q("order", "asc or desc", enum=["asc", "desc"]), *_PAGE]


def document() -> dict[str, Any]:
    paths = {
        "/api/videos": _get("The corpus: videos with account, date, duration, stage states, counts", _FILTERS),
        "/api/videos/{video_id}": _get("One video's catalog entry and its files", [_VIDEO_ID], not_found=True),
        "/api/videos/{video_id}/transcript": _get("One video's transcript (transcript.json)", [_VIDEO_ID],
                                                  not_found=True),
        "/api/search": _get("Full-text and value search, as `vidscribe search --json`", [
            _q("q", "the query", required=True),
            _q("track", "speech, subtitles, overlay, screen (screen text) or frame (QR codes)",
               enum=["speech", "subtitles", "subtitle", "overlay", "screen", "frame"]),
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}]),
        "/api/findings": _get("Findings across the corpus", [_q("kind", "finding kind"), _q("account", "account"),
                                                            _q("video_id", "one video"), *_PAGE]),
        "/api/accounts": _get("Every account with its number of videos"),
        "/api/account": _get("One account: videos, findings aggregated by value, timeline",
                             [_q("name", "the account", required=True)], not_found=True),
        "/api/status": _get("Videos per stage and state, failures, queue, catalog and index freshness"),
        "/api/clusters": _get("Reposts: videos showing the same footage or text, first poster first, with the "
                              "evidence of every match (as `vidscribe clusters --format json`)",
                              [{"name": "min_size", "in": "query", "schema": {"type": "integer", "minimum": 2}}]),
        "/api/openapi.json": _get("This description"),
        "/api/enqueue": _post("Queue sources (URLs) for the workers, as `vidscribe enqueue`: a channel, "
                              "playlist, feed or page URL is listed and its entries queued (status "
                              "\"listed\", with the listing's taken and skipped entries)", {
            "type": "object", "required": ["sources"],
            "properties": {"sources": _STRINGS, "force": {"type": "boolean"}}}),
        "/api/reprocess": _post("Run a stage again from stored media, as `vidscribe reprocess`", {
            "type": "object",
            "properties": {"video_ids": _STRINGS, "stage": {"type": "string"}, "failed": {"type": "boolean"}}}),
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "vidscribe", "version": __version__,
                 "description": "The corpus of transcribed clips: read endpoints, and write endpoints that "
                                "need VIDSCRIBE_API_TOKEN as a Bearer token."},
        "paths": paths,
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "responses": {"Error": {"description": "An error, as {\"error\": message}", "content": {
                "application/json": {"schema": {"type": "object", "properties": {"error": {"type": "string"}}}}}}},
        },
    }
