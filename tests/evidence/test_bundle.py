"""`vidscribe bundle` and `vidscribe verify` in-process (CliRunner) on a store made by the real pipeline:
a bundle verifies, and every kind of tampering is named by file."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vidscribe.cli import cli
from vidscribe.evidence.bundle import MANIFEST, MANIFEST_CHECKSUM
from vidscribe.evidence.verify import unsafe_name
from vidscribe.transcripts.store import Store

Entries = dict[str, bytes]


@pytest.fixture(scope="module")
def store(clips, tiny_asr_model, tmp_path_factory) -> tuple[Path, list[str]]:
    """A data root with one clip through every stage and one through the media stage only."""
    data = tmp_path_factory.mktemp("bundle") / "data"
    ids = []
    for args in ([str(clips["small"])], ["--stage", "media", str(clips["silent"])]):
        result = CliRunner().invoke(cli, ["process", "--data", str(data), "--asr-model", str(tiny_asr_model), *args],
                                    catch_exceptions=False)
        assert result.exit_code == 0, result.output
        ids.append(result.stdout.strip().split("\t")[0])
    return data, ids


def bundle(data: Path, out: Path, *ids: str):
    return CliRunner().invoke(cli, ["bundle", "--data", str(data), *ids, "--out", str(out)])


def verify(path: Path, *extra: str):
    return CliRunner().invoke(cli, ["verify", str(path), *extra])


@pytest.fixture(scope="module")
def case(store, tmp_path_factory) -> Path:
    data, ids = store
    out = tmp_path_factory.mktemp("case") / "case.zip"
    result = bundle(data, out, *ids)
    assert result.exit_code == 0, result.output
    return out


def read_zip(path: Path) -> Entries:
    with zipfile.ZipFile(path) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_zip(path: Path, entries: Entries | list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items() if isinstance(entries, dict) else entries:
            zf.writestr(name, data)
    return path


def tree_digest(root: Path) -> dict[str, str]:
    """Every path under `root` (hidden ones included) -> the SHA-256 of its bytes ("dir" for folders)."""
    return {str(p.relative_to(root)): "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))}


def problems(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.split(":")[0] in
            ("modified", "missing", "unexpected", "unsafe", "duplicate")]


def assert_fails_naming(result, kind: str, name: str) -> None:
    assert result.exit_code != 0, result.output
    found = problems(result)
    assert any(line.startswith(f"{kind}: {name}: ") for line in found), result.output
    assert "Traceback" not in result.output and "verification failed" in result.stderr


def test_a_bundle_verifies_and_holds_every_file_of_the_videos(store, case):
    data, ids = store
    result = verify(case)
    assert result.exit_code == 0, result.output
    entries = read_zip(case)
    manifest = json.loads(entries[MANIFEST])
    printed = hashlib.sha256(entries[MANIFEST]).hexdigest()
    assert entries[MANIFEST_CHECKSUM].decode() == f"{printed}  {MANIFEST}\n"
    assert f"manifest SHA-256: {printed}" in result.stdout
    assert manifest["vidscribe_version"] and manifest["created_at"].endswith("+00:00")
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(entries) - {MANIFEST, MANIFEST_CHECKSUM}
    for video_id in ids:  # every visible file of the video's two folders, the lock and temporaries not
        for area in ("media", "transcripts"):
            base = data / area / video_id
            on_disk = {f"{area}/{video_id}/{p.relative_to(base).as_posix()}" for p in base.rglob("*")
                       if p.is_file() and not p.name.startswith(".")}
            assert on_disk and on_disk <= set(listed)
    full = ids[0]
    for name in ("media/{}/source.mp4", "media/{}/info.json", "transcripts/{}/transcript.json",
                 "transcripts/{}/subtitles.srt", "transcripts/{}/speech.srt", "transcripts/{}/aligned.vtt"):
        assert name.format(full) in listed, name
    assert any(n.startswith(f"transcripts/{full}/keyframes/") and n.endswith(".jpg") for n in listed)
    for path, item in listed.items():
        assert item["sha256"] == hashlib.sha256(entries[path]).hexdigest() and item["size"] == len(entries[path])
    videos = {v["id"]: v for v in manifest["videos"]}
    assert set(videos) == set(ids)
    assert videos[full]["provenance"]["kind"] == "file"
    assert videos[full]["provenance"]["media_sha256"] == listed[f"media/{full}/source.mp4"]["sha256"]
    assert videos[full]["stages"]["speech"]["tools"]["faster-whisper"]


def test_writing_a_bundle_leaves_the_store_byte_identical(store, tmp_path):
    data, ids = store
    before = tree_digest(data)
    result = bundle(data, tmp_path / "again.zip", *ids)
    assert result.exit_code == 0, result.output
    assert tree_digest(data) == before


def test_the_zip_is_replaced_atomically_and_no_temporary_is_left(store, tmp_path):
    data, ids = store
    out = tmp_path / "case.zip"
    out.write_bytes(b"an older bundle")
    assert bundle(data, out, ids[1]).exit_code == 0
    assert verify(out).exit_code == 0
    assert os.listdir(tmp_path) == ["case.zip"]


FLIPS = {
    "media": lambda full, _: f"media/{full}/source.mp4",
    "info.json": lambda full, _: f"media/{full}/info.json",
    "transcript.json": lambda full, _: f"transcripts/{full}/transcript.json",
    "srt": lambda full, _: f"transcripts/{full}/subtitles.srt",
    "media of another video": lambda _, other: f"media/{other}/source.mp4",
}


@pytest.mark.parametrize("kind", [*FLIPS, "keyframe", "manifest"])
def test_a_flipped_byte_in_any_file_is_named(store, case, tmp_path, kind):
    _, (full, other) = store
    entries = read_zip(case)
    if kind == "keyframe":
        name = sorted(n for n in entries if n.startswith(f"transcripts/{full}/keyframes/"))[0]
    elif kind == "manifest":
        name = MANIFEST
    else:
        name = FLIPS[kind](full, other)
    data = bytearray(entries[name])
    data[len(data) // 2] ^= 0x01
    entries[name] = bytes(data)
    result = verify(write_zip(tmp_path / "tampered.zip", entries))
    assert_fails_naming(result, "modified", name)
    if kind != "manifest":  # everything else still checks out: only the tampered file is named
        assert len(problems(result)) == 1, result.output


def test_a_byte_flipped_in_the_archive_itself_is_named(store, case, tmp_path):
    """Damage to the zip's bytes (not a re-packed zip): the entry's CRC no longer matches."""
    _, (full, _) = store
    name = f"media/{full}/source.mp4"  # stored uncompressed: its bytes lie in the archive as they are
    with zipfile.ZipFile(case) as zf:
        info = zf.getinfo(name)
    raw = bytearray(case.read_bytes())
    raw[info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.file_size // 2] ^= 0x01
    damaged = tmp_path / "damaged.zip"
    damaged.write_bytes(bytes(raw))
    assert_fails_naming(verify(damaged), "modified", name)


def test_a_file_added_is_named(case, tmp_path):
    entries = read_zip(case)
    entries["transcripts/extra/note.txt"] = b"added later"
    assert_fails_naming(verify(write_zip(tmp_path / "added.zip", entries)), "unexpected", "transcripts/extra/note.txt")


def test_a_file_removed_is_named(store, case, tmp_path):
    _, (full, _) = store
    entries = read_zip(case)
    name = f"transcripts/{full}/aligned.srt"
    del entries[name]
    assert_fails_naming(verify(write_zip(tmp_path / "removed.zip", entries)), "missing", name)


def test_a_manifest_edited_without_rehashing_is_named(case, tmp_path):
    entries = read_zip(case)
    manifest = json.loads(entries[MANIFEST])
    manifest["videos"][0]["provenance"]["source"] = "https://example.com/not-where-it-came-from"
    entries[MANIFEST] = json.dumps(manifest, indent=1).encode()
    result = verify(write_zip(tmp_path / "edited.zip", entries))
    assert_fails_naming(result, "modified", MANIFEST)
    assert "edited" in result.stdout


def test_a_rehashed_forgery_is_caught_by_the_hash_given_out_of_band(store, case, tmp_path):
    """A file replaced and the manifest and its hash file rewritten to match: consistent inside, so only
    the manifest hash `bundle` printed (sent separately) tells it."""
    _, (full, _) = store
    original = hashlib.sha256(read_zip(case)[MANIFEST]).hexdigest()
    entries = read_zip(case)
    name = f"transcripts/{full}/subtitles.srt"
    entries[name] = entries[name].replace("签约".encode(), "和平".encode())
    manifest = json.loads(entries[MANIFEST])
    for item in manifest["files"]:
        if item["path"] == name:
            item["sha256"], item["size"] = hashlib.sha256(entries[name]).hexdigest(), len(entries[name])
    entries[MANIFEST] = json.dumps(manifest).encode()
    entries[MANIFEST_CHECKSUM] = f"{hashlib.sha256(entries[MANIFEST]).hexdigest()}  {MANIFEST}\n".encode()
    forged = write_zip(tmp_path / "forged.zip", entries)
    assert verify(forged).exit_code == 0  # what no hash inside a bundle can tell
    assert_fails_naming(verify(forged, "--manifest-sha256", original), "modified", MANIFEST)
    assert verify(case, "--manifest-sha256", original).exit_code == 0


def test_a_missing_manifest_hash_is_named(case, tmp_path):
    entries = read_zip(case)
    del entries[MANIFEST_CHECKSUM]
    assert_fails_naming(verify(write_zip(tmp_path / "nohash.zip", entries)), "missing", MANIFEST_CHECKSUM)


@pytest.mark.parametrize("name", ["../evil.txt", "/etc/evil", "media/../../evil", "C:/evil", "a\\..\\evil"])
def test_unsafe_entry_names_are_named_and_never_written(case, tmp_path, monkeypatch, name):
    entries = list(read_zip(case).items()) + [(name, b"payload")]
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = verify(write_zip(tmp_path / "slip.zip", entries))
    assert_fails_naming(result, "unsafe", name)
    assert not list(work.iterdir()) and not (tmp_path / "evil.txt").exists()


def test_a_duplicated_entry_is_named(store, case, tmp_path):
    _, (full, _) = store
    name = f"transcripts/{full}/transcript.json"
    entries = list(read_zip(case).items()) + [(name, b"{}")]
    with pytest.warns(UserWarning, match="Duplicate name"):
        path = write_zip(tmp_path / "dup.zip", entries)
    result = verify(path)
    assert_fails_naming(result, "duplicate", name)
    assert problems(result) == [f"duplicate: {name}: more than one entry of this name"]


def test_an_entry_larger_than_its_manifest_says_is_not_read(store, case, tmp_path):
    """A zip bomb in place of a file: refused from the zip's directory, before anything is inflated."""
    _, (full, _) = store
    entries = read_zip(case)
    name = f"transcripts/{full}/speech.txt"
    entries[name] = b"\0" * (64 * 1024 * 1024)  # deflates to ~64 KiB
    result = verify(write_zip(tmp_path / "bomb.zip", entries))
    assert_fails_naming(result, "modified", name)
    assert f"{64 * 1024 * 1024} bytes, the manifest records" in result.stdout


