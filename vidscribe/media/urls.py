"""What kind of source the user gave, and whether we may fetch it.

By default only public http(s) addresses are fetched: `file://` and hosts that resolve to
loopback, private, link-local or otherwise non-global addresses are refused, so a URL submitted to
a shared worker cannot reach the worker's own network. `allow_private_urls` lifts this (tests
fetch from 127.0.0.1).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from vidscribe.errors import SourceError, TransientError

FETCHABLE_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class SourceRef:
    text: str  # as the user gave it
    url: str | None  # set for network sources
    path: Path | None  # set for local files


def classify(source: str, allow_private: bool) -> SourceRef:
    text = source.strip()
    if not text:
        raise SourceError("empty source", source=repr(source))
    try:
        parts = urlsplit(text)
        hostname = parts.hostname
    except ValueError as e:  # e.g. an unclosed IPv6 bracket
        raise SourceError(f"malformed URL ({e})", source=text) from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        if not allow_private:
            raise SourceError("file:// URLs are refused (set VIDSCRIBE_ALLOW_PRIVATE_URLS=1 to allow "
                              "them, or pass a plain path)", source=text)
        return SourceRef(text, None, Path(unquote(parts.path)))
    if scheme in FETCHABLE_SCHEMES:
        if not hostname:
            raise SourceError("URL has no host", source=text)
        check_host(hostname, allow_private, source=text)
        return SourceRef(text, text, None)
    if "://" in text or (scheme and len(scheme) > 1 and not Path(text).exists()):
        raise SourceError(f"unsupported URL scheme {scheme!r} (only http and https are fetched)",
                          source=text)
    return SourceRef(text, None, Path(text).expanduser())


def canonical_source(source: str) -> str:
    """An existing local file as an absolute path (what the transcript stores, whichever command or
    folder it came from); anything else as given."""
    text = source.strip()
    if "://" in text:
        return text
    path = Path(text).expanduser()
    return str(path.absolute()) if path.exists() else text


def _non_global(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def check_host(host: str, allow_private: bool, source: str) -> None:
    """Refuse hosts that are, or resolve to, a non-public address (unless allowed)."""
    if allow_private:
        return
    try:
        addresses = {ipaddress.ip_address(host.strip("[]")).compressed}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except socket.gaierror as e:
            if e.errno == socket.EAI_AGAIN:
                raise TransientError(f"cannot resolve host {host!r} right now ({e.strerror})",
                                     source=source) from None
            raise SourceError(f"cannot resolve host {host!r} ({e.strerror})", source=source) from None
        addresses = {info[4][0] for info in infos}
    bad = sorted(a for a in addresses if _non_global(a))
    if bad:
        raise SourceError(f"refused: {host} is a private, loopback or link-local address ({bad[0]}); "
                          "set VIDSCRIBE_ALLOW_PRIVATE_URLS=1 to allow it", source=source)


# Checking a URL's host before fetching is not enough: the page may redirect, DNS may answer
# differently the second time, and manifests name further hosts. So while yt-dlp fetches, every
# name resolution in that thread is checked too, and a non-public answer is refused.
REFUSED_MARKER = "vidscribe refused a non-public address"
_guard = threading.local()
_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    infos = _real_getaddrinfo(host, *args, **kwargs)
    if getattr(_guard, "active", False):
        bad = [info[4][0] for info in infos if _non_global(str(info[4][0]))]
        if bad:
            raise socket.gaierror(socket.EAI_NONAME, f"{REFUSED_MARKER} ({host} -> {bad[0]})")
    return infos


@contextlib.contextmanager
def public_addresses_only(enabled: bool = True) -> Iterator[None]:
    """Within the block (in this thread), resolving a name to a non-public address fails."""
    if socket.getaddrinfo is not _guarded_getaddrinfo:
        socket.getaddrinfo = _guarded_getaddrinfo
    previous = getattr(_guard, "active", False)
    _guard.active = enabled or previous
    try:
        yield
    finally:
        _guard.active = previous
