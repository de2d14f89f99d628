"""Listings served from 127.0.0.1: an RSS feed, an Atom feed and an HTML page that list generated clips, which a
test can change between two runs; the environment of the watch tests' real workers (the real
redis-server fixtures are in tests/conftest.py)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from html import escape
from pathlib import Path

import pytest
from servers import LocalServer

from vidscribe.samples import ClipSpec, make_clip

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "queue"))  # queue_helpers: real workers
from queue_helpers import kill_leftovers  # noqa: E402

COLOURS = ("0x802020", "0x208020", "0x202080", "0x808020", "0x208080")


@pytest.fixture(scope="session")
def listed_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Five small distinct clips (1 s, 64x64, a tone), made once per session."""
    root = tmp_path_factory.mktemp("listed")
    return [make_clip(ClipSpec(duration=1.0, width=64, height=64, fps=5, background=f"color=c={colour}"),
                      root / f"clip{i}.mp4") for i, colour in enumerate(COLOURS)]


@dataclass
class FeedSite:
    """An account's feeds (RSS `/account/feed.xml`, Atom `/account/atom.xml`) and page (`/account/page.html`);
    `publish` adds a clip to all three, `unpublish` takes it off (the clip itself stays served)."""

    server: LocalServer
    clips: list[Path]
    title: str = "Recruiter <b>& \"Co\""
    items: list[tuple[str, str, str | None]] = field(default_factory=list)  # (title, URL, RSS pubDate)

    @property
    def feed_url(self) -> str:
        return self.server.url("account/feed.xml")

    @property
    def page_url(self) -> str:
        return self.server.url("account/page.html")

    def clip_path(self, n: int) -> str:
        return f"/media/clip{n}.mp4"

    def publish(self, n: int, pub_date: str | None = None) -> str:
        url = self.server.add(self.clip_path(n), self.clips[n])
        self.items.append((f"Clip {n}", url, pub_date))
        self.write()
        return url

    def unpublish(self, n: int) -> None:
        self.items = [item for item in self.items if not item[1].endswith(self.clip_path(n))]
        self.write()

    def write(self) -> None:
        entries = "".join(
            f"<item><title>{escape(title)}</title><link>{escape(url)}</link>"
            f"<enclosure url=\"{escape(url)}\" type=\"video/mp4\" length=\"1\"/>"
            + (f"<pubDate>{pub}</pubDate>" if pub else "") + "</item>\n"
            for title, url, pub in self.items)
        self.server.add("account/feed.xml", f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">"
                        f"<channel><title>{escape(self.title)}</title><link>{self.page_url}</link>"
                        f"<description>clips</description>\n{entries}</channel></rss>\n")
        self.server.add("account/atom.xml", self.atom())
        videos = "".join(f"<video controls src=\"{escape(url)}\"></video>\n" for _, url, _ in self.items)
        self.server.add("account/page.html", f"<!DOCTYPE html><html><head><title>{escape(self.title)}</title>"
                        f"</head><body>\n{videos}</body></html>\n")

    @property
    def atom_url(self) -> str:
        return self.server.url("account/atom.xml")

    def atom(self, doctype: str = "") -> str:
        """The same items as an Atom feed: the clip as the entry's alternate link (an HTML page as a
        link without rel, for the order links are taken in), `published` from the RSS date, and the
        feed's author; clip 1 names an author of its own."""
        entries = []
        for title, url, pub in self.items:
            when = f"<published>{parsedate_to_datetime(pub).isoformat()}</published>" if pub else ""
            own = "<author><name>Reposter</name><uri>https://example.org/@reposter</uri></author>" \
                if url.endswith(self.clip_path(1)) else ""
            entries.append(f"<entry><title type=\"html\">{escape(title)}</title><id>{escape(url)}</id>"
                           f"<link href=\"{escape(self.page_url)}\"/><link rel=\"alternate\" href=\"{escape(url)}\"/>"
                           f"{when}<updated>2026-12-01T00:00:00Z</updated>{own}</entry>\n")
        return (f"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{doctype}<feed xmlns=\"http://www.w3.org/2005/Atom\">"
                f"<title>{escape(self.title)}</title><id>urn:account</id><updated>2026-12-01T00:00:00Z</updated>"
                f"<author><name>{escape(self.title)}</name></author>\n{''.join(entries)}</feed>\n")

    def fetches(self, n: int) -> int:
        """Whole-file GETs of clip n (yt-dlp's look at a direct link is one, its download another)."""
        return self.server.requests[self.clip_path(n)]


@pytest.fixture()
def site(http_server: LocalServer, listed_clips: list[Path]) -> FeedSite:
    return FeedSite(http_server, listed_clips)


@pytest.fixture()
def worker_env(redis_url: str) -> dict[str, str]:
    """Workers on the test's Redis, fetching from 127.0.0.1; they run only the download queue (no model)."""
    env = dict(os.environ)
    env.update({"VIDSCRIBE_REDIS_URL": redis_url, "VIDSCRIBE_ALLOW_PRIVATE_URLS": "1",
                "VIDSCRIBE_JOB_HEARTBEAT": "4", "PYTHONUNBUFFERED": "1"})
    return env


@pytest.fixture(autouse=True)
def no_leftover_workers() -> Iterator[None]:
    """A worker a failed test left running would take the next test's jobs from the shared Redis."""
    yield
    kill_leftovers()