def test_unknown_and_invalid_ids_are_refused_naming_the_id(store, tmp_path):
    data, ids = store
    out = tmp_path / "case.zip"
    for bad in ("url-0000000000000000", "../etc"):
        result = bundle(data, out, ids[0], bad)
        assert result.exit_code != 0
        (line,) = [line for line in result.stderr.splitlines() if line.strip()]
        assert bad in line and "Traceback" not in result.output
    assert not out.exists()


def test_a_bundle_is_not_written_into_the_store(store):
    data, ids = store
    result = bundle(data, data / "transcripts" / ids[0] / "case.zip", ids[0])
    assert result.exit_code != 0 and "outside the store" in result.stderr
    assert not (data / "transcripts" / ids[0] / "case.zip").exists()


def test_verify_of_something_that_is_no_zip_is_one_line(tmp_path):
    path = tmp_path / "case.zip"
    path.write_bytes(b"not a zip at all")
    result = verify(path)
    assert result.exit_code != 0 and "not a readable zip" in result.stderr and str(path) in result.stderr
    result = verify(tmp_path / "absent.zip")
    assert result.exit_code != 0 and "no such file" in result.stderr


def test_an_extracted_bundle_is_a_data_root(store, case, tmp_path):
    _, (full, _) = store
    with zipfile.ZipFile(case) as zf:
        zf.extractall(tmp_path / "case")  # the test's own zip: names already checked by verify
    result = CliRunner().invoke(cli, ["show", "--data", str(tmp_path / "case"), full, "--track", "subtitles",
                                      "--format", "srt"])
    assert result.exit_code == 0, result.output
    assert "签约奖金" in result.stdout


