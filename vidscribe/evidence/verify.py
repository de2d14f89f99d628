"""Checking a bundle someone handed over: every file's hash against the manifest, the manifest's
own hash against `manifest.json.sha256` (and, when the sender gave it out of band, against that).

The zip is read, never extracted: each entry is streamed through SHA-256, at most the size the
manifest declares, so a zip bomb costs no disk and no more reading than its manifest admits, and no
entry name (`../x`, `/etc/x`) is ever used as a path. What it finds is a list of `Problem`s, each
naming the file: `modified` (its bytes are not those hashed), `missing` (in the manifest, not in
the zip), `unexpected` (in the zip, not in the manifest), `unsafe` (a name that is no relative path
inside the bundle) and `duplicate` (two entries of one name: readers would disagree on which).
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from vidscribe.errors import VidscribeError
from vidscribe.evidence import signing
from vidscribe.evidence.bundle import BUNDLE_FORMAT, CHUNK, MANIFEST, MANIFEST_CHECKSUM

# A manifest lists ~25 files and ~3 KB of provenance per video: 64 MiB holds well over 10,000 videos,
# and is still parsed in a few seconds. Anything larger is refused rather than read into memory.
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
# Entries read from the zip's directory (~100 bytes of memory each): ~25 files per video, 10,000 videos.
MAX_ENTRIES = 250_000
SIGNATURE_BYTES = 64  # an Ed25519 signature
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
BUNDLE_FILES = (MANIFEST, MANIFEST_CHECKSUM, signing.SIGNATURE)  # the bundle's own files, not in the manifest


@dataclass(frozen=True)
class Problem:
    kind: str  # modified, missing, unexpected, unsafe, duplicate
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.path}: {self.detail}"


@dataclass
class Report:
    manifest_sha256: str | None = None
    checked: int = 0  # files whose hash matched
    signed: bool = False  # the bundle holds a signature
    signer: str | None = None  # the fingerprint of the public key the signature was checked with
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def unsafe_name(name: str) -> str | None:
    """Why a zip entry's name is not a plain relative path inside the bundle, or None."""
    if not name or name.startswith("/") or "\\" in name or re.match(r"^[A-Za-z]:", name):
        return "an absolute path or one with backslashes or a drive letter"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "control characters in the name"
    parts = PurePosixPath(name).parts
    if any(part in ("..", ".") for part in parts):
        return "a path that climbs out of the bundle"
    return None


def verify_bundle(path: Path, expected_manifest_sha256: str | None = None, public_key: Path | None = None) -> Report:
    """Check `path` against its manifest (and its signature against `public_key`, a PEM Ed25519
    public key). Raises VidscribeError only when it is no readable zip or the key is unusable."""
    key = signing.load_public_key(public_key) if public_key is not None else None
    try:
        with zipfile.ZipFile(path) as zf:
            return _verify(zf, expected_manifest_sha256, key)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as e:
        raise VidscribeError(f"not a readable zip: {e}", source=str(path)) from None


def _verify(zf: zipfile.ZipFile, expected: str | None, key: Any) -> Report:
    report = Report()
    infos = zf.infolist()
    if len(infos) > MAX_ENTRIES:
        raise VidscribeError(f"{len(infos)} entries, more than the {MAX_ENTRIES} a bundle may hold")
    entries, duplicated = _entries(infos, report)
    manifest = _read_manifest(zf, entries, expected, key, report)
    if manifest is None:
        return report
    listed: set[str] = set()
    for item in manifest:
        name = item["path"]
        listed.add(name)
        if name in duplicated:
            continue  # named once already
        if (why := unsafe_name(name)) is not None:
            report.problems.append(Problem("unsafe", name, f"listed in the manifest: {why}"))
        elif name not in entries:
            report.problems.append(Problem("missing", name, "listed in the manifest, not in the bundle"))
        else:
            _check_file(zf, entries[name], item, report)
    for name in sorted(set(entries) - listed - set(BUNDLE_FILES)):
        if not entries[name].is_dir():
            report.problems.append(Problem("unexpected", name, "in the bundle, not in the manifest"))
    return report


def _entries(infos: list[zipfile.ZipInfo], report: Report) -> tuple[dict[str, zipfile.ZipInfo], set[str]]:
    """Entries by name, and the duplicated names; unsafe and duplicated names become problems (and
    are not read)."""
    entries: dict[str, zipfile.ZipInfo] = {}
    duplicated: set[str] = set()
    for info in infos:
        if (why := unsafe_name(info.filename)) is not None:
            report.problems.append(Problem("unsafe", info.filename, f"entry name: {why}"))
        elif info.filename in entries:
            duplicated.add(info.filename)
        else:
            entries[info.filename] = info
    for name in sorted(duplicated):
        report.problems.append(Problem("duplicate", name, "more than one entry of this name"))
        del entries[name]
    return entries, duplicated


