"""The fingerprint stage: what `vidscribe clusters` finds reposts by. PDQ hashes of the pictures
(`pictures`) and MinHash sketches of the subtitle and speech text (`text`), after speech and
subtitles, on the post queue. The text part is a pure function of the transcript; only the picture
part reads the media."""

from __future__ import annotations

from vidscribe.fingerprint.pictures import ALGORITHM, SAMPLE_EVERY, picture_hashes
from vidscribe.fingerprint.text import PERMUTATIONS, SHINGLE, sketches
from vidscribe.stage import Stage, StageContext, StageOutput
from vidscribe.transcripts.model import Fingerprint

VERSION = "1"


def run(ctx: StageContext) -> StageOutput:
    t = ctx.transcript
    variants: list[str] = []
    frames = []
    if t.video.has_video is not False:
        variants, frames = picture_hashes(ctx.media_path, SAMPLE_EVERY)
    ctx.progress(0.9)
    fingerprint = Fingerprint(algorithm=ALGORITHM, variants=variants, frames=frames, texts=sketches(t),
                              sample_every=SAMPLE_EVERY, shingle=SHINGLE, permutations=PERMUTATIONS)
    ctx.progress(1.0)
    return StageOutput(changes={"fingerprint": fingerprint})


STAGE = Stage(name="fingerprint", version=VERSION, run=run, after=("speech", "subtitles"), queue="post")
