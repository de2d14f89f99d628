"""A module that is not vidscribe's: a job naming it as a callback must never get it imported or
called by a worker. Importing it and calling `hook` each leave a line in the file that
VIDSCRIBE_TEST_FOREIGN_MARKER names."""

from __future__ import annotations

import os


def _mark(what: str) -> None:
    path = os.environ.get("VIDSCRIBE_TEST_FOREIGN_MARKER")
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(what + "\n")


_mark("imported")


def hook(*args: object, **kwargs: object) -> None:
    _mark("called")