def _read_manifest(zf: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], expected: str | None, key: Any,
                   report: Report) -> list[dict[str, Any]] | None:
    """The manifest's file list, its hash checked; None (with the problem recorded) when unusable."""
    info = entries.get(MANIFEST)
    if info is None:
        report.problems.append(Problem("missing", MANIFEST, "no manifest: nothing can be checked"))
        return None
    data = _read_bounded(zf, info, MAX_MANIFEST_BYTES, report)
    if data is None:
        return None
    actual = hashlib.sha256(data).hexdigest()
    report.manifest_sha256 = actual
    _check_manifest_hash(zf, entries, actual, expected, report)
    _check_signature(zf, entries, data, key, report)
    try:
        manifest = json.loads(data)
        if manifest.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"format is {manifest.get('format')!r}, not {BUNDLE_FORMAT!r}")
        files = manifest["files"]
        if not isinstance(files, list) or not all(_file_item(f) for f in files):
            raise ValueError("its file list is not a list of {path, sha256, size}")
    except (ValueError, AttributeError, KeyError, TypeError) as e:
        report.problems.append(Problem("modified", MANIFEST, f"not a bundle manifest: {e}"))
        return None
    return files


def _file_item(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("path"), str) and isinstance(item.get("size"), int)
            and isinstance(item.get("sha256"), str) and SHA256_HEX.match(item["sha256"]) is not None)


def _check_manifest_hash(zf: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], actual: str,
                         expected: str | None, report: Report) -> None:
    info = entries.get(MANIFEST_CHECKSUM)
    recorded = _read_bounded(zf, info, 1024, report) if info is not None else None
    if info is None:
        report.problems.append(Problem("missing", MANIFEST_CHECKSUM, "the manifest's own hash is not in the bundle"))
    elif recorded is not None:
        words = recorded.decode("ascii", "replace").split()
        if not words or words[0].lower() != actual:
            report.problems.append(Problem(
                "modified", MANIFEST, f"SHA-256 {actual}, but {MANIFEST_CHECKSUM} records "
                f"{words[0] if words else 'nothing'}: the manifest (or its hash file) was edited"))
    if expected is not None and expected.strip().lower() != actual:
        report.problems.append(Problem("modified", MANIFEST, f"SHA-256 {actual}, not the {expected.strip()} "
                                       "given for it"))


def _check_signature(zf: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], manifest: bytes, key: Any,
                     report: Report) -> None:
    info = entries.get(signing.SIGNATURE)
    report.signed = info is not None
    if key is None:
        return
    if info is None:
        report.problems.append(Problem("missing", signing.SIGNATURE, "not signed, and a public key was given"))
        return
    signature = _read_bounded(zf, info, SIGNATURE_BYTES, report)
    if signature is not None and not signing.signature_valid(key, manifest, signature):
        report.problems.append(Problem("modified", MANIFEST, f"the signature in {signing.SIGNATURE} does not verify "
                                       f"with the public key {signing.fingerprint(key)}"))
    elif signature is not None:
        report.signer = signing.fingerprint(key)


def _read_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, report: Report) -> bytes | None:
    if info.file_size > limit:
        report.problems.append(Problem("modified", info.filename, f"{info.file_size} bytes, over the "
                                       f"{limit} this file may have"))
        return None
    try:
        with zf.open(info) as f:
            return f.read(limit + 1)[:limit]
    except Exception as e:  # bad CRC, a corrupt deflate stream (zlib.error), a truncated zip
        report.problems.append(Problem("modified", info.filename, f"damaged in the zip: {e}"))
        return None


def _check_file(zf: zipfile.ZipFile, info: zipfile.ZipInfo, item: dict[str, Any], report: Report) -> None:
    """Hash one entry, streamed, never more than the manifest's size for it."""
    name, size, recorded = info.filename, item["size"], item["sha256"]
    if info.file_size != size:
        report.problems.append(Problem("modified", name, f"{info.file_size} bytes, the manifest records {size}"))
        return
    digest, count = hashlib.sha256(), 0
    try:
        with zf.open(info) as f:
            while count <= size and (block := f.read(CHUNK)):
                digest.update(block)
                count += len(block)
    except Exception as e:  # bad CRC, a corrupt deflate stream (zlib.error), a truncated zip
        report.problems.append(Problem("modified", name, f"damaged in the zip: {e}"))
        return
    if count != size or digest.hexdigest() != recorded:
        report.problems.append(Problem("modified", name, f"SHA-256 {digest.hexdigest()}, the manifest records "
                                       f"{recorded}"))
        return
    report.checked += 1
