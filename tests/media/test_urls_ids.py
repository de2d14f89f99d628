"""Pure logic of the media stage: source classification, address policy, IDs, probe parsing, errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.errors import SourceError, TransientError
from vidscribe.media.ids import video_id_from_content, video_id_from_info
from vidscribe.media.probe import parse_probe
from vidscribe.media.urls import check_host, classify
from vidscribe.media.ytdl import classify_download_error
from vidscribe.transcripts.store import VIDEO_ID_RE


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "192.168.0.10", "172.16.5.4",
                                  "169.254.169.254", "[::1]", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1",
                                  "fe80::1", "224.0.0.1"])
def test_non_public_hosts_are_refused(host):
    with pytest.raises(SourceError, match="private, loopback or link-local"):
        check_host(host, allow_private=False, source=f"http://{host}/v.mp4")
    check_host(host, allow_private=True, source="x")  # and allowed when the setting says so


def test_public_literal_address_passes():
    check_host("8.8.8.8", allow_private=False, source="x")


def test_classify():
    assert classify("https://www.douyin.com/video/1", allow_private=True).url
    assert classify("/tmp/a.mp4", allow_private=False).path is not None
    assert classify("clip.mp4", allow_private=False).path is not None
    with pytest.raises(SourceError, match="file://"):
        classify("file:///etc/passwd", allow_private=False)
    assert str(classify("file:///tmp/a%20b.mp4", allow_private=True).path) == "/tmp/a b.mp4"
    with pytest.raises(SourceError, match="unsupported URL scheme"):
        classify("rtmp://example.com/live", allow_private=False)
    with pytest.raises(SourceError, match="empty source"):
        classify("   ", allow_private=False)


def test_platform_ids_are_stable_and_safe():
    assert video_id_from_info("Douyin", "7312345678901234567", "https://www.douyin.com/video/7312345678901234567") \
        == "douyin-7312345678901234567"
    assert video_id_from_info("TikTok", "../../etc/passwd", "u") == "tiktok-etc_passwd"
    assert video_id_from_info("BiliBili", "BV1xx411c7mD_p1", "u") == "bilibili-BV1xx411c7mD_p1"


def test_generic_links_hash_the_url():
    a = video_id_from_info("Generic", "video", "https://cdn-a.example/x/video.mp4")
    b = video_id_from_info("Generic", "video", "https://cdn-b.example/y/video.mp4")
    assert a != b and a.startswith("url-") and b.startswith("url-")
    assert a == video_id_from_info("Generic", "video", "https://cdn-a.example/x/video.mp4")
    assert video_id_from_info(None, None, "https://e.example/v").startswith("url-")
    # a page's own <video>: yt-dlp names it after the page's file name, the same on every site
    one = video_id_from_info("HTML5MediaEmbed", "page-1", "https://a.example/page.html")
    other = video_id_from_info("HTML5MediaEmbed", "page-1", "https://b.example/page.html")
    assert one != other and one.startswith("url-") and other.startswith("url-")


@given(st.text(), st.text(), st.text())
def test_any_id_is_path_safe(extractor, ident, url):
    video_id = video_id_from_info(extractor, ident, url)
    assert VIDEO_ID_RE.match(video_id), video_id
    assert len(video_id) <= 96


def test_content_id():
    assert video_id_from_content("ab" * 32) == "file-" + "ab" * 8


def test_parse_probe_audio_cover_art_is_not_video():
    data = {"format": {"duration": "12.5", "format_name": "mp3"},
            "streams": [{"codec_type": "audio", "codec_name": "mp3"},
                        {"codec_type": "video", "codec_name": "mjpeg", "width": 300, "height": 300,
                         "disposition": {"attached_pic": 1}}]}
    info = parse_probe(data)
    assert (info.has_audio, info.has_video, info.duration) == (True, False, 12.5)


def test_parse_probe_video():
    data = {"format": {"duration": "N/A"},
            "streams": [{"codec_type": "video", "width": 720, "height": 1280, "avg_frame_rate": "30000/1001",
                         "duration": "9.9"}]}
    info = parse_probe(data)
    assert (info.width, info.height, info.fps, info.duration, info.has_audio) == (720, 1280, 29.97, 9.9, False)


@pytest.mark.parametrize(("message", "kind", "needle"), [
    ("ERROR: [Douyin] 7312345: Fresh cookies (not necessarily logged in) are needed", SourceError, "cookies"),
    ("ERROR: Unsupported URL: https://example.com/page", SourceError, "unsupported URL"),
    ("ERROR: [generic] Unable to download webpage: HTTP Error 404: File not found (caused by <HTTPError 404: "
     "File not found>)", SourceError, "x.example/v: HTTP 404 Not Found"),
    ("No connection adapters were found for 'file:///etc/passwd'", SourceError, "redirected to a file:// URL"),
    ("ERROR: [generic] Unable to download webpage: HTTP Error 503: Service Unavailable", TransientError,
     "HTTP 503"),
    ("ERROR: [TikTok] 123: Unable to download webpage: The read operation timed out", TransientError,
     "network error"),
    ("ERROR: [youtube] abc: Private video. Sign in if you've been granted access", SourceError,
     "not available"),
])
def test_download_errors_are_classified(message, kind, needle):
    error = classify_download_error(message, "https://x.example/v")
    assert type(error) is kind
    assert needle in str(error)
    assert "\n" not in str(error) and str(error).startswith("https://x.example/v: ")


def test_malformed_url_is_a_source_error():
    with pytest.raises(SourceError, match="malformed URL"):
        classify("http://[::1", allow_private=False)


def test_stored_info_keeps_no_cookies():
    from vidscribe.media.ytdl import public_info

    info = {"title": "t", "cookies": "sessionid=1", "http_headers": {"Cookie": "x"},
            "formats": [{"url": "u", "cookies": "sessionid=1", "http_headers": {}}],
            "requested_formats": [{"url": "u", "cookies": "sessionid=1"}]}
    clean = public_info(info)
    assert "sessionid" not in repr(clean) and clean["title"] == "t" and clean["formats"][0]["url"] == "u"
