"""The align stage: runs after speech and subtitles, on whichever of the two tracks exists."""

from __future__ import annotations

from vidscribe.align.core import align
from vidscribe.stage import Stage, StageContext, StageOutput

VERSION = "1"

# Agreement always compares in simplified script, whatever `chinese_script` stored: t2s folds
# variants many-to-one, so mixed traditional/simplified text meets on one form (s2t cannot
# promise that, and "none" would count every script difference as a disagreement).
COMPARE_SCRIPT = "t2s"


def run(ctx: StageContext) -> StageOutput:
    t = ctx.transcript
    lines = align(t.speech, t.subtitles, t.video.duration, compare_script=COMPARE_SCRIPT)
    ctx.progress(1.0)
    # aligned.srt/.vtt and transcript.md are rendered by the store from the saved transcript.
    return StageOutput(changes={"aligned": lines})


STAGE = Stage(name="align", version=VERSION, run=run, after=("speech", "subtitles"), queue="post")
