"""One failing source or stage never stops a batch; user mistakes are one line, never 'internal error';
derived files always match transcript.json."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe import pipeline
from vidscribe.cli import cli
from vidscribe.transcripts.model import Cue, Segment, Speech, StageRecord, Subtitles, Transcript, VideoMeta
from vidscribe.transcripts.render import DERIVED_FILES, render, report
from vidscribe.transcripts.store import Store


@pytest.fixture()
def faulty_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(pipeline.STAGE_MODULES, "crashing", "faulty_stages")
    monkeypatch.setitem(pipeline.STAGE_MODULES, "broken", "broken_stage_module")


def test_a_crashing_stage_is_recorded_and_the_batch_goes_on(faulty_stages, clips, data_root):
    sources = [str(clips["small"]), str(clips["empty"]), str(clips["silent"])]
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", "--stage", "broken",
                                      "--stage", "crashing", *sources])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "3 sources: 0 done, 3 failed" in result.stderr
    ids = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert len(ids) == 2  # the empty file failed at the media stage; the other two were processed
    store = Store(data_root)
    for video_id in ids:
        stages = store.load(video_id).stages
        assert stages["media"].status == "done"
        assert stages["broken"].status == "failed"
        broken = stages["broken"].error
        assert "ModuleNotFoundError" in broken and "not_an_installed_module_xyz" in broken
        assert stages["crashing"].status == "failed" and "ZeroDivisionError" in stages["crashing"].error
        md = (store.transcript_dir(video_id) / "transcript.md").read_text(encoding="utf-8")
        assert "crashing failed: internal error in the crashing stage" in md


def _transcript() -> Transcript:
    t = Transcript(video=VideoMeta(id="douyin-1", source="https://www.douyin.com/video/1", title="t", duration=4.0))
    t.speech = Speech(language="ru", segments=[Segment(0.0, 1.0, "привет")])
    t.subtitles = Subtitles(cues=[Cue(0.5, 2.0, "签约奖金", 0.99, keyframe="keyframes/0001.jpg")])
    t.stages = {"speech": StageRecord("done"), "subtitles": StageRecord("done")}
    return t


def test_derived_files_are_rendered_from_the_saved_transcript(tmp_path: Path):
    store = Store(tmp_path)
    t = _transcript()
    store.save(t)
    folder = store.transcript_dir("douyin-1")
    assert (folder / "transcript.md").read_text(encoding="utf-8") == report(t)
    assert (folder / "speech.srt").read_text(encoding="utf-8") == render(t, "speech", "srt")
    assert (folder / "subtitles.vtt").read_text(encoding="utf-8") == render(t, "subtitles", "vtt")
    assert not (folder / "aligned.srt").exists()  # align has not run
    assert "[frame](keyframes/0001.jpg)" in report(t, "subtitles")

    t.stages["analysis"] = StageRecord("failed", error="boom")  # any change, by anyone, re-renders
    t.speech = None
    store.save(t)
    assert "analysis failed: boom" in (folder / "transcript.md").read_text(encoding="utf-8")
    assert not (folder / "speech.srt").exists() and not (folder / "speech.txt").exists()
    assert set(DERIVED_FILES) >= {p.name for p in folder.iterdir() if p.suffix in (".md", ".srt", ".vtt", ".txt")}


def test_show_md_is_transcript_md(clips, data_root):
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", "--stage", "align",
                                      str(clips["small"])])
    assert result.exit_code == 0, result.output
    video_id, folder = result.stdout.strip().split("\t")
    shown = CliRunner().invoke(cli, ["show", "--data", str(data_root), video_id, "--format", "md"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout == (Path(folder) / "transcript.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name, args", [
    ("photo.png", ["-frames:v", "1"]),
    ("photo.jpg", ["-frames:v", "1"]),
    ("photo.webp", ["-frames:v", "1"]),
    ("renamed-png.mp4", ["-frames:v", "1", "-f", "image2", "-c:v", "png"]),
])
def test_a_still_image_is_read_as_a_still_through_every_stage(name, args, tmp_path, data_root):
    # A photo post or a screenshot is evidence: once refused (a 0 s "video" with no cues), now read as one
    # picture whose text is screen text (tests/subtitles/test_subtitles_realistic.py reads one with text).
    image = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=white:s=320x240", *args, str(image)],
                   check=True, timeout=60)
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), str(image)])
    assert result.exit_code == 0, result.output
    video_id = result.stdout.split("\t")[0]
    transcript = Store(data_root).load(video_id)
    assert {name: s.status for name, s in transcript.stages.items()} == {
        "media": "done", "speech": "skipped", "subtitles": "done", "align": "done", "analysis": "done",
        "fingerprint": "done"}
    assert transcript.subtitles.still and transcript.subtitles.cues == []
    assert not transcript.video.has_audio


def test_a_data_root_that_is_a_file_is_one_line(clips, tmp_path):
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("x")
    result = CliRunner().invoke(cli, ["process", "--data", str(not_a_dir), "--stage", "media", str(clips["small"])])
    assert result.exit_code != 0
    assert f"cannot write to the data root {not_a_dir}" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output


def test_a_write_limit_is_one_line_naming_the_data_root(clips, tmp_path):
    """RLIMIT_FSIZE makes every write past the limit fail with EFBIG, as a full disk fails with ENOSPC."""
    limit_bytes = clips["small"].stat().st_size // 2

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    data = tmp_path / "data"
    sources = [str(clips["small"]), str(clips["silent"])]
    run = subprocess.run([sys.executable, "-m", "vidscribe", "process", "--data", str(data), "--stage", "media",
                          *sources], preexec_fn=limit, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert errors and errors[0].startswith(f"error: {clips['small']}: cannot write to {data}")
    assert all(e.endswith("File too large") for e in errors)
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert "2 sources:" in run.stderr  # the batch went on to the next source
    media = list((data / "media").glob("*/source.*")) if (data / "media").is_dir() else []
    assert all((data / "transcripts" / m.parent.name / "transcript.json").is_file() for m in media)


@pytest.fixture()
def small_disk(request: pytest.FixtureRequest, tmp_path: Path):
    """A real small filesystem (tmpfs) of `request.param` bytes."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={request.param}", "tmpfs", str(mount)],
                          capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()}); the RLIMIT tests cover writes")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


