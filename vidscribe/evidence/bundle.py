"""Evidence bundles: a zip of everything the store holds for some videos, with a manifest of hashes.

    manifest.json          format, creation time, vidscribe's version; per video its metadata,
                           provenance and stage records; per file its path, SHA-256 and size
    manifest.json.sha256   the manifest's own SHA-256 (`sha256sum` format), also printed by
                           `vidscribe bundle` so the recipient can check it out of band
    manifest.json.sig      with VIDSCRIBE_BUNDLE_SIGNING_KEY: the manifest's Ed25519 signature
    media/<id>/...         the media, info.json and audio.wav, as stored
    transcripts/<id>/...   transcript.json and every file derived from it, keyframes included

The layout is the store's own, so an extracted bundle is a data root `vidscribe show` can read.
Writing a bundle only reads the store: each video is read under a shared hold of its lock (writers
hold it exclusively), and the zip is written to a temporary file beside `out` and renamed over it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from vidscribe import __version__, locks
from vidscribe.atomic import atomic_open
from vidscribe.errors import VidscribeError
from vidscribe.evidence import signing
from vidscribe.transcripts.model import Transcript, to_jsonable
from vidscribe.transcripts.store import TRANSCRIPT_FILE, Store, check_video_id

log = logging.getLogger(__name__)

BUNDLE_FORMAT = "vidscribe-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_CHECKSUM = "manifest.json.sha256"
CHUNK = 1 << 20  # bytes read at a time while hashing and copying (memory stays flat for any media size)
# A stored file's name, each part: what vidscribe writes (source.mp4, keyframes/cue-0001.jpg). Anything
# else in a video's folder (a user's stray file) is left out, with a warning: it cannot be a zip path.
SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# Already-compressed media is stored as is; deflating it costs CPU for nothing.
STORED_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".webm", ".mkv", ".flv", ".jpg", ".jpeg", ".png", ".webp",
                             ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".ts", ".gif"})
AREAS = ("media", "transcripts")  # the store's two folders per video, in the order they are bundled


@dataclass(frozen=True)
class FileEntry:
    path: str  # inside the zip: media/<id>/... or transcripts/<id>/...
    sha256: str
    size: int


@dataclass
class BundleResult:
    path: Path
    manifest_sha256: str
    files: list[FileEntry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    signer: str | None = None  # the signing key's fingerprint (SHA-256 of the raw public key), if signed

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def check_videos(store: Store, video_ids: Iterable[str]) -> list[str]:
    """The IDs, each checked (one line naming the first unknown or invalid one), duplicates dropped."""
    out: list[str] = []
    for video_id in video_ids:
        check_video_id(video_id)
        if not store.exists(video_id):
            raise VidscribeError(f"no video with this ID in {store.root}", source=video_id)
        if video_id not in out:
            out.append(video_id)
    return out


@contextlib.contextmanager
def read_locked(store: Store, video_id: str) -> Iterator[None]:
    """A shared hold of the video's lock: no writer (they hold it exclusively) changes its folders
    meanwhile. Opens the lock file read-only and never creates it, so the store is left as it was
    (a store where nothing ever wrote under a lock has no writer to wait for)."""
    with locks.shared(store.transcript_dir(video_id) / ".lock"):
        yield


def video_files(store: Store, video_id: str, warnings: list[str] | None = None) -> list[tuple[str, Path]]:
    """(path in the zip, file) for every visible regular file of the video's two folders, sorted.
    Hidden entries (the lock, a killed run's temporaries) and symbolic links are not evidence."""
    found: list[tuple[str, Path]] = []
    for area in AREAS:
        base = store.media_dir(video_id) if area == "media" else store.transcript_dir(video_id)
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(base)
            if any(part.startswith(".") for part in rel.parts) or path.is_symlink() or not path.is_file():
                continue
            if not all(SAFE_PART.match(part) for part in rel.parts):
                if warnings is not None:
                    warnings.append(f"{path}: left out (not a name vidscribe writes)")
                continue
            found.append((f"{area}/{video_id}/{rel.as_posix()}", path))
    return found


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def _copy_hashed(zf: zipfile.ZipFile, name: str, source: IO[bytes], size: int,
                 when: tuple[int, ...]) -> tuple[str, int]:
    """Copy `source` (about `size` bytes) into the zip as `name`, hashing the bytes as they go;
    returns their SHA-256 and count."""
    info = zipfile.ZipInfo(name, date_time=when[:6])
    info.external_attr = 0o644 << 16
    info.compress_type = zipfile.ZIP_STORED if Path(name).suffix.lower() in STORED_SUFFIXES else zipfile.ZIP_DEFLATED
    digest, count = hashlib.sha256(), 0
    with zf.open(info, "w", force_zip64=size >= zipfile.ZIP64_LIMIT) as out:
        for block in iter(lambda: source.read(CHUNK), b""):
            digest.update(block)
            out.write(block)
            count += len(block)
    return digest.hexdigest(), count


def _recorded_mismatches(transcript: Transcript, entries: dict[str, FileEntry]) -> list[str]:
    """Files whose hash differs from the one the store recorded when it made them (media at
    retrieval, a stage's own files when it wrote them): the store changed since."""
    video_id = transcript.video.id
    recorded: dict[str, str] = {}
    if transcript.video.media_file and transcript.video.sha256:
        recorded[f"media/{video_id}/{Path(transcript.video.media_file).name}"] = transcript.video.sha256
    for stage in transcript.stages.values():
        recorded.update({f"transcripts/{video_id}/{name}": sha for name, sha in stage.sha256.items()})
    return [f"{path}: SHA-256 {entries[path].sha256} differs from the {sha} recorded when it was written"
            if path in entries else f"{path}: recorded in the transcript but not in the store"
            for path, sha in recorded.items() if path not in entries or entries[path].sha256 != sha]


def _parse_transcript(data: bytes, path: Path) -> Transcript:
    try:
        return Transcript.from_dict(json.loads(data))
    except (ValueError, TypeError, AttributeError, KeyError) as e:  # not JSON, or not our shape
        raise VidscribeError(f"unreadable transcript ({type(e).__name__}: {e})", source=str(path)) from None


def _add_video(zf: zipfile.ZipFile, store: Store, video_id: str, when: tuple[int, ...],
               result: BundleResult) -> dict[str, Any]:
    """Copy one video's files into the zip under its lock; returns its manifest entry."""
    transcript: Transcript | None = None
    entries: dict[str, FileEntry] = {}
    with read_locked(store, video_id):
        for name, path in video_files(store, video_id, result.warnings):
            with open(path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if name == f"transcripts/{video_id}/{TRANSCRIPT_FILE}":  # the same bytes parsed and bundled
                    data = f.read()
                    transcript = _parse_transcript(data, path)
                    sha, size = _copy_hashed(zf, name, io.BytesIO(data), size, when)
                else:
                    sha, size = _copy_hashed(zf, name, f, size, when)
            entries[name] = FileEntry(name, sha, size)
    if transcript is None:  # removed between the check and the lock
        raise VidscribeError(f"no video with this ID in {store.root}", source=video_id)
    result.warnings += _recorded_mismatches(transcript, entries)
    result.files += entries.values()
    return {"id": video_id, "video": to_jsonable(transcript.video),
            "provenance": to_jsonable(transcript.provenance),
            "stages": {name: to_jsonable(record) for name, record in transcript.stages.items()},
            "files": sorted(entries)}


def manifest_bytes(created: dt.datetime, videos: list[dict[str, Any]], files: list[FileEntry]) -> bytes:
    manifest = {
        "format": BUNDLE_FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created.isoformat(),
        "vidscribe_version": __version__,
        "hash": "sha256",
        "videos": videos,
        "files": [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in sorted(files, key=lambda f: f.path)],
    }
    return (json.dumps(manifest, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _check_out(store: Store, out: Path) -> None:
    target = out.resolve()
    for area in AREAS:
        if target.is_relative_to((store.root / area).resolve()):
            raise VidscribeError(f"write the bundle outside the store's {area}/ folder", source=str(out))
    if target.is_dir():
        raise VidscribeError("is a folder: give the zip's file name", source=str(out))


def write_bundle(store: Store, video_ids: Iterable[str], out: Path, signing_key: Path | None = None) -> BundleResult:
    """Write the bundle of `video_ids` to `out` (atomically: a crash leaves no half zip there); with
    `signing_key` (Ed25519, PEM) the manifest is signed into manifest.json.sig."""
    ids = check_videos(store, video_ids)
    if not ids:
        raise VidscribeError("no video IDs given")
    _check_out(store, out)
    key = signing.load_private_key(signing_key) if signing_key is not None else None
    created = _now()
    when = created.timetuple()[:6]
    result = BundleResult(out, "")
    videos: list[dict[str, Any]] = []
    with atomic_open(out) as f, zipfile.ZipFile(f, "w", allowZip64=True) as zf:
        for video_id in ids:
            videos.append(_add_video(zf, store, video_id, when, result))
        manifest = manifest_bytes(created, videos, result.files)
        result.manifest_sha256 = hashlib.sha256(manifest).hexdigest()
        extra: list[tuple[str, bytes | str]] = [(MANIFEST, manifest),
                                                (MANIFEST_CHECKSUM, f"{result.manifest_sha256}  {MANIFEST}\n")]
        if key is not None:
            extra.append((signing.SIGNATURE, signing.sign(key, manifest)))
            result.signer = signing.fingerprint(key.public_key())
        for name, data in extra:
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return result
