"""`vidscribe process` on a feed and a page served from 127.0.0.1, through the real yt-dlp (its
generic extractor reads both), ffprobe and ffmpeg: entries fetched as videos, the account recorded
on each, every run recorded under listings/, and only new entries fetched by the next run."""

from __future__ import annotations

import json

from listing_helpers import ids, run

from vidscribe.errors import VidscribeError
from vidscribe.listings.choose import BEFORE, OVER_LIMIT, STORED
from vidscribe.listings.ledger import ListingLedger
from vidscribe.listings.runs import ListingOptions, take
from vidscribe.listings.source import Account as ListingAccount
from vidscribe.listings.source import Listing, _add_entry, list_url, listing_id
from vidscribe.media.ids import url_hash
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store


def test_a_feed_is_listed_and_only_new_entries_are_fetched_the_next_time(site, data_root):
    site.publish(0, "Mon, 02 Nov 2026 10:00:00 GMT")
    site.publish(1, "Tue, 03 Nov 2026 10:00:00 GMT")
    first = run([site.feed_url], data_root)
    assert first.exit_code == 0, first.output
    lid = listing_id(site.feed_url)
    assert f"listing {lid} {site.feed_url}: 2 entries, 2 taken" in first.stderr
    assert ids(first) == [f"url-{url_hash(site.server.url(site.clip_path(n)))}" for n in (0, 1)]
    store = Store(data_root)
    for video_id in ids(first):
        video = store.load(video_id).video
        assert video.channel_url == site.feed_url  # the feed's direct links name no account: the listing's
        assert video.uploader is None  # the feed names none either: nothing guessed from its title
    fetched = [site.fetches(n) for n in (0, 1)]

    site.publish(2)
    second = run([site.feed_url], data_root)
    assert second.exit_code == 0, second.output
    assert ids(second) == [f"url-{url_hash(site.server.url(site.clip_path(2)))}"]
    assert [site.fetches(n) for n in (0, 1)] == fetched  # not even looked at again
    assert "3 entries, 1 taken, 2 skipped (2 already in the store)" in second.stderr

    ledger = ListingLedger(data_root)
    record = ledger.read(lid)
    assert record["url"] == site.feed_url and record["title"] == 'Recruiter <b>& "Co"'
    assert record["last_status"] == "ok" and set(record["entries"]) == {*ids(first), *ids(second)}
    assert record["entries"][ids(first)[0]]["upload_date"] == "2026-11-02"
    runs = ledger.runs(lid)
    assert [r["by"] for r in runs] == ["process", "process"]
    assert runs[1]["returned"] == [*ids(first), *ids(second)] and runs[1]["taken"] == ids(second)
    assert runs[1]["skipped"] == {key: STORED for key in ids(first)}


def test_a_page_embedding_several_videos_is_listed(site, data_root):
    for n in range(3):
        site.publish(n)
    result = run([site.page_url], data_root)
    assert result.exit_code == 0, result.output
    # The same videos (and IDs) as the direct links would give.
    assert ids(result) == [f"url-{url_hash(site.server.url(site.clip_path(n)))}" for n in range(3)]
    assert "3 sources: 3 done, 0 failed" in result.stderr


def test_date_range_and_limit(site, data_root):
    site.publish(0, "Sun, 01 Nov 2026 10:00:00 GMT")
    site.publish(1, "Tue, 03 Nov 2026 23:30:00 GMT")
    site.publish(2)  # no date
    site.publish(3, "Thu, 05 Nov 2026 10:00:00 GMT")
    result = run(["--since", "2026-11-02", "--until", "20261104", "--max-entries", "3", site.feed_url], data_root)
    assert result.exit_code == 0, result.output
    assert ids(result) == [f"url-{url_hash(site.server.url(site.clip_path(n)))}" for n in (1, 2)]
    assert "1 taken without a known upload date" in result.stderr
    run_record = ListingLedger(data_root).runs(listing_id(site.feed_url))[0]
    assert len(run_record["returned"]) == 3  # --max-entries bounds what is read of the listing
    assert list(run_record["skipped"].values()) == [BEFORE]
    assert run_record["options"] == {"max_entries": 3, "since": "2026-11-02", "until": "20261104",
                                     "skip_stored": True}
    assert OVER_LIMIT not in run_record["skipped"].values()


