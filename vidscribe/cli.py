"""The `vidscribe` command: a thin click layer over the library.

Every setting is an option generated from `Settings` (and the matching VIDSCRIBE_* variable).
A user's mistake is one line on stderr and a non-zero exit; `--debug` adds tracebacks.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn

import click

from vidscribe import __version__, pipeline
from vidscribe.errors import VidscribeError
from vidscribe.redact import redact_text
from vidscribe.settings import Settings, base_type, current_values, env_name, fields_in, format_value, markdown_table
from vidscribe.terminal import exact_line
from vidscribe.transcripts.model import StageRecord
from vidscribe.transcripts.store import Store

# Which settings each command lists: only those that change what it does.
STORE = ("store",)  # the data root
PROCESS_GROUPS = ("store", "media", "speech", "subtitles", "text", "analysis")
QUEUE_CLIENT = ("store", "queue")  # commands that talk to Redis and the store, never fetch or transcribe
WORKER_GROUPS = (*PROCESS_GROUPS, "queue", "worker")
SERVE_GROUPS = ("store", "queue", "serve")  # reads the store, queues work, listens
EXIT_BROKEN_PIPE = 128 + 13  # what a shell reports for `cat` killed by SIGPIPE
_LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def settings_options(groups: Iterable[str], names: Iterable[str] = ()
                     ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add one option per setting in `groups` (and each setting in `names`); the command receives
    them bundled as `settings`, the others at their environment or default values."""
    fields = fields_in(groups, names)

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
            default = format_value(f.name, f.default) or "none"
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

    def download(self, done: int, total: int | None) -> None:
        if not self.tty:
            return
        mib = done / 1024**2
        if total:
            text = f"    downloading {mib:.1f}/{total / 1024**2:.1f} MiB ({100 * done / total:.0f}%)"
        else:
            text = f"    downloading {mib:.1f} MiB"
        click.echo("\r" + text.ljust(60), nl=False, err=True)

    def stage_started(self, video_id: str, stage: str) -> None:
        if self.tty:
            click.echo(f"\r  {stage} ...".ljust(60), nl=False, err=True)

    def stage_finished(self, video_id: str, stage: str, record: StageRecord) -> None:
        mark = {"done": "ok", "skipped": "skipped", "failed": "FAILED"}[record.status]
        line = f"  {stage}: {mark} ({record.seconds:.1f} s)"
        if record.error:
            line += f": {record.error}"
        click.echo(("\r" if self.tty else "") + line.ljust(60 if self.tty else 0), err=True)


