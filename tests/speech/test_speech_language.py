"""Language identification: restricted to the candidates, chosen per window, voted over the clip.

The pure rules first; then `decode` through faster-whisper's real multilingual decoding on a tiny
model, whose CTranslate2 language detection answers from a script (`ScriptedDetection`): the
detector, the vote and the re-decoding are the real ones, only what Whisper "heard" is scripted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from speech_helpers import silence, tiny_settings

from vidscribe.errors import ConfigError
from vidscribe.speech.language import SWITCH_PROBABILITY, Detection, LanguageDetector, choose, restrict, vote
from vidscribe.speech.model import get_loaded, resolve_spec
from vidscribe.speech.transcribe import DecodeOptions, decode, transcribe

# -- the rules ---------------------------------------------------------------------------------


def test_restrict_keeps_the_candidates_renormalised() -> None:
    ranked = [("pl", 0.7), ("de", 0.2), ("ru", 0.06), ("en", 0.04)]
    assert restrict(ranked, ("ru", "en")) == pytest.approx({"ru": 0.6, "en": 0.4})
    assert restrict(ranked, ("ru", "zh")) == pytest.approx({"ru": 1.0, "zh": 0.0})
    assert restrict(ranked, ()) == pytest.approx(dict(ranked))  # no candidates: every language
    assert restrict(ranked, ("zh", "uk")) == {"zh": 0.5, "uk": 0.5}  # nothing for them: even


def test_a_window_switches_only_when_sure() -> None:
    assert choose({"ru": 0.4, "en": 0.6}, prior=None) == "en"  # no vote yet: its own top language
    assert choose({"ru": 0.4, "en": 0.6}, prior="ru") == "ru"  # unsure: the vote so far
    sure = {"ru": 1 - SWITCH_PROBABILITY, "en": SWITCH_PROBABILITY}
    assert choose(sure, prior="ru") == "en"
    assert Detection(sure, "en").sure and not Detection({"ru": 0.4, "en": 0.6}, "ru").sure


def test_the_vote_weighs_windows_by_their_speech() -> None:
    assert vote([({"ru": 0.6, "en": 0.4}, 20.0), ({"ru": 0.1, "en": 0.9}, 5.0)]) == \
        pytest.approx(("ru", (0.6 * 20 + 0.1 * 5) / 25))
    assert vote([({"ru": 0.6, "en": 0.4}, 2.0), ({"ru": 0.1, "en": 0.9}, 10.0)])[0] == "en"
    assert vote([({"ru": 1.0}, 0.0)]) is None and vote([]) is None


def test_the_detector_answers_faster_whisper_with_its_choice_first() -> None:
    class Model:
        is_multilingual = True

        def detect_language(self, encoder_output: Any) -> list[list[tuple[str, float]]]:
            return [[("<|pl|>", 0.7), ("<|ru|>", 0.2), ("<|en|>", 0.1)]]

    detector = LanguageDetector(Model(), ("ru", "en"), prior=lambda: None)
    ((first, p), *rest), = detector.detect_language("features")
    assert (first, p) == ("<|ru|>", pytest.approx(2 / 3)) and [t for t, _ in rest] == ["<|en|>"]
    assert detector.detections == [Detection(pytest.approx({"ru": 2 / 3, "en": 1 / 3}), "ru")]
    assert detector.weights == [0.0] and detector.is_multilingual  # everything else passes through


# -- decode, through faster-whisper's multilingual decoding ------------------------------------------

@dataclass
class Judged:
    """A CTranslate2 result as Whisper's checks read it, with its average log probability set."""

    sequences_ids: list[list[int]]
    scores: list[float]
    no_speech_prob: float


