"""File routes: a video's outputs (`/files/<id>/<name>`), its media (`/media/<id>/<name>`) and a
thumbnail (`/thumbs/<id>.jpg`). Paths come from `security.output_file`/`media_file` only; media
is answered with Range support (Starlette's FileResponse), so seeking never downloads a whole clip.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from vidscribe.atomic import atomic_write
from vidscribe.errors import VidscribeError
from vidscribe.media.tools import input_guard, run_tool
from vidscribe.serve.security import media_file, media_type, output_file, valid_video_id
from vidscribe.settings import Settings

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PLACEHOLDER = STATIC / "placeholder.svg"
THUMB_WIDTH = 240
_THUMB_SLOTS = threading.BoundedSemaphore(2)  # ffmpeg runs at once, at most
_CACHE = "public, max-age=60"


def _serve(request: Request, path: Path | None) -> Response:
    if path is None:
        raise HTTPException(404, "no such file")
    headers = {"cache-control": _CACHE}
    if request.query_params.get("download"):
        headers["content-disposition"] = f'attachment; filename="{path.name}"'
    return FileResponse(path, media_type=media_type(path), headers=headers)


def output(request: Request) -> Response:
    """GET /files/{video_id}/{name}: transcript.json, the derived files, keyframes/NNNN.jpg."""
    root = request.app.state.corpus.store.root
    return _serve(request, output_file(root, request.path_params["video_id"], request.path_params["name"]))


def media(request: Request) -> Response:
    """GET /media/{video_id}/{name}: source (the clip, with Range), info.json, audio.wav."""
    root = request.app.state.corpus.store.root
    return _serve(request, media_file(root, request.path_params["video_id"], request.path_params["name"]))


def thumbnail(request: Request) -> Response:
    """GET /thumbs/{video_id}.jpg: a frame of the clip (made once with ffmpeg and cached), else the
    keyframe of the first subtitle cue or screen text block, else a placeholder picture."""
    video_id = request.path_params["video_id"]
    if not valid_video_id(video_id):
        raise HTTPException(404, "no such video")
    corpus = request.app.state.corpus
    path = _thumbnail(corpus.store.root, corpus.catalog.path.parent / "thumbs", video_id, corpus.settings)
    if path is None:
        path = (output_file(corpus.store.root, video_id, "keyframes/0001.jpg")
                or output_file(corpus.store.root, video_id, "keyframes/screen-0001.jpg") or PLACEHOLDER)
    return FileResponse(path, media_type=media_type(path), headers={"cache-control": _CACHE})


def _thumbnail(root: Path, cache: Path, video_id: str, settings: Settings) -> Path | None:
    source = media_file(root, video_id, "source")
    if source is None:
        return None
    target = cache / f"{video_id}.jpg"
    try:
        if target.is_file() and target.stat().st_mtime_ns >= source.stat().st_mtime_ns:
            return target
    except OSError:
        return None
    if not _THUMB_SLOTS.acquire(timeout=30):
        return None
    try:
        duration = _duration_hint(root, video_id)
        at = f"{min(1.0, duration / 3):.2f}" if duration else "0"
        data = run_tool(["ffmpeg", "-v", "error", "-nostdin", *input_guard(), "-ss", at, "-i", str(source),
                         "-frames:v", "1", "-vf", f"scale={THUMB_WIDTH}:-2", "-q:v", "5", "-f", "mjpeg", "pipe:1"],
                        timeout=min(30.0, settings.ffmpeg_timeout), source=video_id,
                        what="thumbnail")
        if not data:
            return None
        cache.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        return target
    except (VidscribeError, OSError) as e:  # no video stream, unreadable: the fallbacks take over
        log.info("no thumbnail for %s: %s", video_id, e)
        return None
    finally:
        _THUMB_SLOTS.release()


def _duration_hint(root: Path, video_id: str) -> float | None:
    import json

    path = output_file(root, video_id, "transcript.json")
    try:
        value = json.loads(path.read_bytes())["video"]["duration"] if path else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) and value > 0 else None


def static(request: Request) -> Response:
    """GET /static/{name}: the viewer's own CSS, JS and pictures (a fixed folder, flat names only)."""
    name = request.path_params["name"]
    if "/" in name or name.startswith(".") or not (STATIC / name).is_file() or os.sep in name:
        raise HTTPException(404, "no such file")
    path = STATIC / name
    return FileResponse(path, media_type=media_type(path), headers={"cache-control": "public, max-age=300"})
