"""Credentials in URLs are for the request only; author text never drives the terminal."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.cli import cli
from vidscribe.redact import redact_text, redact_url
from vidscribe.transcripts.model import StageRecord, Transcript, VideoMeta
from vidscribe.transcripts.store import Store

PASSWORD, TOKEN = "s3cretpw", "tok3nvalue"


def _everything_written(data_root: Path) -> bytes:
    return b"\n".join(p.read_bytes() for p in data_root.rglob("*") if p.is_file() and p.suffix != ".wav"
                      and p.name != "source.mp4")


def test_credentials_in_a_url_are_never_stored_or_printed(clips, http_server, data_root):
    url = http_server.add("clips/small.mp4", clips["small"])
    secret_url = url.replace("http://", f"http://user:{PASSWORD}@") + f"?token={TOKEN}&x=1"
    runner = CliRunner()
    result = runner.invoke(cli, ["process", "--data", str(data_root), "--stage", "media", "--allow-private-urls",
                                 secret_url])
    assert result.exit_code == 0, result.output
    video_id = result.stdout.split("\t")[0]
    outputs = [result.output]
    outputs.append(runner.invoke(cli, ["status", "--data", str(data_root), video_id]).output)
    outputs.append(runner.invoke(cli, ["export", "--data", str(data_root), "--transcripts"]).output)
    outputs.append(runner.invoke(cli, ["show", "--data", str(data_root), video_id, "--format", "md",
                                       "--track", "aligned"]).output)
    stored = _everything_written(data_root).decode("utf-8", "replace")
    for text in [*outputs, stored]:
        assert PASSWORD not in text and TOKEN not in text
    source = Store(data_root).load(video_id).video.source
    assert source == url + "?token=REDACTED&x=1"


def test_an_error_about_a_credentialed_url_does_not_print_the_password(http_server, data_root):
    url = http_server.url("status/404").replace("http://", f"http://user:{PASSWORD}@")
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", "--allow-private-urls",
                                      url])
    assert result.exit_code == 1 and PASSWORD not in result.output
    assert PASSWORD.encode() not in _everything_written(data_root) if data_root.exists() else True


@given(user=st.text("abcdef:%", min_size=0, max_size=8), password=st.text("xyz%!$", min_size=1, max_size=8),
       path=st.text("abc/._-", max_size=10))
def test_redact_url_keeps_the_address_and_drops_the_userinfo(user, password, path):
    url = f"https://{user}:{password}@example.com:8443/{path}?sig={password}&q=1"
    clean = redact_url(url)
    assert clean == f"https://example.com:8443/{path}?sig=REDACTED&q=1"
    assert redact_text(f"fetching {url} failed") == f"fetching {clean} failed"


HOSTILE_TITLE = "\x1b[31mred\x1b[0m\nfake line\u202eexe.gnp\x07"


def test_status_shows_author_text_without_obeying_it(data_root):
    store = Store(data_root)
    store.save(Transcript(video=VideoMeta(id="douyin-1", source="https://www.douyin.com/video/1", title=HOSTILE_TITLE,
                                          uploader="up\rloader"),
                          stages={"media": StageRecord("failed", error="bad\x1b]0;pwned\x07 thing")}))
    for args in (["status", "douyin-1"], ["status"]):
        out = CliRunner().invoke(cli, [*args, "--data", str(data_root), "--redis-url", "redis://127.0.0.1:1/0"]).output
        assert "\x1b" not in out and "\u202e" not in out and "\x07" not in out and "\r" not in out
        assert "fake line" not in out.splitlines()[0] or args == ["status"]
    detail = CliRunner().invoke(cli, ["status", "--data", str(data_root), "douyin-1"]).output
    title_line = next(line for line in detail.splitlines() if "title:" in line)
    assert "red" in title_line and "fake line" in title_line and "<U+202E>" in title_line


def test_a_path_with_a_newline_is_one_line(clips, tmp_path, data_root):
    odd = tmp_path / "two\nlines.mp4"
    shutil.copyfile(clips["text"], odd)
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", str(odd)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "two<U+000A>lines.mp4" in errors[0]
    assert not any(line == "lines.mp4" or line.startswith("lines.mp4") for line in result.stderr.splitlines())
