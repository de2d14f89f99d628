"""Listings in the `vidscribe` CLI: `process` and `enqueue` expand channel, account, playlist and
feed URLs into their entries (`expand_sources`), and `watch add|list|remove` (registered on
`vidscribe.cli.cli` when that module loads)."""

from __future__ import annotations

import traceback
from collections.abc import Mapping

import click

from vidscribe.cli import QUEUE_CLIENT, cli, settings_options
from vidscribe.errors import VidscribeError
from vidscribe.listings.choose import Choice
from vidscribe.listings.runs import ListingOptions, Source, Taken, expand_each
from vidscribe.redact import redact_text
from vidscribe.settings import Settings
from vidscribe.terminal import exact_line, one_line
from vidscribe.transcripts.store import Store


def expand_sources(items: list[str], settings: Settings, store: Store, by: str, debug: bool = False,
                   force: bool = False) -> tuple[list[Source], int]:
    """Each item as it is, or a listing's entries in its place (one summary line per listing on
    stderr); and how many listings could not be read (each reported on one `error:` line).
    With `force`, entries already stored are taken too."""
    out: list[Source] = []
    failures = 0
    for expansion in expand_each(items, settings, store, by, force=force):
        if expansion.error is not None:
            failures += 1
            e = expansion.error
            if debug:
                click.echo("".join(traceback.format_exception(e)).rstrip(), err=True)
            reason = str(e) if isinstance(e, VidscribeError) else \
                f"{expansion.item}: internal error: {type(e).__name__}: {e}"
            click.echo(f"error: {reason}", err=True)
            continue
        if expansion.taken is not None:
            click.echo(summary_line(expansion.taken), err=True)
        out += expansion.sources
    return out, failures


def summary_line(taken: Taken) -> str:
    """`listing <id> <url>: 12 entries, 3 taken, 9 skipped (8 already in the store, 1 over --max-entries)`."""
    choice = taken.choice
    line = (f"listing {taken.run.listing_id} {exact_line(redact_text(taken.listing.url))}: "
            f"{len(taken.listing.entries)} entries, {len(choice.taken)} taken")
    reasons = _reason_counts(choice)
    if reasons:
        line += f", {len(choice.skipped)} skipped ({reasons})"
    if choice.undated:
        line += f", {len(choice.undated)} taken without a known upload date"
    if taken.listing.refused:
        first = next(iter(taken.listing.refused.values()))
        line += f", {len(taken.listing.refused)} refused ({one_line(first)})"
    return line


def _reason_counts(choice: Choice) -> str:
    counts: dict[str, int] = {}
    for reason in choice.skipped.values():
        counts[reason] = counts.get(reason, 0) + 1
    return ", ".join(f"{n} {reason}" for reason, n in counts.items())


def record_listed_account(store: Store, video_id: str, account: Mapping[str, str] | None) -> None:
    if account:
        from vidscribe.listings.account import record_account

        record_account(store, video_id, account)


# -- watch ------------------------------------------------------------------------------------------

WATCH_CLIENT = (*QUEUE_CLIENT, "listing")


@cli.group()
def watch() -> None:
    """Listings (channels, accounts, playlists, feeds) re-checked on a schedule by the workers:
    each round queues only the entries no earlier run of the listing returned. Needs a running
    `vidscribe worker` (it runs RQ's scheduler) serving the download queue."""


@watch.command("add")
@click.argument("url")
@click.option("--every", default="6h", show_default=True, metavar="INTERVAL",
              help="Time between rounds: 90s, 30m, 6h, 1d.")
@settings_options(WATCH_CLIENT, names=("allow_private_urls",))
def watch_add(url: str, every: str, settings: Settings) -> None:
    """Watch URL: its first round is queued now, then one every INTERVAL. The listing options
    (--max-entries, --since, --until, --skip-stored) are kept with the watch. Adding it again
    changes them and checks it now."""
    from vidscribe.listings.watch import add_watch, format_every, parse_every
    from vidscribe.queue.connection import connect

    seconds = parse_every(every)
    conn = connect(settings.redis_url)
    added = add_watch(conn, settings, url, seconds, ListingOptions.from_settings(settings))
    click.echo(f"{added.listing_id}\t{exact_line(added.url)}\tevery {format_every(added.every)}")


@watch.command("list")
@settings_options(QUEUE_CLIENT)
def watch_list(settings: Settings) -> None:
    """Every watch: listing ID, URL, interval, the last round's time and outcome (a failure with its
    reason), entries seen so far, and where its next round stands in Redis."""
    from vidscribe.listings.ledger import ListingLedger
    from vidscribe.listings.watch import format_every, schedule_state, watches
    from vidscribe.queue.connection import connect

    try:
        conn = connect(settings.redis_url)
    except VidscribeError as e:
        conn = None
        click.echo(f"note: {e}; showing the store only", err=True)
    ledger = ListingLedger(settings.data)
    for item in watches(settings):
        record = ledger.read(item.listing_id) or {}
        last = record.get("last_run_at") or "never"
        outcome = record.get("last_status") or "-"
        if record.get("last_error"):
            outcome += f": {record['last_error']}"
        state = schedule_state(conn, item) if conn is not None else "Redis unreachable"
        fields = [item.listing_id, item.url, f"every {format_every(item.every)}", f"last {last} {outcome}",
                  f"{len(record.get('entries') or {})} entries seen", state]
        click.echo("\t".join(exact_line(redact_text(str(f))) for f in fields))


@watch.command("remove")
@click.argument("which", metavar="URL|LISTING_ID")
@settings_options(QUEUE_CLIENT)
def watch_remove(which: str, settings: Settings) -> None:
    """Stop watching. The listing's record and runs stay, and so does every video it led to."""
    from vidscribe.listings.watch import remove_watch
    from vidscribe.queue.connection import connect

    try:
        conn = connect(settings.redis_url)
    except VidscribeError as e:
        conn = None
        click.echo(f"note: {e}; the watch file is removed, its job stays in Redis until its next round", err=True)
    removed = remove_watch(conn, settings, which)
    click.echo(f"{removed.listing_id}\t{exact_line(removed.url)}\tremoved")
