"""The `vidscribe` command: a thin click layer over the library.

Every setting is an option generated from `Settings` (and the matching VIDSCRIBE_* variable).
A user's mistake is one line on stderr and a non-zero exit; `--debug` adds tracebacks.
"""

from __future__ import annotations

import functools
import logging
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import click

from vidscribe import __version__, pipeline
from vidscribe.errors import VidscribeError
from vidscribe.settings import Settings, base_type, describe, env_name, fields_in
from vidscribe.transcripts.model import StageRecord
from vidscribe.transcripts.store import Store

PROCESS_GROUPS = ("media", "speech", "subtitles", "text")


def settings_options(groups: Iterable[str]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add one option per setting in `groups`; the command receives them bundled as `settings`."""
    fields = fields_in(groups)

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            overrides = {f.name: kwargs.pop(f.name, None) for f in fields}
            try:
                kwargs["settings"] = Settings.load(**overrides)
            except VidscribeError as e:
                raise click.UsageError(str(e)) from None
            return command(*args, **kwargs)

        for f in reversed(fields):
            flag = "--" + f.name.replace("_", "-")
            default = f.default if f.default is not None else "none"
            help_text = f"{f.metadata['help']} [env {env_name(f.name)}; default: {default}]"
            if base_type(f.name) is bool:
                option = click.option(f"{flag}/--no-{flag[2:]}", f.name, default=None, help=help_text)
            else:
                choices = f.metadata.get("choices")
                option = click.option(flag, f.name, default=None, metavar=f.name.split("_")[-1].upper(),
                                      type=click.Choice(choices) if choices else None, help=help_text)
            wrapper = option(wrapper)
        return wrapper

    return decorate


class ConsoleReporter:
    """Stage-by-stage progress on stderr; download bytes only when stderr is a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self._last = -1.0

    def download(self, done: int, total: int | None) -> None:
        if not self.tty:
            return
        mib = done / 1024**2
        if total:
            text = f"    downloading {mib:.1f}/{total / 1024**2:.1f} MiB ({100 * done / total:.0f}%)"
        else:
            text = f"    downloading {mib:.1f} MiB"
        click.echo("\r" + text.ljust(60), nl=False, err=True)
        self._last = mib

    def stage_started(self, video_id: str, stage: str) -> None:
        if self.tty:
            click.echo(f"\r  {stage} ...".ljust(60), nl=False, err=True)

    def stage_finished(self, video_id: str, stage: str, record: StageRecord) -> None:
        mark = {"done": "ok", "skipped": "skipped", "failed": "FAILED"}[record.status]
        line = f"  {stage}: {mark} ({record.seconds:.1f} s)"
        if record.error:
            line += f": {record.error}"
        click.echo(("\r" if self.tty else "") + line.ljust(60 if self.tty else 0), err=True)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except VidscribeError as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise click.ClickException(str(e)) from None
        except Exception as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise click.ClickException(f"internal error: {type(e).__name__}: {e} "
                                       "(run with --debug for the traceback)") from None


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--debug", is_flag=True, help="Verbose logs and full tracebacks.")
@click.version_option(__version__, prog_name="vidscribe")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """vidscribe: transcripts of video clips from what was said (faster-whisper) and what the
    burned-in Chinese subtitles showed (PP-OCR), aligned on one timeline.

    Outputs live under the data root (VIDSCRIBE_DATA, default ./data): media/<id>/ holds the
    source media, yt-dlp's info.json and audio.wav; transcripts/<id>/ holds transcript.json and
    the files derived from it.
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")


def _read_sources(sources: tuple[str, ...], from_file: str | None) -> list[str]:
    items = list(sources)
    if from_file:
        stream = click.open_file(from_file, encoding="utf-8")
        with stream:
            items += [line.strip() for line in stream if line.strip() and not line.lstrip().startswith("#")]
    return items


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--from-file", "from_file", metavar="FILE", help="Read sources from FILE, one per line "
              "('-' for stdin; # starts a comment).")
@click.option("--stage", "stages", multiple=True, metavar="STAGE",
              help="Run only these stages after fetching (repeatable; 'media' alone just fetches). "
              "Default: all.")
@click.option("--force", is_flag=True, help="Download again even if the media is already stored.")
@settings_options(PROCESS_GROUPS)
@click.pass_context
def process(ctx: click.Context, sources: tuple[str, ...], from_file: str | None, stages: tuple[str, ...],
            force: bool, settings: Settings) -> None:
    """Fetch and transcribe SOURCES inline (no Redis): URLs yt-dlp supports, direct media links
    or local files. Exits non-zero if any source or stage failed."""
    items = _read_sources(sources, from_file)
    if not items:
        raise click.UsageError("give at least one SOURCE (or --from-file)")
    chosen = pipeline.check_stage_names(stages) if stages else None  # before any download
    store = Store(settings.data)
    reporter = ConsoleReporter()
    failures = 0
    for source in items:
        click.echo(f"{source}", err=True)
        try:
            transcript = pipeline.process(source, settings, store, stages=chosen, reporter=reporter,
                                          force=force)
        except VidscribeError as e:
            failures += 1
            if ctx.obj.get("debug"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            click.echo(f"error: {e}", err=True)
            continue
        failed = pipeline.failed_stages(transcript)
        failures += bool(failed)
        folder = store.transcript_dir(transcript.video.id)
        click.echo(f"{transcript.video.id}\t{folder}")
        for name, reason in failed:
            click.echo(f"error: {source}: {name} stage failed: {reason}", err=True)
    if failures:
        ctx.exit(1)


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path), default="samples/demo.mp4")
def sample(out: Path) -> None:
    """Generate the demo clip (speech from espeak-ng, burned-in Chinese subtitles, a watermark)."""
    from vidscribe.samples import DEMO, make_clip

    make_clip(DEMO, out)
    click.echo(str(out))


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table of all settings (as in the README).")
def settings_command(markdown: bool) -> None:
    """Show every setting: its environment variable, option, and the value in effect here."""
    if markdown:
        click.echo("| Environment variable | Option | Default | Meaning |\n|---|---|---|---|")
        for env, option, default, help_text in describe():
            click.echo(f"| `{env}` | `{option}` | {f'`{default}`' if default else ''} | {help_text} |")
        return
    current = Settings.load()
    for env, option, _, _ in describe():
        name = option[2:].replace("-", "_")
        click.echo(f"{env}={getattr(current, name) if getattr(current, name) is not None else ''}")


def main() -> None:
    cli(prog_name="vidscribe")
