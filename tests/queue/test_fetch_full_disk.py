"""A fetch job on a full disk fails with the media stage's one line, for good: the source ledger it
writes before, after and on failure of the fetch is part of the data root. Found by bench/soak.py's
disk-full run (two workers filling one tmpfs): a ledger write that hit ENOSPC escaped as a raw OSError,
so the job was retried with back-off and logged with a traceback, and on a failed fetch it replaced
the reason the fetch failed."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from vidscribe.errors import VidscribeError
from vidscribe.queue import jobs
from vidscribe.transcripts.sources import SourceLedger, SourceRecord

FULL = "No space left on device"


@pytest.fixture()
def full_ledger(monkeypatch: pytest.MonkeyPatch):
    """Make the source ledger's writes of records in the given status fail as on a full disk."""
    put = SourceLedger.put

    def fill(status: str) -> None:
        def failing_put(self: SourceLedger, record: SourceRecord) -> SourceRecord:
            if record.status == status:
                raise OSError(errno.ENOSPC, FULL)
            return put(self, record)

        monkeypatch.setattr(SourceLedger, "put", failing_put)

    return fill


@pytest.mark.parametrize("status", ["running", "done"])
def test_a_ledger_write_on_a_full_disk_is_the_one_line_data_root_error(status, full_ledger, clips, data_root: Path):
    full_ledger(status)
    with pytest.raises(VidscribeError) as raised:
        jobs.fetch_job(str(clips["small"]), str(data_root))
    assert raised.value.permanent  # as the media stage's own full disk: retrying on a timer does not free space
    assert str(raised.value) == f"{clips['small']}: cannot write to {data_root} (the data root): {FULL}"


def test_a_failed_fetch_keeps_its_reason_when_the_ledger_cannot_record_it(full_ledger, clips, data_root: Path):
    full_ledger("failed")
    with pytest.raises(VidscribeError) as raised:
        jobs.fetch_job(str(clips["text"]), str(data_root))
    assert "not a readable media file" in str(raised.value) and raised.value.permanent