def test_a_single_video_url_is_not_a_listing(site, data_root, clips):
    url = site.server.add("one/clip.mp4", clips["small"])
    result = run([url], data_root)
    assert result.exit_code == 0, result.output
    assert not (data_root / "listings").exists()
    assert site.server.requests["/one/clip.mp4"] == 2  # as before: yt-dlp's look and the download


def test_a_listing_on_a_private_address_is_refused_without_a_request(site, data_root):
    site.publish(0)
    result = run([site.feed_url], data_root, private=False)
    assert result.exit_code == 1
    assert "refused: 127.0.0.1 is a private, loopback or link-local address" in result.stderr
    assert site.server.requests["/account/feed.xml"] == 0 and not (data_root / "listings").exists()


def test_entries_on_private_addresses_or_local_files_are_refused():
    listing = Listing("https://example.com/feed", None, None, ListingAccount())
    public = Settings(allow_private_urls=False)
    _add_entry(listing, {"_type": "url", "url": "http://127.0.0.1:9/clip.mp4"}, public)
    _add_entry(listing, {"_type": "url", "url": "file:///etc/passwd"}, public)
    _add_entry(listing, {"_type": "url", "url": "file:///etc/passwd"}, Settings(allow_private_urls=True))
    assert not listing.entries
    assert "private" in listing.refused["http://127.0.0.1:9/clip.mp4"]
    assert listing.refused["file:///etc/passwd"] == "refused: not an http(s) URL"


def test_a_failing_listing_is_recorded_with_its_reason_and_keeps_what_it_found(site, data_root):
    settings = Settings(data=data_root, allow_private_urls=True)
    store = Store(data_root)
    site.publish(0)
    assert take(site.feed_url, settings, store, "watch", ListingOptions()) is not None
    (site.server.root / "account" / "feed.xml").unlink()  # the account is gone: HTTP 404
    try:
        take(site.feed_url, settings, store, "watch", ListingOptions())
        raise AssertionError("a listing that is gone must fail")
    except VidscribeError as e:
        assert "HTTP 404 Not Found" in str(e)
    ledger = ListingLedger(data_root)
    lid = listing_id(site.feed_url)
    failed = ledger.runs(lid)[-1]
    assert failed["status"] == "failed" and failed["error"] == "HTTP 404 Not Found" and failed["permanent"]
    record = ledger.read(lid)
    assert record["last_status"] == "failed" and record["last_error"] == "HTTP 404 Not Found"
    assert len(record["entries"]) == 1 and record["last_ok_at"] <= record["last_run_at"]


def test_the_listing_file_is_json_with_no_credentials(site, data_root):
    site.publish(0)
    url = site.feed_url.replace("http://", "http://user:secret@")
    listing = list_url(url, Settings(allow_private_urls=True), 0)
    assert listing is not None and listing.listing_id == listing_id(site.feed_url)
    take(url, Settings(data=data_root, allow_private_urls=True), Store(data_root), "process", ListingOptions())
    text = "".join(p.read_text() for p in (data_root / "listings").rglob("*.json"))
    assert "secret" not in text
    json.loads((data_root / "listings" / listing.listing_id / "listing.json").read_text())


def test_generic_urls_that_are_one_video_or_nothing_go_the_single_video_way(site, data_root, clips):
    clip = site.server.add("one/clip.mp4", clips["small"])
    one = site.server.add("one/page.html", f'<html><head><title>t</title></head><body><video src="{clip}"></video>'
                                           "</body></html>")
    short = site.server.url(f"redirect/302?to={clip}")  # a short link: no pattern, no extension
    gone = site.server.url("status/404")
    result = run([one, short, gone], data_root)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith("url-")  # each as before: one video per source
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {gone}: HTTP 404 Not Found"]
    assert "3 sources: 2 done, 1 failed" in result.stderr
    assert not (data_root / "listings").exists()


def test_the_listing_account_outlives_a_forced_fetch_of_the_video_itself(site, data_root):
    site.publish(0)
    listed = run([site.feed_url], data_root)
    (video_id,) = ids(listed)
    again = run([site.server.url(site.clip_path(0)), "--force"], data_root)  # the direct link, fetched anew
    assert again.exit_code == 0 and ids(again) == [video_id], again.output
    assert Store(data_root).load(video_id).video.channel_url == site.feed_url  # not lost with the new metadata
