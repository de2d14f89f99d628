"""Run the vidscribe CLI and SIGKILL it just before a chosen rename: a crash at a known point.

    python killhook.py PATTERN [vidscribe arguments...]

Every `os.replace` (atomic writes, atomic moves, yt-dlp's own renames) goes on as usual until one
whose destination matches the fnmatch PATTERN: there the process kills itself, leaving exactly what
a power cut or an OOM kill at that point would leave.
"""

from __future__ import annotations

import fnmatch
import os
import signal
import sys


def main() -> None:
    pattern = sys.argv[1]
    real_replace = os.replace

    def replace(src, dst, *args, **kwargs):  # type: ignore[no-untyped-def]
        if fnmatch.fnmatch(os.path.abspath(os.fspath(dst)), pattern):
            os.kill(os.getpid(), signal.SIGKILL)
        return real_replace(src, dst, *args, **kwargs)

    os.replace = replace
    sys.argv = ["vidscribe", *sys.argv[2:]]
    from vidscribe.cli import main as vidscribe

    vidscribe()


if __name__ == "__main__":
    main()
