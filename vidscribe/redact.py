"""Secrets out of every URL we store or print: `http://user:pw@host/clip.mp4?token=...` is kept as
`http://host/clip.mp4?token=REDACTED`. The full URL is used only for the request itself.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
# Query parameters that carry credentials or signed access, by lower-cased name (AWS, GCS and Azure
# signed URLs, OAuth tokens, API keys, passwords).
SECRET_PARAMS = frozenset({
    "access_token", "api_key", "apikey", "auth", "authorization", "id_token", "key", "pass", "passwd",
    "password", "pwd", "refresh_token", "secret", "session", "sessionid", "sig", "signature", "token",
    "x-amz-credential", "x-amz-security-token", "x-amz-signature", "x-goog-credential", "x-goog-signature",
})
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")
_URL = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s<>\"']+")
# A netloc on its own, as yt-dlp's `webpage_url_domain` keeps it: user:password@host[:port].
# Only with a password (a colon before the "@"): an email address in a description is evidence.
_NETLOC_WITH_USERINFO = re.compile(r"^[^\s/@:]*:[^\s/@]*@(?=[^\s/@]+$)")


def redact_url(url: str) -> str:
    """`url` without userinfo and with secret query values replaced; anything else unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(r"\1", url)
    if not parts.scheme or not parts.netloc:
        return url
    netloc = parts.netloc.rpartition("@")[2]
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(name.lower() in SECRET_PARAMS for name, _ in pairs):
            query = urlencode([(n, REDACTED if n.lower() in SECRET_PARAMS else v) for n, v in pairs])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Every URL inside free text (an error message, a log line) redacted."""
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def redact_tree(value: Any) -> Any:
    """Strings that are URLs, anywhere in a JSON-like tree (yt-dlp's info dict), redacted."""
    if isinstance(value, str):
        return redact_text(value) if "://" in value else _NETLOC_WITH_USERINFO.sub("", value, count=1)
    if isinstance(value, dict):
        return {k: redact_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_tree(v) for v in value]
    return value
