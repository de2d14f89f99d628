"""The ASGI application of `vidscribe serve`: routes, middleware, error pages, and the uvicorn run.

Middleware, outermost first: security headers on every response; a catch-all turning any bug into
a plain 500 (JSON under /api/) with the traceback in the log only; the Host check (bound to
loopback, only loopback names are answered: no DNS rebinding); the read gate (when reading needs
the token).
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from vidscribe.errors import ConfigError
from vidscribe.serve import api, files, pages
from vidscribe.serve.security import SecurityHeaders, may_read
from vidscribe.serve.state import REFRESH_SECONDS, Corpus
from vidscribe.serve.views import environment
from vidscribe.settings import Settings

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def routes() -> list[Route]:
    return [
        Route("/", pages.corpus_page),
        Route("/videos/{video_id}", pages.video_page),
        Route("/search", pages.search_page),
        Route("/account", pages.account_page),
        Route("/files/{video_id}/{name:path}", files.output),
        Route("/media/{video_id}/{name}", files.media),
        Route("/thumbs/{video_id}.jpg", files.thumbnail),
        Route("/static/{name}", files.static),
        Route("/api/videos", api.videos),
        Route("/api/videos/{video_id}", api.video),
        Route("/api/videos/{video_id}/transcript", api.transcript),
        Route("/api/search", api.search_api),
        Route("/api/findings", api.findings),
        Route("/api/accounts", api.accounts),
        Route("/api/account", api.account),
        Route("/api/status", api.status),
        Route("/api/clusters", api.clusters),
        Route("/api/openapi.json", api.openapi),
        Route("/api/enqueue", api.enqueue, methods=["POST"]),
        Route("/api/reprocess", api.reprocess, methods=["POST"]),
    ]


def _is_api(scope: Scope) -> bool:
    path = scope.get("path", "")
    return path == "/api" or path.startswith("/api/")


def error_response(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """An error as JSON under /api/, else as a plain page: never a traceback."""
    if _is_api(request.scope):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    response = pages.error_page(request, status, message)
    response.headers.update(headers or {})
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(request, exc.status_code, str(exc.detail), dict(exc.headers or {}))


class CatchAll:
    """Any exception a handler raises becomes a plain 500 (the traceback goes to the log)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("error serving %s", scope.get("path"))
            if started:
                raise
            response = error_response(Request(scope), 500, "internal error (the server log has the details)")
            await response(scope, receive, send)


class ReadGate:
    """With reading closed, every request needs the token (Bearer, or the HTTP Basic password)."""

    def __init__(self, app: ASGIApp, token: str | None, read_open: bool) -> None:
        self.app, self.token, self.read_open = app, token, read_open

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.read_open:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if may_read(request.headers.get("authorization"), self.token, self.read_open):
            await self.app(scope, receive, send)
            return
        challenge = 'Bearer realm="vidscribe"' if _is_api(scope) else 'Basic realm="vidscribe", charset="UTF-8"'
        response = (JSONResponse({"error": "a valid token is required"}, status_code=401,
                                 headers={"WWW-Authenticate": challenge}) if _is_api(scope) else
                    Response("401: a valid token is required (any user name, the token as password)\n",
                             status_code=401, media_type="text/plain; charset=utf-8",
                             headers={"WWW-Authenticate": challenge}))
        await response(scope, receive, send)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_settings(settings: Settings) -> None:
    """Refuse, in one line, what cannot be served: a missing data root (a typo would otherwise get a
    catalog of its own), closed reading without a token."""
    if not settings.data.is_dir():
        raise ConfigError(f"no data root at {settings.data}: process or enqueue something first, or set "
                          "VIDSCRIBE_DATA")
    if not settings.serve_read_open and not settings.api_token:
        raise ConfigError("VIDSCRIBE_SERVE_READ_OPEN=0 needs VIDSCRIBE_API_TOKEN: the token is what readers give")


def create_app(settings: Settings, *, background: bool = True, interval: float = REFRESH_SECONDS,
               allowed_hosts: Sequence[str] | None = None) -> Starlette:
    """The viewer and API over `settings.data`. `background`: refresh the catalog, index and queue
    state in a thread every `interval` seconds (else once, at start-up, before serving).
    `allowed_hosts`: Host header values answered (default: loopback names when bound to loopback)."""
    check_settings(settings)
    corpus = Corpus(settings, interval=interval)
    if allowed_hosts is None:
        allowed_hosts = [*LOOPBACK_NAMES, settings.host] if is_loopback(settings.host) else ["*"]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if background:
            corpus.start()
        else:
            corpus.refresh()
        try:
            yield
        finally:
            corpus.stop()

    app = Starlette(
        routes=routes(), lifespan=lifespan,
        middleware=[Middleware(SecurityHeaders), Middleware(CatchAll),
                    Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
                    Middleware(ReadGate, token=settings.api_token, read_open=settings.serve_read_open)],
        exception_handlers={HTTPException: _http_error})
    app.state.corpus = corpus
    app.state.templates = environment()
    return app


def run(settings: Settings) -> None:
    """Serve until interrupted (uvicorn, one process)."""
    import uvicorn

    app = create_app(settings)
    if not is_loopback(settings.host):
        log.warning("listening on %s: anyone who reaches it can %s", settings.host,
                    "read the corpus" if settings.serve_read_open else "try the token")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", proxy_headers=False,
                server_header=False, access_log=True)
