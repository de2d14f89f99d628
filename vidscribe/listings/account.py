"""The account a video was listed under, recorded on its transcript where its own metadata says
nothing (a feed's direct media links carry no uploader; a platform's video does, and is kept)."""

from __future__ import annotations

from collections.abc import Mapping

from vidscribe.transcripts.model import Transcript
from vidscribe.transcripts.store import Store

ACCOUNT_FIELDS = ("uploader", "uploader_id", "channel_url")


def fill_account(transcript: Transcript, account: Mapping[str, str]) -> bool:
    """Set each account field the video lacks from `account`; True if anything changed."""
    changed = False
    for name in ACCOUNT_FIELDS:
        value = account.get(name)
        if isinstance(value, str) and value and getattr(transcript.video, name) is None:
            setattr(transcript.video, name, value)
            changed = True
    return changed


def record_account(store: Store, video_id: str, account: Mapping[str, str]) -> None:
    """`fill_account` on the stored transcript, under the video's lock (saved only if it changed)."""
    if not account:
        return
    with store.locked(video_id):
        transcript = store.load(video_id)
        if fill_account(transcript, account):
            store.save(transcript)
