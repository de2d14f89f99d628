"""The speech stage with a real model: OpenAI's Whisper base (tests/real_whisper.py), int8 on 2 CPU
threads, on short espeak-ng clips. Exact text is the tiny scripted model's job (test_speech_stage.py);
these check what only a real model shows: recognised words where the speech is, detection kept to
the candidates, and no text on music, noise, silence, applause or wordless singing.

Whisper base hears espeak-ng's Russian as something else about half the time (bench/speech_quality.py),
so the Russian checks force the language or check only what holds whatever it hears; English
espeak-ng speech it detects with a restricted probability of ~0.999.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import real_whisper
from speech_helpers import SR, silence, write_wav

from vidscribe.settings import Settings
from vidscribe.speech import STAGE
from vidscribe.speech.model import get_loaded, resolve_spec
from vidscribe.speech.postprocess import timing_problems
from vidscribe.speech.transcribe import DecodeOptions, decode, transcribe

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from speech_quality import applause, music, normalise, pink_noise, vocalise  # noqa: E402

pytestmark = pytest.mark.slow

# Word times from Whisper's cross-attention alignment are off by up to a few tenths of a second, and
# VAD pads speech by 0.4 s: a word this far outside what was said is in the wrong place.
WORD_SLACK = 0.6


def base_settings(model: Path, **overrides) -> Settings:
    return Settings(**{"asr_model": str(model), "asr_device": "cpu", "asr_compute_type": "int8",
                       "asr_cpu_threads": 2, **overrides})


@pytest.fixture(scope="module")
def russian(voices) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Russian speech, music, Russian speech: the audio and where the speech is."""
    rng = np.random.default_rng(1)
    parts = [silence(0.5), voices["ru"], music(3.0, rng), voices["ru"], silence(0.5)]
    audio = np.concatenate(parts)
    first = (0.5, 0.5 + len(voices["ru"]) / SR)
    second = (first[1] + 3.0, first[1] + 3.0 + len(voices["ru"]) / SR)
    return audio, [first, second]


def test_the_stage_recognises_russian_where_it_was_said(whisper_base, russian, make_context, tmp_path) -> None:
    audio, said = russian
    wav = write_wav(tmp_path / "audio.wav", audio)
    settings = base_settings(whisper_base, asr_language="ru")
    speech = STAGE.run(make_context(settings, wav, duration=len(audio) / SR)).changes["speech"]
    text = " ".join(normalise(" ".join(s.text for s in speech.segments)))
    assert text.count("контракт") == 2  # "Служба по контракту. Зарплата двести тысяч рублей.", twice
    assert timing_problems(speech.segments, len(audio) / SR) == []
    for word in (w for s in speech.segments for w in s.words):
        assert any(a - WORD_SLACK <= word.start and word.end <= b + WORD_SLACK for a, b in said), word
    assert (speech.model_sha256, speech.test_model) == (real_whisper.MODEL_SHA256, False)
    assert speech.model_source == str(whisper_base.resolve())
    assert (speech.language, speech.language_probability) == ("ru", None)


def test_detection_hears_english_and_never_leaves_the_candidates(whisper_base, voices, russian) -> None:
    settings = base_settings(whisper_base)  # default VIDSCRIBE_ASR_LANGUAGES: ru,zh,en,uk
    loaded = get_loaded(resolve_spec(settings))
    english = transcribe(loaded, np.concatenate([silence(0.5), voices["en"], silence(0.5)]),
                         DecodeOptions.from_settings(settings))
    assert english.language == "en" and english.language_probability > 0.9
    assert {"army", "contract"} <= set(normalise(" ".join(s.text for s in english.segments)))
    decoded = decode(loaded.whisper, russian[0], DecodeOptions.from_settings(settings))
    # Unrestricted, Whisper base calls this Polish or German; restricted, it can only be a candidate.
    assert decoded.language in settings.asr_language_codes
    assert decoded.segments and {s.language for s in decoded.segments} <= set(settings.asr_language_codes)


VOCALISE_GAP = pytest.mark.xfail(
    reason="known gap (issue 13): sampling at the fallback temperatures is random; with drop_exhausted about 1 run "
           "in 8 still writes text over 10 s of wordless singing (seen: 'No, no, no, no, no, no, no.')",
    strict=False)


@pytest.mark.parametrize("kind", ["music", "noise", "silence", "applause",
                                  pytest.param("vocalise", marks=VOCALISE_GAP)])
def test_no_text_on_non_speech(whisper_base, kind) -> None:
    """Silero VAD keeps music, noise, silence and applause from the decoder; wordless singing over
    music passes VAD, and Whisper's no-speech check (with the list of known hallucinations after it)
    leaves no text either."""
    rng = np.random.default_rng(7)
    make = {"music": music, "noise": pink_noise, "applause": applause, "vocalise": vocalise,
            "silence": lambda seconds, rng: silence(seconds)}[kind]
    audio = make(10.0, rng)
    settings = base_settings(whisper_base)
    speech = transcribe(get_loaded(resolve_spec(settings)), audio, DecodeOptions.from_settings(settings))
    assert speech.segments == [], [s.text for s in speech.segments]
    assert (speech.language, speech.language_probability) == (None, None)  # nothing said, no language claimed


@pytest.mark.xfail(reason="known gap (issue 13's bench notes): on 4 s of wordless singing over music Whisper base "
                          "writes 'Bumble and Arthomper and Arthomper ...' at temperature 0 (average log probability "
                          "-0.73, no-speech probability 0.33), which neither the no-speech check nor the "
                          "hallucination-silence skip stops; 10 s of the same is held off (test above)",
                   strict=False)
def test_no_text_on_short_wordless_singing(whisper_base) -> None:
    audio = vocalise(4.0, np.random.default_rng(7))
    settings = base_settings(whisper_base)
    speech = transcribe(get_loaded(resolve_spec(settings)), audio, DecodeOptions.from_settings(settings))
    assert speech.speech_duration and speech.speech_duration > 3.0  # VAD passed it to the decoder
    assert speech.segments == [], [s.text for s in speech.segments]
