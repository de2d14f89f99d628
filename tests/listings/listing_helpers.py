"""What the listing tests share: `vidscribe process` in-process, and the video IDs it printed."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from vidscribe.cli import cli


def run(args: list[str], data: Path, private: bool = True) -> Result:
    """`vidscribe process --stage media ARGS` on the data root `data` (loopback URLs allowed unless not `private`)."""
    base = ["process", "--data", str(data), "--stage", "media"]
    if private:
        base.append("--allow-private-urls")
    return CliRunner().invoke(cli, [*base, *args], catch_exceptions=False)


def ids(result: Result) -> list[str]:
    """The video IDs `process` printed, one per line before a tab."""
    return [line.split("\t")[0] for line in result.stdout.splitlines()]
