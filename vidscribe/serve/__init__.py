"""`vidscribe serve`: a web viewer and a JSON API over the corpus (one process, uvicorn + Starlette,
Jinja2 templates, a little plain JavaScript, no build step).

Modules: `app` (routes, middleware, errors, the uvicorn run), `pages` (HTML), `api` (JSON under
/api/), `openapi` (its description), `files` (outputs, media with Range, thumbnails), `security`
(paths, tokens, headers), `catalog` (the SQLite catalog of every video), `queries` (what pages and
API ask it), `state` (the background refresh: catalog, search index, queue), `views` (what the
templates show). See docs/serve.md.
"""

from vidscribe.serve.app import create_app, run

__all__ = ["create_app", "run"]
