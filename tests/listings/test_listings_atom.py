"""Atom feeds, which yt-dlp does not read, listed by `vidscribe.listings.atom`: through the real yt-dlp
(which finds nothing there first), a real HTTP server on 127.0.0.1, ffprobe and ffmpeg; and the XML
refusals (entity declarations, external DTDs, size, private addresses) on real documents."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from listing_helpers import ids, run

from vidscribe.errors import SourceError
from vidscribe.listings import atom
from vidscribe.listings.atom import FeedRefused, feed_info, parse_xml, read_feed
from vidscribe.listings.ledger import ListingLedger
from vidscribe.listings.source import listing_id
from vidscribe.media.ids import url_hash
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store

BOMB = ("<!DOCTYPE feed [\n <!ENTITY lol0 \"lol\">\n"  # &lol9; is 10^9 times "lol"
        + "".join(f" <!ENTITY lol{i} \"{f'&lol{i - 1};' * 10}\">\n" for i in range(1, 10)) + "]>\n")


def test_an_atom_feed_is_listed_and_only_new_entries_are_fetched_the_next_time(site, data_root):
    site.publish(0, "Mon, 02 Nov 2026 10:00:00 GMT")
    site.publish(1, "Tue, 03 Nov 2026 10:00:00 GMT")
    first = run([site.atom_url], data_root)
    assert first.exit_code == 0, first.output
    lid = listing_id(site.atom_url)
    assert f"listing {lid} {site.atom_url}: 2 entries, 2 taken" in first.stderr
    assert ids(first) == [f"url-{url_hash(site.server.url(site.clip_path(n)))}" for n in (0, 1)]
    store = Store(data_root)
    zero, one = (store.load(video_id).video for video_id in ids(first))
    assert (zero.uploader, zero.channel_url) == (site.title, site.atom_url)  # the feed's author, the feed
    assert (one.uploader, one.channel_url) == ("Reposter", "https://example.org/@reposter")  # its own
    fetched = [site.fetches(n) for n in (0, 1)]
    assert site.server.requests["/account/page.html"] == 0  # the alternate link is taken, not the plain one

    site.publish(2)
    second = run([site.atom_url], data_root)
    assert second.exit_code == 0, second.output
    assert ids(second) == [f"url-{url_hash(site.server.url(site.clip_path(2)))}"]
    assert [site.fetches(n) for n in (0, 1)] == fetched
    assert "3 entries, 1 taken, 2 skipped (2 already in the store)" in second.stderr

    record = ListingLedger(data_root).read(lid)
    assert record["title"] == site.title and record["extractor"] == "Atom"
    assert record["entries"][ids(first)[0]]["upload_date"] == "2026-11-02"


def test_dates_bound_an_atom_feed_as_they_bound_rss(site, data_root):
    site.publish(0, "Sun, 01 Nov 2026 10:00:00 GMT")
    site.publish(1, "Tue, 03 Nov 2026 23:30:00 GMT")
    result = run(["--since", "2026-11-02", site.atom_url], data_root)
    assert result.exit_code == 0, result.output
    assert ids(result) == [f"url-{url_hash(site.server.url(site.clip_path(1)))}"]
    assert "1 skipped (1 uploaded before --since)" in result.stderr


def test_a_billion_laughs_feed_is_refused_in_one_line_and_nothing_is_fetched(site, data_root):
    site.publish(0)
    bomb = site.atom(doctype=BOMB).replace("<title>", "<title>&lol9;", 1)
    url = site.server.add("account/bomb.xml", bomb)
    result = run([url], data_root)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {url}: refused: the document declares XML entities, which no feed needs "
                      "(how entity-expansion attacks work)"]
    assert result.stdout == "" and "Traceback" not in result.output
    assert site.fetches(0) == 0 and not (data_root / "listings").exists()
    # The claim in atom.py's docstring: this expat stops the expansion by itself too.
    with pytest.raises(ET.ParseError, match="amplification"):
        ET.fromstring(bomb)


def test_a_watch_round_on_a_refused_feed_records_why(site, data_root):
    from vidscribe.listings.runs import ListingOptions, take

    url = site.server.add("account/bomb.xml", site.atom(doctype=BOMB))
    settings = Settings(data=data_root, allow_private_urls=True)
    with pytest.raises(FeedRefused):
        take(url, settings, Store(data_root), "watch", ListingOptions(), new_only=True)
    failed = ListingLedger(data_root).runs(listing_id(url))[-1]
    assert failed["status"] == "failed" and "declares XML entities" in failed["error"]


def test_an_external_dtd_is_never_fetched(site):
    site.publish(0)
    dtd = site.server.add("evil.dtd", '<!ENTITY who "an entity from outside">')
    feed = site.atom(doctype=f'<!DOCTYPE feed SYSTEM "{dtd}">').replace("<title>", "<title>&who;", 1)
    url = site.server.add("account/dtd.xml", feed)
    info, entries = read_feed(url, Settings(allow_private_urls=True))
    assert site.server.requests["/evil.dtd"] == 0
    assert "outside" not in (info["title"] or "") and len(entries) == 1


@pytest.mark.parametrize("declaration", [
    '<!ENTITY x SYSTEM "file:///etc/passwd">',
    '<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;',
    '<!ENTITY x "plain text">',
    '<!ENTITY x SYSTEM "http://127.0.0.1:9/n" NDATA gif><!NOTATION gif SYSTEM "g">',
])
def test_any_entity_declaration_is_refused(declaration):
    doc = f'<!DOCTYPE feed [{declaration}]><feed xmlns="http://www.w3.org/2005/Atom"/>'.encode()
    with pytest.raises(FeedRefused, match="declares XML entities"):
        parse_xml(doc, "https://example.org/feed")


def test_a_feed_over_the_size_limit_is_refused(site, monkeypatch):
    monkeypatch.setattr(atom, "MAX_FEED_BYTES", 4096)
    site.title = "x" * 5000
    site.publish(0)
    with pytest.raises(FeedRefused, match="larger than"):
        read_feed(site.atom_url, Settings(allow_private_urls=True))


def test_a_feed_on_a_private_address_is_not_requested(site):
    site.publish(0)
    with pytest.raises(SourceError, match="refused"):
        read_feed(site.atom_url, Settings(allow_private_urls=False))
    assert site.server.requests["/account/atom.xml"] == 0


def test_other_xml_and_broken_xml_are_not_feeds(site, data_root):
    other = site.server.add("other.xml", '<?xml version="1.0"?><catalog><item>1</item></catalog>')
    broken = site.server.add("broken.xml", "<?xml version='1.0'?><not closed")
    assert read_feed(other, Settings(allow_private_urls=True)) is None
    assert read_feed(broken, Settings(allow_private_urls=True)) is None
    result = run([other], data_root)  # as before: the single-video way, yt-dlp's word for it
    assert result.exit_code == 1 and "unsupported URL" in result.stderr
    with pytest.raises(FeedRefused, match="not well-formed"):
        parse_xml(b'<feed xmlns="http://www.w3.org/2005/Atom"><entry>&nbsp;</entry></feed>', "u")


def test_links_are_taken_in_order_and_resolved_against_the_feed():
    doc = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">
      A <b>bold</b>  title</div></title>
      <entry><link rel="enclosure" href="/e.mp4"/><link href="plain"/><link rel="alternate" href="alt"/></entry>
      <entry><link rel="enclosure" href="/e.mp4"/><link href="plain"/></entry>
      <entry><link rel="enclosure" href="https://cdn.example.org/e.mp4"/><link rel="self" href="self"/></entry>
      <entry><link rel="self" href="self"/><title>no usable link</title></entry>
      <entry><published>not a date</published><updated>2026-11-03T23:30:00-02:00</updated>
        <link href="x"/></entry>
    </feed>"""
    root = parse_xml(doc, "https://example.org/a/feed.xml")
    assert root is not None
    info = feed_info(root, "https://example.org/a/feed.xml")
    assert info["title"] == "A bold title"
    assert [e["url"] for e in info["entries"]] == ["https://example.org/a/alt", "https://example.org/a/plain",
                                                    "https://cdn.example.org/e.mp4", "https://example.org/a/x"]
    assert info["entries"][-1]["timestamp"] == 1793755800  # 2026-11-04 01:30 UTC: the next day, in UTC
