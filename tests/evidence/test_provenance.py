"""Provenance recorded by the media stage (real yt-dlp over 127.0.0.1, real ffmpeg) and by each stage."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe import __version__, pipeline
from vidscribe.cli import cli
from vidscribe.evidence.provenance import kept_headers, output_hashes, stage_tools
from vidscribe.settings import Settings
from vidscribe.transcripts.formats import read_transcript
from vidscribe.transcripts.model import Transcript
from vidscribe.transcripts.store import Store


def media_only(source: str, data: Path) -> Path:
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", "--allow-private-urls",
                                      source], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().split("\t")[1]) / "transcript.json"


def parse_utc(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    assert value.utcoffset() == dt.timedelta(0), text
    return value


def test_local_file_records_path_size_mtime_and_hash(clips, data_root):
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    transcript = read_transcript(media_only(str(clips["small"]), data_root))
    origin = transcript.provenance
    data = clips["small"].read_bytes()
    assert origin is not None and origin.kind == "file"
    assert origin.source == str(clips["small"]) and origin.path == str(clips["small"].absolute())
    assert origin.size == len(data)
    assert origin.media_sha256 == hashlib.sha256(data).hexdigest() == transcript.video.sha256
    assert parse_utc(origin.mtime).timestamp() == pytest.approx(clips["small"].stat().st_mtime, abs=1e-3)
    assert parse_utc(origin.retrieved_at) >= before
    assert origin.http == [] and origin.final_url is None and origin.vidscribe_version == __version__
    tools = transcript.stages["media"].tools
    assert tools["vidscribe"] == __version__ and tools["ffmpeg"]  # the ffmpeg that probed and extracted


def test_url_through_a_redirect_records_final_url_status_and_headers(clips, http_server, data_root):
    direct = http_server.add("clips/small.mp4", clips["small"])
    given = http_server.url(f"redirect/302?to={direct}")
    transcript = read_transcript(media_only(given, data_root))
    origin = transcript.provenance
    size = clips["small"].stat().st_size
    assert origin is not None and origin.kind == "url"
    assert origin.source == given and origin.final_url == direct != given
    assert origin.webpage_url == direct
    assert origin.extractor == "Generic" and origin.extractor_id == "small"
    import yt_dlp.version

    assert origin.yt_dlp_version == yt_dlp.version.__version__
    assert origin.media_sha256 == transcript.video.sha256 and origin.size == size
    (response,) = origin.http
    assert response.status == 200 and response.final_url == direct
    assert response.headers["Content-Type"] == "video/mp4"
    assert response.headers["Content-Length"] == str(size)
    assert response.headers["Server"].startswith("SimpleHTTP") and "Date" in response.headers
    assert transcript.stages["media"].tools["yt-dlp"] == yt_dlp.version.__version__
    report = (data_root / "transcripts" / transcript.video.id / "transcript.md").read_text(encoding="utf-8")
    assert f"- **Retrieved:** {origin.retrieved_at} from <{direct}> (HTTP 200)" in report


def test_url_credentials_are_redacted_everywhere_in_provenance(clips, http_server, data_root):
    direct = http_server.add("clips/small.mp4", clips["small"])
    secret = direct.replace("http://", "http://alice:hunter2@") + "?token=s3cr3t&keep=1"
    path = media_only(secret, data_root)
    text = path.read_text(encoding="utf-8")
    assert "hunter2" not in text and "s3cr3t" not in text
    origin = read_transcript(path).provenance
    assert origin.source == direct + "?token=REDACTED&keep=1"
    assert all("s3cr3t" not in r.url + r.final_url for r in origin.http) and origin.http


def test_provenance_survives_a_run_that_finds_the_media_stored(clips, http_server, data_root):
    url = http_server.add("clips/small.mp4", clips["small"])
    path = media_only(url, data_root)
    store = Store(data_root)
    first = read_transcript(path)
    first.provenance.retrieved_at = "2020-01-01T00:00:00+00:00"  # marks the record as the first run's
    store.save(first)
    again = read_transcript(media_only(url, data_root)).provenance
    assert http_server.requests["/clips/small.mp4"] <= 3  # yt-dlp's look per run, one download
    assert again == first.provenance


def test_kept_headers_never_include_cookies_or_credentials():
    headers = {"Content-Type": "video/mp4", "Set-Cookie": "sid=1", "Cookie": "a=b", "Authorization": "Bearer x",
               "ETag": '"abc"', "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT", "X-Amz-Security-Token": "t",
               "Proxy-Authorization": "Basic y", "WWW-Authenticate": "Basic"}
    assert kept_headers(headers) == {"Content-Type": "video/mp4", "ETag": '"abc"',
                                     "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT"}


def test_stage_tools_name_the_libraries_and_the_model():
    from vidscribe.transcripts.model import Speech, Subtitles

    speech = stage_tools("speech", {"speech": Speech(language="ru", model="small", model_sha256="ab" * 32)})
    assert speech["faster-whisper"] and speech["ctranslate2"] and speech["vidscribe"] == __version__
    assert speech["speech.model"] == "small" and speech["speech.model_sha256"] == "ab" * 32
    ocr = stage_tools("subtitles", {"subtitles": Subtitles(engine="rapidocr", models=["det-v4", "rec-v4"])})
    assert ocr["rapidocr_onnxruntime"] and ocr["onnxruntime"] and ocr["subtitles.models"] == "det-v4,rec-v4"
    assert stage_tools("a-stage-added-later") == {"vidscribe": __version__}
    assert output_hashes({"a.jpg": b"x", "b.srt": "y"}, ["a.jpg"]) == {"a.jpg": hashlib.sha256(b"x").hexdigest()}


def test_every_stage_names_its_libraries():
    """A stage added without a row in STAGE_LIBRARIES would record no library versions."""
    from vidscribe.evidence.provenance import STAGE_LIBRARIES
    from vidscribe.stage import MEDIA_STAGE, STAGE_MODULES

    assert set(STAGE_LIBRARIES) == {MEDIA_STAGE, *STAGE_MODULES}
    assert stage_tools("fingerprint")["pdqhash"]


def test_a_stage_run_records_its_tools_and_the_hashes_of_its_files(clips, data_root):
    store = Store(data_root)
    video_id = read_transcript(media_only(str(clips["small"]), data_root)).video.id
    record = pipeline.run_stage("subtitles", video_id, Settings.load(data=data_root), store)
    assert record.status == "done" and record.outputs, record
    folder = store.transcript_dir(video_id)
    assert set(record.sha256) == set(record.outputs)
    for name, sha in record.sha256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == sha, name
    assert record.tools["subtitles.engine"] == "rapidocr" and record.tools["av"]


def test_transcripts_made_before_provenance_still_load(clips, data_root):
    data = json.loads(media_only(str(clips["small"]), data_root).read_text())
    del data["provenance"]
    for stage in data["stages"].values():
        del stage["tools"], stage["sha256"]
    old = Transcript.from_dict(data)
    assert old.provenance is None and old.stages["media"].tools == {} and old.stages["media"].sha256 == {}