def _stdout_closed() -> NoReturn:
    """The reader of stdout went away (`| head`): stop quietly, as `cat` does; later writes go to /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (a test's capture): nothing to redirect
        pass
    sys.exit(EXIT_BROKEN_PIPE)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except BrokenPipeError:
            _stdout_closed()
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
    # Warnings on stderr (--debug: everything); the worker, a service, adds its INFO lines with times.
    service = ctx.invoked_subcommand == "worker"
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(message)s" if service else _LOG_FORMAT)
    if service:
        logging.getLogger("vidscribe").setLevel(logging.DEBUG if debug else logging.INFO)


_TRAILING_COMMENT = re.compile(r"\s+#.*$")  # "clip.mp4  # note"; "https://x/#/video/1" keeps its fragment


def source_lines(lines: Iterable[str]) -> list[str]:
    """Sources from the lines of a --from-file: blank lines and `#` comments (a line starting with
    `#`, or a `#` after whitespace) dropped."""
    stripped = (_TRAILING_COMMENT.sub("", line.strip()) for line in lines)
    return [text for text in stripped if text and not text.startswith("#")]


def _read_sources(sources: tuple[str, ...], from_file: str | None) -> list[str]:
    items = list(sources)
    if from_file:
        try:
            stream = click.open_file(from_file, encoding="utf-8")
        except OSError as e:
            raise click.UsageError(f"cannot read --from-file {from_file}: {e.strerror}") from None
        with stream:
            items += source_lines(stream)
    return items


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--from-file", "from_file", metavar="FILE", help="Read sources from FILE, one per line "
              "('-' for stdin; # starts a comment).")
@click.option("--stage", "stages", multiple=True, metavar="STAGE",
              help=f"Run only these stages after fetching (repeatable; 'media' alone just fetches): "
              f"{', '.join([pipeline.MEDIA_STAGE, *pipeline.stage_names()])}. Default: all.")
@click.option("--force", is_flag=True, help="Download again even if the media is already stored.")
@settings_options((*PROCESS_GROUPS, "listing"))
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
    store.check_writable()  # a read-only or non-directory --data is one line, before any download
    reporter = ConsoleReporter()
    from vidscribe.cli_listings import expand_sources, record_listed_account

    sources, unlisted = expand_sources(items, settings, store, "process", ctx.obj.get("debug", False), force=force)
    failures = unlisted
    for source, account in sources:
        click.echo(exact_line(redact_text(source)), err=True)
        try:
            transcript = pipeline.process(source, settings, store, stages=chosen, reporter=reporter,
                                          force=force)
        except Exception as e:  # one source never stops the batch, whatever went wrong with it
            failures += 1
            if ctx.obj.get("debug"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            reason = str(e) if isinstance(e, VidscribeError) else f"{source}: internal error: {type(e).__name__}: {e}"
            click.echo(f"error: {reason}", err=True)
            continue
        record_listed_account(store, transcript.video.id, account)
        failed = pipeline.failed_stages(transcript)
        failures += bool(failed)
        folder = store.transcript_dir(transcript.video.id)
        click.echo(f"{transcript.video.id}\t{folder}")
        for name, reason in failed:
            click.echo(f"error: {source}: {name} stage failed: {reason}", err=True)
    total = len(sources) + unlisted  # a listing that could not be read counts as one failed source
    if total > 1 or len(items) > 1:
        click.echo(f"{total} sources: {total - failures} done, {failures} failed", err=True)
    if failures:
        ctx.exit(1)


@cli.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path), default="samples/demo.mp4")
def sample(out: Path) -> None:
    """Generate the demo clip (speech from espeak-ng, burned-in Chinese subtitles, a watermark)."""
    from vidscribe.samples import DEMO, make_clip

    make_clip(DEMO, out)
    click.echo(str(out))


# -- queue commands ------------------------------------------------------------------------------

def _connect(settings: Settings) -> Any:
    from vidscribe.queue.connection import connect

    return connect(settings.redis_url)


def _wait(conn: Any, job_ids: list[str]) -> int:
    from vidscribe.queue.follow import wait

    return wait(conn, job_ids, sys.stderr)


def _report(submissions: list[Any]) -> list[str]:
    ids = []
    for sub in submissions:
        click.echo(sub.line())
        ids += list(sub.job_ids)
    return ids


@cli.command()
@click.argument("sources", nargs=-1)
@click.option("--from-file", "from_file", metavar="FILE",
              help="Read sources from FILE, one per line ('-' for stdin; # starts a comment).")
@click.option("--force", is_flag=True, help="Fetch and process again even if already processed.")
@click.option("--wait", is_flag=True, help="Show progress until every queued job has ended.")
@settings_options((*QUEUE_CLIENT, "listing"), names=("allow_private_urls", "cookies", "proxy", "socket_timeout"))
@click.pass_context
def enqueue(ctx: click.Context, sources: tuple[str, ...], from_file: str | None, force: bool, wait: bool,
            settings: Settings) -> None:
    """Queue SOURCES for the workers: one line per source with its video ID (when known; always
    for a local file, queued by its absolute path) and 'queued' or the reason it was refused. The
    same source is not queued twice. Download and stage settings are the workers' own.

    A channel, account, playlist, feed or page URL is listed here (with these cookies and proxy),
    and each entry it gives is queued as a source."""
    from vidscribe.queue import graph

    items = _read_sources(sources, from_file)
    if not items:
        raise click.UsageError("give at least one SOURCE (or --from-file)")
    conn = _connect(settings)
    from vidscribe.cli_listings import expand_sources

    listed, unlisted = expand_sources(items, settings, Store(settings.data), "enqueue", ctx.obj.get("debug", False),
                                      force=force)
    submissions = [graph.submit(conn, settings, item, force=force, account=account) for item, account in listed]
    job_ids = _report(submissions)
    failed = _wait(conn, job_ids) if wait and job_ids else 0
    if failed or unlisted or any(s.refused and not s.refused.startswith("already") for s in submissions):
        ctx.exit(1)


@cli.command()
@click.option("--queues", default=",".join(["post", "subtitles", "speech", "download"]), show_default=True,
              help="Comma-separated queues to serve, in priority order.")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None, help="Worker name (default: RQ's).")
@settings_options(WORKER_GROUPS)
def worker(queues: str, burst: bool, name: str | None, settings: Settings) -> None:
    """Run an RQ worker. Models load once per worker process and stay loaded between jobs. Logs
    a line when it starts and one per job on stderr.

    Stage settings (models, engines, limits) are the worker's own: its VIDSCRIBE_* variables and
    these options. The data root comes with each job, from the command that queued it."""
    from vidscribe.worker import run_worker

    conn = _connect(settings)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    run_worker(conn, settings, names, burst=burst, name=name)


@cli.command()
@click.argument("video_id", required=False)
@settings_options(QUEUE_CLIENT)
def status(video_id: str | None, settings: Settings) -> None:
    """Counts per stage and state, and failed videos with their reasons; or one video's stages.
    Read from the store, so it stays right when Redis is flushed or restarted."""
    from vidscribe.queue.status import summarise, video_lines

    store = Store(settings.data)
    if video_id:
        for line in video_lines(store, video_id):
            click.echo(line)
        return
    try:
        conn = _connect(settings)
    except VidscribeError as e:
        conn = None
        click.echo(f"note: {e}; showing the store only", err=True)
    for line in summarise(store, conn).lines():
        click.echo(line)


@cli.command()
@click.argument("video_ids", nargs=-1)
@click.option("--stage", default=None, metavar="STAGE",
              help=f"Stage to run again ({', '.join(pipeline.stage_names())}), with the stages after it. "
              "Default (with --failed/--unfinished): each video's first missing or failed stage.")
@click.option("--all", "all_videos", is_flag=True, help="Every stored video.")
@click.option("--failed", is_flag=True, help="Videos with a failed stage.")
@click.option("--unfinished", is_flag=True, help="Videos with a stage that never finished (e.g. lost "
              "with Redis), and sources never fetched.")
@click.option("--before-version", metavar="V", help="Videos whose STAGE ran with a version older than V.")
@click.option("--wait", is_flag=True, help="Show progress until every queued job has ended.")
@settings_options(QUEUE_CLIENT)
@click.pass_context
def reprocess(ctx: click.Context, video_ids: tuple[str, ...], stage: str | None, all_videos: bool, failed: bool,
              unfinished: bool, before_version: str | None, wait: bool, settings: Settings) -> None:
    """Run a stage again over stored media, never downloading again. The previous outputs stay
    readable until the new ones are complete."""
    from vidscribe.queue import graph

    if stage is not None:
        if stage == pipeline.MEDIA_STAGE:
            raise click.UsageError("the media stage is not re-run from stored media; use "
                                   "`vidscribe enqueue --force SOURCE`")
        pipeline.get_stage(stage)
    if before_version and not stage:
        raise click.UsageError("--before-version needs --stage")
    if not (video_ids or all_videos or failed or unfinished or before_version):
        raise click.UsageError("name VIDEO_IDs or choose --all, --failed, --unfinished or --before-version")
    if stage is None and (video_ids or all_videos):
        raise click.UsageError("--stage is needed with VIDEO_IDs or --all")
    store = Store(settings.data)
    chosen = list(video_ids) + graph.select_videos(store, all_videos=all_videos, failed=failed,
                                                   unfinished=unfinished, before_version=before_version,
                                                   stage=stage)
    conn = _connect(settings)
    submissions = graph.reprocess(conn, settings, dict.fromkeys(chosen), stage)
    if unfinished:
        submissions += graph.requeue_sources(conn, settings, {"queued", "running"})
    if not submissions:
        click.echo("nothing to reprocess", err=True)
    job_ids = _report(submissions)
    if (_wait(conn, job_ids) if wait and job_ids else 0) or any(
            s.refused and not s.refused.startswith("nothing") for s in submissions):
        ctx.exit(1)


@cli.command("retry-failed")
@click.option("--wait", is_flag=True, help="Show progress until every queued job has ended.")
@settings_options(QUEUE_CLIENT)
@click.pass_context
def retry_failed(ctx: click.Context, wait: bool, settings: Settings) -> None:
    """Queue again every failed fetch and every video with a failed stage (from that stage on)."""
    from vidscribe.queue import graph

    store = Store(settings.data)
    conn = _connect(settings)
    submissions = graph.reprocess(conn, settings, graph.select_videos(store, failed=True))
    submissions += graph.requeue_sources(conn, settings, {"failed"})
    if not submissions:
        click.echo("no failed videos or sources", err=True)
    job_ids = _report(submissions)
    if wait and job_ids and _wait(conn, job_ids):
        ctx.exit(1)


@cli.command()
@settings_options(SERVE_GROUPS, names=("allow_private_urls",))
def serve(settings: Settings) -> None:
    """Serve the web viewer and the HTTP API over the corpus (one process; Redis optional: without
    it the corpus is browsed read-only). Listens on loopback unless --host says otherwise."""
    from vidscribe.serve import run

    run(settings)


@cli.command("settings")
@click.option("--markdown", is_flag=True, help="Print the table of all settings (as in the README).")
def settings_command(markdown: bool) -> None:
    """Show every setting: its environment variable, option, and the value in effect here (in the
    notation the variable takes: 0/1, 2G)."""
    click.echo(markdown_table() if markdown else "\n".join(current_values(Settings.load())))


def main() -> None:
    """The `vidscribe` program. A reader of stdout that goes away (`| head`) ends it quietly, also
    when the last output is only flushed at exit."""
    try:
        try:
            cli(prog_name="vidscribe")
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        _stdout_closed()


from vidscribe import (  # noqa: E402  (each registers its commands on `cli`)
    cli_bundle,  # noqa: F401  (bundle, verify)
    cli_clusters,  # noqa: F401  (clusters)
    cli_corpus,  # noqa: F401  (show, search, index, export)
    cli_listings,  # noqa: F401  (watch add/list/remove)
)
