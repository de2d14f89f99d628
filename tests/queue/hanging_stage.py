"""A subtitles stage that never ends by itself (stands in for a slow or stuck OCR run), so a test
can kill its worker mid-job or let the job run past its time limit."""

from __future__ import annotations

import time

from vidscribe.stage import Stage, StageContext, StageOutput

HANG_SECONDS = 3600


def _hang(ctx: StageContext) -> StageOutput:
    time.sleep(HANG_SECONDS)
    return StageOutput()


STAGE = Stage(name="subtitles", version="hanging", run=_hang, queue="subtitles")