def test_files_changed_in_the_store_since_they_were_recorded_are_warned_about(clips, tmp_path):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    media = data / "media" / video_id / "source.mp4"
    media.write_bytes(media.read_bytes() + b"\0")
    result = bundle(data, tmp_path / "case.zip", video_id)
    assert result.exit_code == 0, result.output
    assert f"warning: media/{video_id}/source.mp4: SHA-256" in result.stderr and "recorded when" in result.stderr
    assert verify(tmp_path / "case.zip").exit_code == 0  # the bundle is true to the store as it is now
    media.unlink()
    result = bundle(data, tmp_path / "case.zip", video_id)
    assert f"warning: media/{video_id}/source.mp4: recorded in the transcript but not in the store" in result.stderr


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_of_any_file_is_named_alone(case, tmp_path, data):
    entries = read_zip(case)
    name = data.draw(st.sampled_from(sorted(set(entries) - {MANIFEST_CHECKSUM})), label="file")
    content = bytearray(entries[name])
    position = data.draw(st.integers(0, len(content) - 1), label="byte")
    content[position] ^= data.draw(st.integers(1, 255), label="xor")
    entries[name] = bytes(content)
    result = verify(write_zip(tmp_path / "flipped.zip", entries))
    assert_fails_naming(result, "modified", name)
    if name != MANIFEST:
        assert len(problems(result)) == 1, result.output


