"""The corpus commands of the `vidscribe` CLI: show, search, index, export (registered on
`vidscribe.cli.cli` when that module loads)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from vidscribe.cli import STORE, cli, settings_options
from vidscribe.settings import Settings
from vidscribe.terminal import one_line
from vidscribe.transcripts.store import Store


@cli.command()
@click.argument("video_id")
@click.option("--track", type=click.Choice(["speech", "subtitles", "aligned"]), default="aligned",
              show_default=True, help="Which track to print.")
@click.option("--format", "fmt", type=click.Choice(["json", "srt", "vtt", "txt", "md"]), default="txt",
              show_default=True, help="Output format.")
@settings_options(STORE)
def show(video_id: str, track: str, fmt: str, settings: Settings) -> None:
    """Print a stored output of VIDEO_ID (rendered from its transcript.json)."""
    from vidscribe.transcripts.render import render

    click.echo(render(Store(settings.data).load(video_id), track, fmt), nl=False)


# -- corpus commands -----------------------------------------------------------------------------

class _Choice(click.Choice):
    """A choice that also takes hidden aliases (older spellings), converted to the current name."""

    def __init__(self, choices: Iterable[str], aliases: dict[str, str]) -> None:
        super().__init__(list(choices))
        self.aliases = aliases

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(self.aliases.get(value, value), param, ctx)


@cli.command()
@click.argument("query")
@click.option("--track", type=_Choice(["speech", "subtitles", "overlay", "screen", "frame"], {"subtitle": "subtitles"}),
              default=None, help="Search one track only (screen: screen text, such as screenshots and "
              "still images; frame: QR codes read from the picture).")
@click.option("--limit", default=50, show_default=True, help="At most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@settings_options(STORE)
def search(query: str, track: str | None, limit: int, as_json: bool, settings: Settings) -> None:
    """Full-text search over every stored transcript (Chinese queries of one character work).
    Prints one line per hit: video ID, time, track, snippet, the video's URL and title
    (tab-separated); the index updates itself first."""
    import json

    from vidscribe import corpus
    from vidscribe.transcripts.formats import mmss

    store = Store(settings.data)
    hits = corpus.search(store, query, track=track, limit=limit)
    for hit in hits:
        if as_json:
            click.echo(json.dumps(dataclasses.asdict(hit), ensure_ascii=False))
            continue
        click.echo("\t".join([hit.video_id, mmss(hit.start), hit.track, one_line(hit.snippet),
                              one_line(getattr(hit, "url", None)), one_line(getattr(hit, "title", None))]))
    if not as_json:
        total = corpus.count_matches(store, query, track=track) if len(hits) == limit else len(hits)
        click.echo(f"{len(hits)} of {total} hits", err=True)


@cli.command()
@click.option("--rebuild", is_flag=True, help="Drop the index and build it again from the transcript files.")
@settings_options(STORE)
def index(rebuild: bool, settings: Settings) -> None:
    """Bring the search index (<data>/index.sqlite) up to date with the transcript files."""
    from vidscribe import corpus

    store = Store(settings.data)
    stats = corpus.rebuild_index(store) if rebuild else corpus.update_index(store)
    click.echo(f"{stats.videos} videos, {stats.lines} lines indexed ({stats.added} added, {stats.updated} "
               f"updated, {stats.removed} removed) in {stats.seconds:.1f} s")


@cli.command()
@click.option("--findings", is_flag=True, help="One row per finding (money, contacts, ...).")
@click.option("--transcripts", is_flag=True, help="One row per aligned line.")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to FILE (atomically) instead of stdout.")
@settings_options(STORE)
def export(findings: bool, transcripts: bool, fmt: str, out: Path | None, settings: Settings) -> None:
    """Export the corpus for a spreadsheet: video ID, source URL, uploader and times on every row.
    Choose one of --findings and --transcripts."""
    from vidscribe import corpus

    if findings == transcripts:
        raise click.UsageError("choose one of --findings and --transcripts" if findings else
                               "choose --findings or --transcripts")
    store = Store(settings.data)
    try:
        rows = (corpus.export_findings if findings else corpus.export_transcripts)(store, fmt, out)
    except BrokenPipeError:
        raise  # the reader of stdout went away: the group ends quietly
    except OSError as e:
        raise click.ClickException(f"cannot write {out or 'stdout'}: {e.strerror or e}") from None
    if out is not None:
        click.echo(f"{rows} rows written to {out}", err=True)