@pytest.fixture(scope="module")
def demo_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from vidscribe.samples import DEMO, make_clip

    return make_clip(DEMO, tmp_path_factory.mktemp("demo") / "demo.mp4")  # 78 kB, its audio.wav 256 kB


@pytest.mark.parametrize("small_disk", ["150k"], indirect=True)
def test_audio_cut_short_by_a_full_disk_is_refused_and_nothing_is_left(small_disk, demo_clip):
    data = small_disk / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(demo_clip)])
    assert result.exit_code == 1 and "internal error" not in result.output
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert f"cannot write to {data}" in error and "cut short" in error
    assert not [p for p in data.rglob("*") if p.is_file() and p.name != ".lock"]  # no orphan media, no partial


@pytest.mark.parametrize("small_disk", ["364k"], indirect=True)
def test_a_stage_that_fills_the_disk_is_recorded_failed(small_disk, demo_clip, tiny_asr_model):
    clip = demo_clip
    data = small_disk / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--asr-model", str(tiny_asr_model), str(clip)])
    assert result.exit_code == 1 and "internal error" not in result.output
    video_id = result.stdout.split("\t")[0]
    stages = Store(data).load(video_id).stages
    failed = [name for name, r in stages.items() if r.status == "failed"]
    assert failed and all("No space left on device" in stages[n].error for n in failed)
    assert not list((data / "transcripts").rglob("keyframes/*.jpg")) or stages["subtitles"].status == "done"


def test_a_local_source_is_stored_as_an_absolute_path(clips, data_root, monkeypatch):
    monkeypatch.chdir(clips["small"].parent)
    result = CliRunner().invoke(cli, ["process", "--data", str(data_root), "--stage", "media", "small.mp4"])
    assert result.exit_code == 0, result.output
    video_id = result.stdout.split("\t")[0]
    assert Store(data_root).load(video_id).video.source == str(clips["small"])


@pytest.mark.parametrize("out", ["a-file/findings.csv", "a-file/deeper/findings.csv"])
def test_an_unwritable_export_path_is_one_line(out, tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    target = tmp_path / out
    result = CliRunner().invoke(cli, ["export", "--data", str(tmp_path / "data"), "--findings", "--out", str(target)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: cannot write {target}: ") and result.output.count("\n") == 1
    assert "internal error" not in result.output
