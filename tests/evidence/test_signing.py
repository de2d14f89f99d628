"""Signed bundles: keys made by openssl, the signature checked by vidscribe and by openssl itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from vidscribe.cli import cli
from vidscribe.evidence.bundle import MANIFEST, MANIFEST_CHECKSUM
from vidscribe.evidence.signing import SIGNATURE

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl makes the keys and checks the signature")


def openssl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([OPENSSL, *args], capture_output=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("keys")
    out: dict[str, Path] = {}
    for name in ("sender", "other"):
        out[name] = folder / f"{name}.pem"
        assert openssl("genpkey", "-algorithm", "ed25519", "-out", str(out[name])).returncode == 0
        out[f"{name}.pub"] = folder / f"{name}.pub.pem"
        assert openssl("pkey", "-in", str(out[name]), "-pubout", "-out", str(out[f"{name}.pub"])).returncode == 0
    out["rsa"] = folder / "rsa.pem"
    assert openssl("genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:1024",
                   "-out", str(out["rsa"])).returncode == 0
    return out


@pytest.fixture(scope="module")
def signed(clips, keys, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("signed")
    data = root / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    result = CliRunner().invoke(cli, ["bundle", "--data", str(data), "--bundle-signing-key", str(keys["sender"]),
                                      video_id, "--out", str(root / "case.zip")])
    assert result.exit_code == 0, result.output
    assert "signed by the Ed25519 key " in result.stdout
    return root / "case.zip"


def verify(path: Path, *extra: str):
    return CliRunner().invoke(cli, ["verify", str(path), *extra])


def test_a_signed_bundle_verifies_with_the_senders_key_and_with_openssl(signed, keys, tmp_path):
    result = verify(signed, "--public-key", str(keys["sender.pub"]))
    assert result.exit_code == 0, result.output
    assert "signature: valid" in result.stdout
    assert "signature: present, not checked" in verify(signed).stdout
    with zipfile.ZipFile(signed) as zf:
        zf.extract(MANIFEST, tmp_path)
        zf.extract(SIGNATURE, tmp_path)
    done = openssl("pkeyutl", "-verify", "-pubin", "-inkey", str(keys["sender.pub"]), "-rawin",
                   "-in", str(tmp_path / MANIFEST), "-sigfile", str(tmp_path / SIGNATURE))
    assert done.returncode == 0 and b"Signature Verified Successfully" in done.stdout, done


def test_another_key_or_a_resigned_forgery_fails(signed, keys, tmp_path):
    result = verify(signed, "--public-key", str(keys["other.pub"]))
    assert result.exit_code != 0 and result.stdout.startswith(f"modified: {MANIFEST}: the signature"), result.output
    with zipfile.ZipFile(signed) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(entries[MANIFEST])
    manifest["videos"][0]["provenance"]["source"] = "/somewhere/else.mp4"
    entries[MANIFEST] = json.dumps(manifest).encode()
    entries[MANIFEST_CHECKSUM] = f"{hashlib.sha256(entries[MANIFEST]).hexdigest()}  {MANIFEST}\n".encode()
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    assert verify(forged).exit_code == 0  # consistent inside: only the signature tells
    result = verify(forged, "--public-key", str(keys["sender.pub"]))
    assert result.exit_code != 0 and f"modified: {MANIFEST}: the signature" in result.stdout


def test_an_unsigned_bundle_fails_when_a_key_is_expected(clips, keys, tmp_path):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    assert CliRunner().invoke(cli, ["bundle", "--data", str(data), video_id, "--out", str(tmp_path / "u.zip")]
                              ).exit_code == 0
    result = verify(tmp_path / "u.zip", "--public-key", str(keys["sender.pub"]))
    assert result.exit_code != 0 and f"missing: {SIGNATURE}" in result.stdout


@pytest.mark.parametrize("which", ["rsa", "sender.pub", "missing"])
def test_a_bad_signing_key_is_one_line_and_writes_nothing(clips, keys, tmp_path, which):
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["process", "--data", str(data), "--stage", "media", str(clips["silent"])])
    video_id = result.stdout.split("\t")[0]
    key = keys.get(which, tmp_path / "absent.pem")
    result = CliRunner().invoke(cli, ["bundle", "--data", str(data), "--bundle-signing-key", str(key), video_id,
                                      "--out", str(tmp_path / "case.zip")])
    assert result.exit_code != 0 and str(key) in result.stderr and "Traceback" not in result.output
    assert not (tmp_path / "case.zip").exists()
