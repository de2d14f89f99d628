"""`vidscribe enqueue` lines: a local file's absolute path and content-hash ID; refusals said once."""

from __future__ import annotations

import hashlib
import shutil

from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.media.ids import video_id_from_content


def test_local_file_is_queued_by_absolute_path_and_content_id(clips, redis_url, data_root, tmp_path, monkeypatch):
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copyfile(clips["small"], folder / "clip.mp4")
    monkeypatch.chdir(folder)
    env = {"VIDSCRIBE_REDIS_URL": redis_url, "VIDSCRIBE_DATA": str(data_root)}
    expected = video_id_from_content(hashlib.sha256(clips["small"].read_bytes()).hexdigest())

    first = CliRunner().invoke(cli, ["enqueue", "clip.mp4"], env=env)
    assert first.exit_code == 0, first.output
    assert first.stdout == f"{folder / 'clip.mp4'}\t{expected}\tqueued\n"
    again = CliRunner().invoke(cli, ["enqueue", "./clip.mp4"], env=env)
    assert again.stdout == f"{folder / 'clip.mp4'}\t{expected}\trefused: already queued\n"


def test_refusal_reason_is_said_once(redis_url, data_root):
    env = {"VIDSCRIBE_REDIS_URL": redis_url, "VIDSCRIBE_DATA": str(data_root), "VIDSCRIBE_ALLOW_PRIVATE_URLS": "0"}
    result = CliRunner().invoke(cli, ["enqueue", "http://127.0.0.1:9/clip.mp4"], env=env)
    assert result.exit_code == 1
    source, video_id, what = result.stdout.rstrip("\n").split("\t")
    assert what.startswith("refused: 127.0.0.1 is") and what.count("refused") == 1
