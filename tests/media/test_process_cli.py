"""`vidscribe process` end to end through the real yt-dlp, ffprobe and ffmpeg, in-process (CliRunner)."""

from __future__ import annotations

import hashlib
import json
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.transcripts.formats import read_transcript


def run(args: list[str], data: Path, private: bool = True):
    """Invoke the CLI for the media stage only, so these tests depend on no model."""
    base = ["process", "--data", str(data), "--stage", "media"]
    if private:
        base.append("--allow-private-urls")
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def one_line_error(result, *needles: str) -> str:
    assert result.exit_code != 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle.lower() in errors[0].lower(), errors[0]
    return errors[0]


def test_url_happy_path_writes_media_metadata_audio_and_transcript(clips, http_server, data_root):
    url = http_server.add("clips/small.mp4", clips["small"])
    result = run([url], data_root)
    assert result.exit_code == 0, result.output
    video_id, folder = result.stdout.strip().split("\t")
    assert video_id.startswith("url-")
    assert Path(folder) == data_root / "transcripts" / video_id

    transcript = read_transcript(Path(folder) / "transcript.json")
    video = transcript.video
    assert video.source == url
    assert video.duration == pytest.approx(4.0, abs=0.1)
    assert (video.width, video.height, video.fps) == (320, 568, 25.0)
    assert video.sha256 == hashlib.sha256(clips["small"].read_bytes()).hexdigest()
    assert video.has_audio and video.has_video
    assert transcript.stages["media"].status == "done"
    assert set(transcript.stages) == {"media"}

    media = data_root / "media" / video_id
    assert json.loads((media / "info.json").read_text())["webpage_url"] == url
    assert (media / "source.mp4").read_bytes() == clips["small"].read_bytes()
    with wave.open(str(media / "audio.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        assert w.getnframes() / 16000 == pytest.approx(4.0, abs=0.1)
    assert not [p for p in media.iterdir() if p.name.startswith(".")], "no partial files left behind"


def test_same_url_is_not_downloaded_twice_and_ids_do_not_collide(clips, http_server, data_root):
    a = http_server.add("a/video.mp4", clips["small"])
    b = http_server.add("b/video.mp4", clips["silent"])
    first = run([a], data_root)
    again = run([a], data_root)
    other = run([b], data_root)
    assert first.exit_code == again.exit_code == other.exit_code == 0
    id_a, id_again, id_b = (r.stdout.split("\t")[0] for r in (first, again, other))
    assert id_a == id_again
    assert id_a != id_b, "two .../video.mp4 links must not collide"
    # yt-dlp's generic extractor looks at the URL again, but the media body is fetched once (the
    # ranged reads are the limits' look at the first bytes and the moov, before the one download).
    assert http_server.requests["/a/video.mp4"] <= 3
    assert http_server.ranged["/a/video.mp4"] <= 4
    downloads = first, again
    assert sum("downloading" in r.stderr for r in downloads) <= 1


def test_local_file_id_is_a_content_hash(clips, tmp_path, data_root):
    copy = tmp_path / "renamed.mp4"
    copy.write_bytes(clips["small"].read_bytes())
    ids = [run([str(p)], data_root).stdout.split("\t")[0] for p in (clips["small"], copy)]
    assert ids[0] == ids[1]
    assert ids[0].startswith("file-")


def test_video_without_audio_is_recorded_not_failed(clips, data_root):
    result = run([str(clips["silent"])], data_root)
    assert result.exit_code == 0, result.output
    video_id = result.stdout.split("\t")[0]
    transcript = read_transcript(data_root / "transcripts" / video_id / "transcript.json")
    assert transcript.video.has_audio is False
    assert transcript.stages["media"].error == "no audio stream"
    assert not (data_root / "media" / video_id / "audio.wav").exists()


@pytest.mark.parametrize(
    ("name", "needles"),
    [
        ("empty", ["empty file"]),
        ("corrupt", ["not a readable media file"]),
        ("text", ["not a readable media file"]),
    ],
)
def test_bad_local_files(clips, data_root, name, needles):
    result = run([str(clips[name])], data_root)
    one_line_error(result, str(clips[name]), *needles)
    assert not list((data_root / "media").glob("*/source.*")), "unusable media must not be kept"


def test_missing_local_file(data_root, tmp_path):
    one_line_error(run([str(tmp_path / "nope.mp4")], data_root), "nope.mp4", "no such file")


def test_http_404(http_server, data_root):
    url = http_server.url("status/404")
    one_line_error(run([url], data_root), url, "404")


def test_page_that_is_not_a_video(http_server, data_root):
    url = http_server.add("page.html", "<html><head><title>hi</title></head><body>no video</body></html>")
    one_line_error(run([url], data_root), url, "unsupported url")


def test_text_served_as_video(clips, http_server, data_root):
    url = http_server.add("fake/clip.mp4", clips["text"])
    line = one_line_error(run([url], data_root), url)
    assert "not a readable media file" in line or "unsupported url" in line.lower()


def test_too_long_is_refused(clips, http_server, data_root):
    url = http_server.add("long.mp4", clips["long"])
    one_line_error(run(["--max-duration", "5", url], data_root), url, "too long", "12 s")
    assert not list((data_root / "media").glob("*/source.*"))


def test_too_large_is_refused(clips, http_server, data_root):
    url = http_server.add("small.mp4", clips["small"])
    one_line_error(run(["--max-filesize", "10K", url], data_root), url, "too large")
    one_line_error(run(["--max-filesize", "10K", str(clips["small"])], data_root), "too large")
    assert not list((data_root / "media").glob("*/source.*"))


def test_private_address_and_file_urls_are_refused_by_default(clips, http_server, data_root):
    url = http_server.add("small.mp4", clips["small"])
    one_line_error(run([url], data_root, private=False), url, "private", "VIDSCRIBE_ALLOW_PRIVATE_URLS")
    file_url = "file://" + str(clips["small"])
    one_line_error(run([file_url], data_root, private=False), file_url, "file://")
    assert http_server.requests["/small.mp4"] == http_server.ranged["/small.mp4"] == 0


def test_unsupported_scheme(data_root):
    one_line_error(run(["ftp://example.com/a.mp4"], data_root), "ftp://", "unsupported URL scheme")


def test_missing_ffmpeg_is_one_line(clips, data_root, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    one_line_error(run([str(clips["small"])], data_root), "ffprobe not found", "apt-get install ffmpeg")


def test_one_bad_source_does_not_stop_the_others(clips, data_root, tmp_path):
    result = run([str(tmp_path / "missing.mp4"), str(clips["small"])], data_root)
    assert result.exit_code == 1
    assert result.stdout.count("\t") == 1  # the good one still produced its folder


def test_debug_shows_a_traceback(data_root, tmp_path):
    result = CliRunner().invoke(cli, ["--debug", "process", "--data", str(data_root),
                                      str(tmp_path / "missing.mp4")])
    assert result.exit_code == 1
    assert "Traceback" in result.stderr


def test_help_is_complete():
    runner = CliRunner()
    top = runner.invoke(cli, ["--help"])
    assert top.exit_code == 0 and "process" in top.output
    result = runner.invoke(cli, ["process", "--help"])
    assert result.exit_code == 0
    for option in ("--data", "--max-duration", "--max-filesize", "--cookies", "--proxy",
                   "--allow-private-urls", "--socket-timeout", "--retries", "VIDSCRIBE_DATA"):
        assert option in result.output


def test_yt_dlp_own_connections_are_guarded(clips, http_server, data_root, monkeypatch):
    """A host that passed the up-front check but leads to a private address later (a redirect, DNS
    answering differently) is refused when yt-dlp itself resolves it."""
    from vidscribe.media import urls, ytdl

    monkeypatch.setattr(urls, "check_host", lambda *args, **kwargs: None)  # let the URL past the pre-check
    monkeypatch.setattr(ytdl, "check_host", lambda *args, **kwargs: None)
    url = http_server.add("guarded.mp4", clips["small"])
    one_line_error(run([url], data_root, private=False), url, "refused", "redirect or DNS")
    assert http_server.requests["/guarded.mp4"] == http_server.ranged["/guarded.mp4"] == 0


def test_a_bad_forced_redownload_keeps_the_good_media(clips, http_server, data_root):
    url = http_server.add("changing.mp4", clips["small"])
    first = run([url], data_root)
    video_id = first.stdout.split("\t")[0]
    media = data_root / "media" / video_id
    good = (media / "source.mp4").read_bytes()
    http_server.add("changing.mp4", clips["corrupt"])  # the server now serves garbage
    one_line_error(run(["--force", url], data_root), url, "not a readable media file")
    assert (media / "source.mp4").read_bytes() == good
    assert (media / "audio.wav").is_file() and (media / "info.json").is_file()
    assert read_transcript(data_root / "transcripts" / video_id / "transcript.json").video.sha256 == \
        hashlib.sha256(good).hexdigest()


def test_from_file_comments(clips, data_root, tmp_path):
    from vidscribe.cli import source_lines

    assert source_lines(["# a list\n", "clip.mp4  # the one from Tuesday\n", "\n", "https://x/#/video/1\n",
                         "  b.mp4\t# tab before the comment\n", "c#1.mp4\n"]) == \
        ["clip.mp4", "https://x/#/video/1", "b.mp4", "c#1.mp4"]
    listing = tmp_path / "sources.txt"
    listing.write_text(f"# clips to read\n{clips['small']}  # a note about it\n", encoding="utf-8")
    result = run(["--from-file", str(listing)], data_root)
    assert result.exit_code == 0, result.output
    assert result.stdout.split("\t")[0].startswith("file-")


def test_stage_help_names_the_stages():
    from vidscribe import pipeline

    text = " ".join(CliRunner().invoke(cli, ["process", "--help"]).output.split())
    assert ", ".join([pipeline.MEDIA_STAGE, *pipeline.stage_names()]) in text


@pytest.mark.parametrize("option", [["--phone-regions", "RU,XX"], ["--asr-temperatures", "0,hot"],
                                    ["--lexicons", "/no/such/lexicon.txt"]])
def test_bad_list_settings_fail_before_any_work(clips, data_root, option):
    result = run([*option, str(clips["small"])], data_root)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1].startswith("Error: --" + option[0][2:])
    assert not (data_root / "media").exists() or not list((data_root / "media").iterdir())