segment = st.text(alphabet=st.sampled_from("abcXYZ019._-"), min_size=1, max_size=8).filter(
    lambda s: s not in (".", ".."))


@given(st.lists(segment, min_size=1, max_size=5), st.integers(0, 5), st.sampled_from(["..", "/", "\\", "C:"]))
def test_entry_names_are_safe_only_as_plain_relative_paths(parts, at, bad):
    assert unsafe_name("/".join(parts)) is None
    if bad == "..":
        parts = [*parts[:at], "..", *parts[at:]]
        assert unsafe_name("/".join(parts)) is not None
    elif bad == "\\":
        assert unsafe_name("\\".join([*parts, "x"])) is not None
    else:
        assert unsafe_name(bad + "/".join(parts)) is not None


def test_links_hidden_files_and_odd_names_in_the_store_stay_out(clips, tmp_path):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    folder = data / "transcripts" / video_id
    secret = tmp_path / "secret.txt"
    secret.write_text("not evidence")
    (folder / "linked.txt").symlink_to(secret)
    (folder / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    (folder / ".hidden.json.tmp").write_text("a killed run's temporary")
    (folder / "notes with spaces.txt").write_text("a user's file")
    result = bundle(data, tmp_path / "case.zip", video_id)
    assert result.exit_code == 0, result.output
    names = set(read_zip(tmp_path / "case.zip"))
    assert names == {MANIFEST, MANIFEST_CHECKSUM, f"media/{video_id}/source.mp4", f"media/{video_id}/info.json",
                     f"transcripts/{video_id}/transcript.json", f"transcripts/{video_id}/transcript.md"}, names
    assert "notes with spaces.txt: left out" in result.stderr


def test_an_unreadable_transcript_is_one_line_naming_it(clips, tmp_path):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    path = data / "transcripts" / video_id / "transcript.json"
    path.write_text('{"schema_version": 1, "video": [1]}')
    result = bundle(data, tmp_path / "case.zip", video_id)
    assert result.exit_code != 0 and str(path) in result.stderr and "unreadable transcript" in result.stderr
    assert not (tmp_path / "case.zip").exists()


def test_a_bundle_waits_for_a_writer_holding_the_videos_lock(clips, tmp_path):
    """A writer mid-change (holding the lock) is never bundled half-way: the bundle has what it left."""
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    store = Store(data)
    outcome: list = []
    with store.locked(video_id):
        worker = threading.Thread(target=lambda: outcome.append(bundle(data, tmp_path / "case.zip", video_id)))
        worker.start()
        worker.join(timeout=1.0)  # time for a bundler that does not wait to finish (and for the test to fail)
        assert worker.is_alive() and not outcome
        transcript = store.load(video_id)
        transcript.video.title = "changed under the lock"
        store.save(transcript)
    worker.join(timeout=60)
    assert outcome and outcome[0].exit_code == 0, outcome
    bundled = json.loads(read_zip(tmp_path / "case.zip")[f"transcripts/{video_id}/transcript.json"])
    assert bundled["video"]["title"] == "changed under the lock"
    assert verify(tmp_path / "case.zip").exit_code == 0
