"""The speech stage: what was said, word by word, with timestamps (faster-whisper).

Writes nothing itself: returns `speech` for transcript.json (the store renders `speech.srt`,
`speech.vtt` and `speech.txt` from it). The transcription is `vidscribe.speech.transcribe`'s, the model
(loaded once per process, with its identity) `vidscribe.speech.model`'s.
"""

from __future__ import annotations

import logging

from vidscribe.speech.model import TEST_MODEL_KEY, get_loaded, resolve_spec
from vidscribe.speech.transcribe import DecodeOptions, read_audio, transcribe
from vidscribe.stage import Stage, StageContext, StageOutput

log = logging.getLogger(__name__)

# 2: the speech track names its model's source and model.bin SHA-256, and test models
# 3: language detected per window among VIDSCRIBE_ASR_LANGUAGES and voted over the clip (a language per
#    segment); known hallucinations removed last
VERSION = "3"


def run(ctx: StageContext) -> StageOutput:
    if ctx.audio_path is None:
        return StageOutput(skipped="no audio stream")
    options = DecodeOptions.from_settings(ctx.settings)
    spec = resolve_spec(ctx.settings)
    audio = read_audio(ctx.audio_path)
    model = get_loaded(spec)
    if model.identity.test_model:
        log.warning("speech model %s is a test model (%s in its config.json): its text is scripted, not "
                    "recognised speech; the transcript of %s records test_model: true",
                    model.identity.source, TEST_MODEL_KEY, ctx.video_id)
    speech = transcribe(model, audio, options, duration=ctx.transcript.video.duration, progress=ctx.progress)
    return StageOutput(changes={"speech": speech})


STAGE = Stage(name="speech", version=VERSION, run=run, queue="speech")
