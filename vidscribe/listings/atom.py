"""Atom feeds as listings: yt-dlp's generic extractor reads RSS (`<rss><channel><item>`) but not Atom
(`<feed xmlns="http://www.w3.org/2005/Atom"><entry>`: YouTube's channel feeds, many blogs), so when
yt-dlp finds nothing at a URL, `read_feed` fetches it once more and reads it as Atom.

The document is fetched through yt-dlp's own connection inside the address guard (cookies, proxy,
socket timeout and the private-address refusal apply, redirects included), at most MAX_FEED_BYTES
within a deadline. The result has the shape of yt-dlp's flat RSS listing (a playlist of `url`
entries with title, timestamp and uploader), so the rest of the listing path is the same for both.

The XML is untrusted. It is parsed by expat directly (`parse_xml`), refusing any entity
declaration (internal or parameter, the raw material of "billion laughs" and quadratic blow-ups)
and never reading an external DTD or entity: expat does no I/O of its own, no external-entity
handler is set, and parameter-entity parsing is off. The expat here (2.4.1 and later) also limits
entity amplification by itself, which Python's xml.etree would rely on; refusing the declarations
does not depend on that.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

from vidscribe.errors import SourceError
from vidscribe.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"
# YouTube's channel feed (15 entries) is about 40 KB and large Atom feeds of blogs and podcasts a few
# MB; 8 MiB bounds the parse's memory (an ElementTree is ~10x its text) while taking any real feed.
MAX_FEED_BYTES = 8 * 1024**2
READ_CHUNK = 64 * 1024
# The whole document within this many socket timeouts (2 min at the default 30 s): each read already
# waits at most one, so a server trickling a byte per read cannot hold a listing for hours.
FEED_READ_TIMEOUTS = 4
# Bytes of a response looked at to tell XML (a feed) from anything else, before reading the rest.
SNIFF_BYTES = 1024
_XML_TYPES = ("xml",)  # application/atom+xml, application/xml, text/xml
_BOM = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


class FeedRefused(SourceError):
    """An XML document that is not read as a listing, on purpose (entities, size): no other path
    reads it either, so it is reported as it is rather than as an unsupported URL."""


class _Refused(Exception):
    """Raised inside expat's handlers: the parse stops at once."""


