"""`vidscribe clusters`: the same clip reposted by several accounts, grouped, first poster first
(registered on `vidscribe.cli.cli` when that module loads)."""

from __future__ import annotations

from pathlib import Path

import click

from vidscribe.cli import STORE, cli, settings_options
from vidscribe.settings import Settings
from vidscribe.transcripts.store import Store


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json", "jsonl", "csv"]), default="table",
              show_default=True, help="table: for reading; json: every cluster with all its matched pairs and "
              "their evidence; csv/jsonl: one row per video in a cluster.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (atomically) instead of stdout.")
@click.option("--rebuild", is_flag=True, help="Build the index (<data>/clusters.sqlite) again from the transcripts.")
@click.option("--min-size", default=2, show_default=True, type=click.IntRange(min=2),
              help="Only clusters of at least this many videos.")
@settings_options(STORE)
def clusters(fmt: str, out: Path | None, rebuild: bool, min_size: int, settings: Settings) -> None:
    """Group videos that show the same footage or the same subtitle or speech text (re-encoded,
    cropped, mirrored, trimmed, sped up, watermarked, subtitles re-typed), each cluster in upload
    order with the evidence of every match. Needs the fingerprint stage; the index updates itself
    first."""
    from vidscribe import clusters as repost

    found, stats = repost.find_clusters(Store(settings.data), rebuild=rebuild)
    found = [c for c in found if len(c.videos) >= min_size]
    try:
        repost.write_clusters(found, fmt, out)
    except BrokenPipeError:
        raise  # the reader of stdout went away: the group ends quietly
    except OSError as e:
        raise click.ClickException(f"cannot write {out or 'stdout'}: {e.strerror or e}") from None
    if stats is not None:
        click.echo(f"{len(found)} clusters of {sum(len(c.videos) for c in found)} videos; index: {stats.videos} "
                   f"videos ({stats.videos - stats.fingerprinted} without a fingerprint: run the fingerprint "
                   f"stage), {stats.pairs} matched pairs, {stats.added} added, {stats.removed} removed in "
                   f"{stats.seconds:.1f} s", err=True)
