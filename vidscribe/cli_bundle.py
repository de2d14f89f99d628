"""The evidence commands of the `vidscribe` CLI: bundle, verify (registered on `vidscribe.cli.cli`
when that module loads)."""

from __future__ import annotations

from pathlib import Path

import click

from vidscribe.cli import STORE, cli, settings_options
from vidscribe.errors import VidscribeError
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store


@cli.command()
@click.argument("video_ids", nargs=-1, required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The zip to write (replaced atomically if it exists).")
@settings_options((*STORE, "evidence"))
def bundle(video_ids: tuple[str, ...], out: Path, settings: Settings) -> None:
    """Write an evidence bundle of VIDEO_IDS: their media, info.json, every output and keyframe, and a
    manifest with every file's SHA-256 and size and each video's provenance. Prints the manifest's
    SHA-256: give it to the recipient separately, so `vidscribe verify --manifest-sha256` can tell an
    edited manifest. Only reads the store."""
    from vidscribe.evidence.bundle import write_bundle

    result = write_bundle(Store(settings.data), video_ids, out, settings.bundle_signing_key)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"{out}\t{len(result.files)} files\t{result.size} bytes")
    click.echo(f"manifest SHA-256: {result.manifest_sha256}")
    if result.signer:
        click.echo(f"signed by the Ed25519 key {result.signer}")


@cli.command()
@click.argument("bundle_path", metavar="BUNDLE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--manifest-sha256", "expected", metavar="HEX",
              help="The manifest's SHA-256 as the sender gave it (out of band): checked too.")
@click.option("--public-key", type=click.Path(dir_okay=False, path_type=Path),
              help="The sender's Ed25519 public key (PEM): the bundle must be signed with its private key.")
def verify(bundle_path: Path, expected: str | None, public_key: Path | None) -> None:
    """Check every file of an evidence bundle against its manifest, and the manifest against its
    recorded hash. Prints one line per problem (modified, missing, unexpected, unsafe, duplicate:
    the file's path in the bundle) and exits non-zero if there is any. With --public-key the manifest's
    Ed25519 signature must verify too. Never extracts anything."""
    from vidscribe.evidence.verify import verify_bundle

    if not bundle_path.is_file():
        raise VidscribeError("no such file", source=str(bundle_path))
    report = verify_bundle(bundle_path, expected, public_key)
    for problem in report.problems:
        click.echo(str(problem))
    if not report.ok:
        raise VidscribeError(f"verification failed: {len(report.problems)} problem(s), {report.checked} file(s) "
                             "match", source=str(bundle_path))
    click.echo(f"ok: {report.checked} files match the manifest; manifest SHA-256: {report.manifest_sha256}")
    if report.signer:
        click.echo(f"signature: valid, by the Ed25519 key {report.signer}")
    elif report.signed:
        click.echo("signature: present, not checked (give the sender's key with --public-key)")