def read_feed(url: str, settings: Settings, limit: int = 0) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The Atom feed at `url` as yt-dlp's flat info and its first `limit` entries (0: all); None when
    the URL does not serve an Atom feed. Raises FeedRefused for XML that is not read (entity
    declarations, over MAX_FEED_BYTES, an Atom feed that is not well-formed) and the mapped
    VidscribeError of a request that fails."""
    data = fetch_xml(url, settings)
    if data is None:
        return None
    root = parse_xml(data, url)
    if root is None or root.tag != ATOM + "feed":
        return None
    info = feed_info(root, url)
    if limit:
        info["entries"] = info["entries"][:limit]
    return info, info["entries"]


def fetch_xml(url: str, settings: Settings) -> bytes | None:
    """The document at `url` if it looks like XML (by its Content-Type or its first bytes), else None."""
    import yt_dlp
    from yt_dlp.networking import Request
    from yt_dlp.networking.exceptions import RequestError

    from vidscribe.media.urls import public_addresses_only
    from vidscribe.media.ytdl import classify_download_error, ydl_options

    deadline = time.monotonic() + settings.socket_timeout * FEED_READ_TIMEOUTS
    try:
        with public_addresses_only(not settings.allow_private_urls), yt_dlp.YoutubeDL(ydl_options(settings)) as ydl, \
                ydl.urlopen(Request(url, headers={"Accept": "application/atom+xml, application/xml;q=0.9, */*;q=0.1"})
                            ) as response:
            kind = (response.headers.get("Content-Type") or "").lower()
            head = response.read(SNIFF_BYTES)
            if not any(t in kind for t in _XML_TYPES) and not _looks_like_xml(head):
                return None
            return head + b"".join(_rest(response, url, len(head), deadline))
    except RequestError as e:
        raise classify_download_error(str(e), url) from None


def _rest(response: Any, url: str, have: int, deadline: float) -> Iterator[bytes]:
    while chunk := response.read(READ_CHUNK):
        have += len(chunk)
        if have > MAX_FEED_BYTES:
            raise FeedRefused(f"refused: an XML document larger than {MAX_FEED_BYTES / 1024**2:g} MiB is not read "
                              "as a feed", source=url)
        if time.monotonic() > deadline:
            raise FeedRefused("refused: the XML document took too long to read as a feed", source=url,
                              permanent=False)
        yield chunk


def _looks_like_xml(head: bytes) -> bool:
    for bom in _BOM:
        head = head.removeprefix(bom)
    head = head.replace(b"\x00", b"").lstrip()  # UTF-16 without a BOM reads as ASCII with NULs
    return head.startswith((b"<?xml", b"<feed", b"<!DOCTYPE feed", b"<!--"))


def parse_xml(data: bytes, url: str) -> ET.Element | None:
    """The element tree of `data`, or None when it is not well-formed XML before its root element
    starts (not a document we read). Raises FeedRefused on an entity declaration, and on a feed that
    breaks off after its root started."""
    from xml.parsers import expat

    builder = ET.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)  # no external DTD, ever
    parser.buffer_text = True
    started = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal started
        started = True
        builder.start(_qname(name), {_qname(k): v for k, v in attrs.items()})

    def refuse_entity(*_: object) -> None:
        raise _Refused("the document declares XML entities, which no feed needs (how entity-expansion "
                       "attacks work)")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_qname(name))
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    try:
        parser.Parse(data, True)
    except _Refused as e:
        raise FeedRefused(f"refused: {e}", source=url) from None
    except expat.ExpatError as e:
        if not started:
            return None
        raise FeedRefused(f"refused: not well-formed XML ({expat.ErrorString(e.code)} at line {e.lineno})",
                          source=url) from None
    return builder.close()


def _qname(name: str) -> str:
    """expat's "namespace local" as ElementTree's "{namespace}local"."""
    uri, _, local = name.rpartition(" ")
    return f"{{{uri}}}{local}" if uri else local


# -- the feed as yt-dlp's flat listing ----------------------------------------------------------------

def feed_info(root: ET.Element, url: str) -> dict[str, Any]:
    """The playlist yt-dlp's RSS reading would give: the feed's title and author, one `url` entry
    per `<entry>` that names a link (relative links resolved against the feed's URL). An entry's
    account is its own `<author>`; one without takes the feed's whole (`ledger.account_dict`)."""
    author, author_url = _author(root)
    entries = []
    for entry in root.iterfind(ATOM + "entry"):
        link = entry_link(entry)
        if not link:
            continue
        own, own_url = _author(entry)
        entries.append({"_type": "url", "url": urljoin(url, link), "title": _text(entry, "title"),
                        "timestamp": _timestamp(entry), "uploader": own, "uploader_url": own_url})
    return {"_type": "playlist", "id": url, "title": _text(root, "title"), "extractor_key": "Atom",
            "uploader": author, "uploader_url": author_url, "entries": entries}


def entry_link(entry: ET.Element) -> str | None:
    """An entry's `<link rel="alternate" href>`, else a `<link href>` without a rel (alternate, by
    RFC 4287), else its enclosure."""
    links = [(el.get("rel") or "", (el.get("href") or "").strip()) for el in entry.iterfind(ATOM + "link")]
    for wanted in ("alternate", "", "enclosure"):
        for rel, href in links:
            if rel == wanted and href:
                return href
    return None


def _author(element: ET.Element) -> tuple[str | None, str | None]:
    author = element.find(ATOM + "author")
    if author is None:
        return None, None
    uri = _text(author, "uri")
    web = uri if uri and urlsplit(uri).scheme.lower() in ("http", "https") else None
    return _text(author, "name"), web


def _text(element: ET.Element, name: str) -> str | None:
    child = element.find(ATOM + name)
    if child is None:
        return None
    text = " ".join("".join(child.itertext()).split())  # type="xhtml" titles hold elements
    return text or None


def _timestamp(entry: ET.Element) -> int | None:
    """`published` (when it was posted), else `updated`, as a UTC timestamp (RFC 3339)."""
    from yt_dlp.utils import unified_timestamp

    for name in ("published", "updated"):
        text = _text(entry, name)
        stamp = unified_timestamp(text) if text else None
        if stamp is not None:
            return stamp
    return None
