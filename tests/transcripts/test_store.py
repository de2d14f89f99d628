"""Transcript model round trip, atomic writes (also under SIGKILL), and the store's path safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vidscribe.atomic import atomic_open, atomic_write
from vidscribe.errors import SourceError, VidscribeError
from vidscribe.transcripts.model import (
    AlignedLine,
    Cue,
    Segment,
    Speech,
    StageRecord,
    Subtitles,
    Transcript,
    VideoMeta,
    Word,
)
from vidscribe.transcripts.store import Store


def sample_transcript(video_id: str = "douyin-1") -> Transcript:
    return Transcript(
        video=VideoMeta(id=video_id, source="https://www.douyin.com/video/1", title="标题", duration=8.0),
        stages={"media": StageRecord("done", 0.5, "1")},
        speech=Speech("ru", [Segment(0.0, 1.0, " привет", [Word(0.0, 1.0, " привет", 0.9)])]),
        subtitles=Subtitles([Cue(0.5, 2.0, "加入俄罗斯军队", 0.98, box=[1, 2, 3, 4])]),
        aligned=[AlignedLine(0.0, 2.0, "加入俄罗斯军队", "привет", [0], [0])],
    )


def test_round_trip_and_contract_keys():
    t = sample_transcript()
    data = json.loads(json.dumps(t.to_dict(), ensure_ascii=False))
    assert list(data)[0] == "schema_version"
    assert {"schema_version", "video", "stages", "speech", "subtitles", "aligned"} <= set(data)
    assert set(data["stages"]["media"]) >= {"status", "seconds", "version", "error"}
    assert set(data["speech"]["segments"][0]["words"][0]) >= {"start", "end", "text", "probability"}
    assert Transcript.from_dict(data) == t


def test_newer_schema_is_refused_and_unknown_keys_ignored():
    data = sample_transcript().to_dict()
    data["video"]["future_field"] = 1
    assert Transcript.from_dict(data).video.id == "douyin-1"
    data["schema_version"] = 999
    with pytest.raises(ValueError, match="schema_version"):
        Transcript.from_dict(data)


@given(st.floats(allow_nan=False, allow_infinity=False), st.text(), st.integers(0, 5))
def test_round_trip_property(start, text, n):
    t = sample_transcript()
    t.speech.segments = [Segment(start, start, text) for _ in range(n)]
    assert Transcript.from_dict(json.loads(json.dumps(t.to_dict()))) == t


def test_interrupted_writer_leaves_old_file(tmp_path):
    path = tmp_path / "transcript.json"
    atomic_write(path, "old")
    with pytest.raises(RuntimeError), atomic_open(path) as f:
        f.write(b"half of the new")
        raise RuntimeError("crash mid-write")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["transcript.json"]


def test_killed_writer_leaves_old_file(tmp_path):
    path = tmp_path / "transcript.json"
    atomic_write(path, "old")
    script = textwrap.dedent(f"""
        import os, signal
        from vidscribe.atomic import atomic_open
        with atomic_open({str(path)!r}) as f:
            f.write(b"x" * 100000)
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([sys.executable, "-c", script], timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == ["transcript.json"]


def test_store_save_load_and_ids(tmp_path):
    store = Store(tmp_path)
    t = sample_transcript()
    store.save(t)
    assert store.load("douyin-1") == t
    assert store.video_ids() == ["douyin-1"]
    for bad in ("../x", "a/b", "", ".hidden", "x" * 200):
        with pytest.raises(SourceError):
            store.transcript_dir(bad)
    with pytest.raises(VidscribeError, match="no transcript"):
        store.load("missing-1")
    with pytest.raises(ValueError):
        store.write_output("douyin-1", "../escape.txt", "x")


def test_update_is_serialised_under_the_lock(tmp_path):
    store = Store(tmp_path)
    store.save(sample_transcript())

    def bump(t: Transcript) -> Transcript:
        t.video.duration = (t.video.duration or 0) + 1
        return t
    store.update("douyin-1", bump)
    assert store.load("douyin-1").video.duration == 9.0


def test_unreadable_transcript_is_a_clear_error(tmp_path):
    store = Store(tmp_path)
    path = store.transcript_path("douyin-2")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(VidscribeError, match="unreadable transcript"):
        store.load("douyin-2")
    assert list(store.transcripts()) == []
    assert isinstance(Path(path), Path)


def test_wrongly_shaped_transcript_is_a_clear_error(tmp_path):
    store = Store(tmp_path)
    good = sample_transcript("douyin-3")
    store.save(good)
    data = good.to_dict()
    data["stages"] = []  # valid JSON, not our shape
    bad = store.transcript_path("douyin-4")
    bad.parent.mkdir(parents=True)
    bad.write_text(json.dumps(data))
    with pytest.raises(VidscribeError, match="unreadable transcript"):
        store.load("douyin-4")
    assert [t.video.id for t in store.transcripts()] == ["douyin-3"]  # one bad file hides nothing else