class ScriptedDetection:
    """A CTranslate2 Whisper model whose `detect_language` answers `answers` in turn (one per
    window faster-whisper decodes), and whose decodings in the languages of `failing` come back with
    an average log probability of -3 (Whisper's check fails); everything else is the real (tiny)
    model. `decodings`: (language of the prompt, sampled) per `generate` call."""

    def __init__(self, model: Any, answers: list[dict[str, float]], failing: tuple[str, ...],
                 no_speech: float, tokenizer: Any) -> None:
        self._model, self._answers = model, iter(answers)
        self.asked = 0
        self.failing, self.no_speech, self.tokenizer = failing, no_speech, tokenizer
        self.decodings: list[tuple[str | None, bool]] = []

    def generate(self, features: Any, prompts: list[list[int]], **kwargs: Any) -> Any:
        language = next((token[2:-2] for token in map(self.tokenizer.id_to_token, prompts[0])
                         if token and token[2:-2] in ("ru", "en", "uk", "zh", "pl")), None)
        self.decodings.append((language, "sampling_temperature" in kwargs))
        results = self._model.generate(features, prompts, **kwargs)
        if language not in self.failing:
            return results
        tokens = results[0].sequences_ids[0]
        return [Judged([tokens], [-3.0 * (len(tokens) + 1) / max(1, len(tokens))], self.no_speech)]

    def detect_language(self, encoder_output: Any) -> list[list[tuple[str, float]]]:
        self.asked += 1
        answer = next(self._answers)
        return [[(f"<|{lang}|>", p) for lang, p in sorted(answer.items(), key=lambda kv: -kv[1])]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


@pytest.fixture()
def scripted(tiny_models, voices, monkeypatch) -> Any:
    """`script(answers, islands, **settings)` -> (what `decode` found, the length of the audio of each
    transcribe call, the scripted model), on `islands` stretches of ~28 s of espeak-ng speech (one
    30 s window each) between 4 s silences."""
    stretch = np.concatenate([voices["ru"]] * 8)

    def script(answers: list[dict[str, float]], islands: int, failing: tuple[str, ...] = (), no_speech: float = 0.0,
               **overrides: Any):
        settings = tiny_settings(tiny_models["ru"], **overrides)
        loaded = get_loaded(resolve_spec(settings))
        model = ScriptedDetection(loaded.whisper.model, answers, failing, no_speech, loaded.whisper.hf_tokenizer)
        monkeypatch.setattr(loaded.whisper, "model", model)
        calls: list[int] = []
        real = loaded.whisper.transcribe
        monkeypatch.setattr(loaded.whisper, "transcribe",
                            lambda audio, **kw: calls.append(len(audio)) or real(audio, **kw))
        audio = np.concatenate([silence(1)] + [np.concatenate([stretch, silence(4)]) for _ in range(islands)])
        return decode(loaded.whisper, audio, DecodeOptions.from_settings(settings)), calls, model

    return script


def test_each_window_gets_its_language_and_the_clip_the_vote(scripted) -> None:
    answers = [{"ru": 0.95, "en": 0.05}, {"ru": 0.92, "en": 0.08}, {"en": 0.97, "ru": 0.03},
               {"uk": 0.55, "ru": 0.45}]
    decoded, calls, model = scripted(answers, islands=4)
    assert [s.language for s in decoded.segments] == ["ru", "ru", "en", "ru"]  # en: sure; uk: unsure -> vote
    assert decoded.language == "ru"
    assert decoded.language_probability == pytest.approx((0.95 + 0.92 + 0.03 + 0.45) / 4)
    assert len(calls) == 4 and model.asked == 4  # no separate detection pass, no re-decoding


def test_an_unsure_first_window_that_lost_the_vote_is_decoded_again(scripted) -> None:
    answers = [{"en": 0.6, "ru": 0.4}, {"ru": 0.95, "en": 0.05}, {"ru": 0.93, "en": 0.07},
               {"en": 0.6, "ru": 0.4}]  # the 4th answer: island 0 again, now with the vote as prior
    decoded, calls, model = scripted(answers, islands=3)
    assert decoded.language == "ru" and [s.language for s in decoded.segments] == ["ru", "ru", "ru"]
    assert len(calls) == 4 and calls[3] == calls[0] and model.asked == 4
    assert [s.start for s in decoded.segments] == sorted(s.start for s in decoded.segments)


def test_detection_is_restricted_to_the_settings_languages(scripted) -> None:
    polish = [{"pl": 0.7, "de": 0.2, "ru": 0.06, "en": 0.04}]
    decoded, _, _ = scripted(polish, islands=1)
    assert decoded.language == "ru" and decoded.language_probability == pytest.approx(0.6)
    decoded, _, _ = scripted(polish, islands=1, asr_languages="")  # any language: Whisper's own answer
    assert decoded.language == "pl"
    decoded, calls, model = scripted([], islands=1, asr_language="uk")  # forced: nothing detected
    assert (decoded.language, decoded.language_probability, model.asked) == ("uk", None, 0)


def test_the_shared_model_gets_its_own_detection_back(scripted, tiny_models) -> None:
    decoded, _, model = scripted([{"ru": 1.0}], islands=1)
    assert get_loaded(resolve_spec(tiny_settings(tiny_models["ru"]))).whisper.model is model


def test_languages_the_model_does_not_know_are_a_config_error(tiny_models) -> None:
    settings = tiny_settings(tiny_models["ru"], asr_languages="ru,xx")
    with pytest.raises(ConfigError, match="VIDSCRIBE_ASR_LANGUAGES.*xx"):
        transcribe(get_loaded(resolve_spec(settings)), silence(1), DecodeOptions.from_settings(settings))
    with pytest.raises(ConfigError, match="VIDSCRIBE_ASR_LANGUAGES"):
        tiny_settings(tiny_models["ru"], asr_languages="russian")


# -- settled by decoding ------------------------------------------------------------------------------

def test_an_unsure_window_whose_decoding_fails_is_settled_in_the_next_language(scripted) -> None:
    decoded, calls, model = scripted([{"en": 0.5, "ru": 0.45, "uk": 0.05}], islands=1, failing=("en",))
    assert model.decodings == [("en", False), ("ru", False)]  # one beam try in ru, no temperature fallback
    assert decoded.language == "ru" and {s.language for s in decoded.segments} == {"ru"}
    assert decoded.segments and all(s.temperature == 0.0 for s in decoded.segments)


def test_when_every_candidate_fails_the_likeliest_beam_result_stands_without_sampling(scripted) -> None:
    decoded, _, model = scripted([{"en": 0.5, "ru": 0.3, "uk": 0.15, "zh": 0.05}], islands=1,
                                 failing=("en", "ru", "uk", "zh"), asr_temperatures="0,0.5,1")
    # MAX_LANGUAGE_TRIES beam decodings, most probable first; no sampled decoding at all
    assert model.decodings == [("en", False), ("ru", False), ("uk", False)]
    # Whisper keeps it as "every temperature failed" (the last one named), which postprocess drops as exhausted
    assert decoded.segments and {s.temperature for s in decoded.segments} == {1.0}
    assert {s.language for s in decoded.segments} == {"en"}  # all equally unlikely: the detected one stays


def test_a_sure_window_or_silence_is_not_retried_in_other_languages(scripted) -> None:
    _, _, model = scripted([{"en": 0.95, "ru": 0.05}], islands=1, failing=("en",), asr_temperatures="0")
    assert model.decodings == [("en", False)]  # sure: Whisper's own fallback only
    _, _, model = scripted([{"en": 0.6, "ru": 0.4}], islands=1, failing=("en",), no_speech=0.9, asr_temperatures="0")
    assert model.decodings == [("en", False)]  # Whisper would call it silence: no other language tried
