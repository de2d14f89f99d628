"""What keeps the viewer safe to point at a corpus of hostile clips.

- Paths: every file served is named by a validated video ID and a fixed file name (or a keyframe
  name of a fixed shape), joined under the data root, then resolved: a file that resolves outside
  its video's folder (a symlink, a folder that is a symlink) is not served.
- Access: write endpoints need `VIDSCRIBE_API_TOKEN` as a Bearer token (off when it is unset);
  with `VIDSCRIBE_SERVE_READ_OPEN=0` reading needs it too, as a Bearer token or an HTTP Basic
  password (so a browser can ask for it). Tokens are compared in constant time.
- Headers: a Content-Security-Policy without inline script or style on every response, no MIME
  sniffing, no framing, no referrer.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import mimetypes
import re
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vidscribe.errors import SourceError
from vidscribe.transcripts.render import DERIVED_FILES
from vidscribe.transcripts.store import TRANSCRIPT_FILE, check_video_id

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}

OUTPUT_FILES = (TRANSCRIPT_FILE, *DERIVED_FILES)
KEYFRAME = re.compile(r"^keyframes/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\.jpg$")
MEDIA_FILES = ("info.json", "audio.wav")
MEDIA_TYPES = {
    ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".webm": "video/webm",
    ".mkv": "video/x-matroska", ".flv": "video/x-flv", ".ts": "video/mp2t", ".avi": "video/x-msvideo",
    ".m4a": "audio/mp4", ".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".wav": "audio/wav",
    ".aac": "audio/aac", ".flac": "audio/flac",
    ".vtt": "text/vtt; charset=utf-8", ".srt": "application/x-subrip; charset=utf-8",
    ".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8",
    ".json": "application/json", ".jpg": "image/jpeg", ".svg": "image/svg+xml",
    ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp", ".bmp": "image/bmp",  # stills
    ".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
}


def valid_video_id(video_id: str) -> bool:
    try:
        check_video_id(video_id)
    except SourceError:
        return False
    return True


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def contained(folder: Path, name: str) -> Path | None:
    """`folder/name` if it is a regular file whose real path lies inside `folder`'s (`folder`'s
    parent may be a symlink, as a data root on another disk is; nothing below it may leave it)."""
    try:
        base = folder.parent.resolve(strict=True) / folder.name
        real = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):  # missing, or a symlink loop
        return None
    if not real.is_relative_to(base) or real == base or not real.is_file():
        return None
    return real


def output_file(root: Path, video_id: str, name: str) -> Path | None:
    """A file of `transcripts/<video_id>/` that the viewer serves: transcript.json, the derived
    files, keyframes/<name>.jpg. None for any other name, or a file that is not safely inside."""
    if not valid_video_id(video_id) or not (name in OUTPUT_FILES or KEYFRAME.match(name)):
        return None
    return contained(root / "transcripts" / video_id, name)


def media_file(root: Path, video_id: str, name: str) -> Path | None:
    """A file of `media/<video_id>/`: `source` (the media, whatever its extension), info.json,
    audio.wav. None for any other name or a file not safely inside."""
    if not valid_video_id(video_id):
        return None
    folder = root / "media" / video_id
    if name == "source":
        try:
            candidates = sorted(p.name for p in folder.iterdir() if re.fullmatch(r"source\.[A-Za-z0-9]{1,8}", p.name))
        except OSError:
            return None
        return next((p for p in (contained(folder, c) for c in candidates) if p), None)
    return contained(folder, name) if name in MEDIA_FILES else None


# --- tokens --------------------------------------------------------------------------------------

def same_token(given: str | None, token: str | None) -> bool:
    """`given` is the configured token (constant-time; False when none is configured)."""
    if not token or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))


def bearer(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def basic_password(authorization: str | None) -> str | None:
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def may_read(authorization: str | None, token: str | None, read_open: bool) -> bool:
    """Reading is open, or the request carries the token (Bearer, or as the Basic password)."""
    if read_open:
        return True
    return same_token(bearer(authorization), token) or same_token(basic_password(authorization), token)


def may_write(authorization: str | None, token: str | None) -> bool:
    """Writing needs the token as a Bearer token: never a browser's remembered Basic password,
    which a page on another site could make the browser send."""
    return same_token(bearer(authorization), token)


# --- headers ---------------------------------------------------------------------------------------

class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP response (errors included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
