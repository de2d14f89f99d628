"""Which language each stretch of speech is in: Whisper's language detection, restricted to the
candidates the settings name (`asr_languages`), decided per decoding window, voted over the clip.

Whisper's detection on a short or accented clip is unreliable: Whisper base called Russian espeak-ng
speech `pl`, `de`, `cs`, `fr`, Ukrainian `pl`/`ar`, pinyin Mandarin `th`/`la` (bench/speech_quality.py).
Three things make it hold:

- Candidates: the probabilities of the other languages are dropped and the rest renormalised, so
  a clip of a project that expects ru, zh, en and uk is never decoded as Polish.
- Per window, at no extra cost: the stage decodes with faster-whisper's `multilingual=True`, which
  runs Whisper's language detection on the encoder output of every 30 s window it decodes anyway.
  `LanguageDetector` stands between faster-whisper and the CTranslate2 model for that one call:
  it restricts the probabilities, chooses the window's language (`choose`) and records it, so
  every segment knows the language it was decoded in. (The plain call's detection costs an extra
  encoder pass, ~half a window's decoding time on a CPU with Whisper base.)
- Settled by decoding: a window whose detection is not sure and whose greedy/beam decoding in the
  detected language fails Whisper's log-probability check is decoded (beam, once) in the next most
  probable candidates, and the language whose text the model finds likeliest is the window's, before
  any temperature fallback. Whisper base called espeak-ng Russian in a female voice `en` among
  ru/zh/en/uk; decoded as English it failed at every temperature (six decodings, five of them
  sampled five times) and was then skipped as silence: 45 s for a 40 s clip and no text. Decoded as
  Russian it passed at once (bench/speech_quality.py, quality-1/2/3). When no candidate passes, the
  likeliest beam result stands and the temperature fallback's sampling is skipped (it rescued none of
  the bench's 8 such windows).
- Voted: a window switches language only when it is sure (`SWITCH_PROBABILITY`); otherwise it
  follows the vote so far. After the clip, the vote over all windows (each weighted by the seconds
  of speech it transcribed) is the clip's language; a stretch decoded in another language on a
  window that was not sure is decoded again in the voted one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from vidscribe.speech.postprocess import compression_ratio

# A window is decoded in its own language, against the vote so far, only when the restricted
# probability of that language is at least this. Measured with Whisper base on bench/speech_quality.py
# (ru/uk/en/pinyin-zh espeak-ng): see the bench notes in docs/transcript-format.md.
SWITCH_PROBABILITY = 0.9
# Candidates tried in all when a window's language is settled by decoding (the detected one included):
# each try is one beam decoding of the window; the candidates past the third held under 2% of the
# restricted probability on every bench window.
MAX_LANGUAGE_TRIES = 3


@dataclass(frozen=True)
class Detection:
    """One window's detection: the restricted probabilities, and the language it was decoded in."""

    probabilities: dict[str, float]  # over the candidates, summing to 1
    language: str  # the language chosen for the window (see `choose`), or settled by decoding
    settled: bool = False  # the language was settled by decoding (the detected one failed)

    @property
    def top(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def sure(self) -> bool:
        """The window's own top language is probable enough to switch to (`SWITCH_PROBABILITY`)."""
        return self.settled or self.probabilities[self.top] >= SWITCH_PROBABILITY

    @property
    def evidence(self) -> dict[str, float]:
        """What the window says for the vote: its probabilities, or, settled by decoding, that language."""
        return {self.language: 1.0} if self.settled else self.probabilities


def restrict(ranked: Iterable[tuple[str, float]], candidates: Sequence[str]) -> dict[str, float]:
    """Whisper's (language, probability) pairs -> the candidates' probabilities, renormalised.

    No candidates: every language. A candidate Whisper gives no probability (or all of them 0)
    shares evenly."""
    probabilities = {language: max(0.0, float(p)) for language, p in ranked}
    if candidates:
        probabilities = {language: probabilities.get(language, 0.0) for language in candidates}
    total = sum(probabilities.values())
    if not probabilities:
        return {}
    if total <= 0 or not math.isfinite(total):
        return {language: 1 / len(probabilities) for language in probabilities}
    return {language: p / total for language, p in probabilities.items()}


def choose(probabilities: dict[str, float], prior: str | None) -> str:
    """A window's language: its own top one when sure or when there is no vote yet, else the vote."""
    top = max(probabilities, key=probabilities.__getitem__)
    if prior is None or prior not in probabilities or probabilities[top] >= SWITCH_PROBABILITY:
        return top
    return prior


def vote(weighted: Iterable[tuple[dict[str, float], float]]) -> tuple[str, float] | None:
    """The language of most weight: the weighted mean of the windows' probabilities, and its value.
    None without any weight."""
    scores: dict[str, float] = {}
    total = 0.0
    for probabilities, weight in weighted:
        if weight <= 0:
            continue
        total += weight
        for language, p in probabilities.items():
            scores[language] = scores.get(language, 0.0) + weight * p
    if total <= 0:
        return None
    language = max(scores, key=scores.__getitem__)
    return language, scores[language] / total


@dataclass(frozen=True)
class Settling:
    """Whisper's own checks, which say when a window's decoding in its detected language failed."""

    log_prob_threshold: float | None
    compression_ratio_threshold: float | None
    no_speech_threshold: float | None  # a window Whisper would call silence is not retried

    def judge(self, result: Any, text: str, length_penalty: float) -> tuple[bool, tuple[bool, float]]:
        """Whether a decoding passes Whisper's checks, and its rank among the tries (not repetitive
        first, then the likelier text: the result faster-whisper keeps when every try fails)."""
        score = average_log_probability(result, length_penalty)
        repetitive = (self.compression_ratio_threshold is not None
                      and compression_ratio(text) > self.compression_ratio_threshold)
        unlikely = self.log_prob_threshold is not None and score < self.log_prob_threshold
        return not (repetitive or unlikely), (not repetitive, score)

    def silence(self, result: Any) -> bool:
        return self.no_speech_threshold is not None and result.no_speech_prob > self.no_speech_threshold


def average_log_probability(result: Any, length_penalty: float) -> float:
    """A CTranslate2 Whisper result's average log probability, as faster-whisper computes it."""
    tokens = len(result.sequences_ids[0])
    return result.scores[0] * (tokens ** length_penalty) / (tokens + 1)


class LanguageDetector:
    """faster-whisper's CTranslate2 model with its `detect_language` restricted to `candidates`.

    faster-whisper's multilingual decoding asks `model.detect_language(encoder_output)` once per
    window and decodes in the first language of the answer. This object answers with the chosen
    language first (`choose`, given `prior()`), records each window's `Detection`, and passes every
    other attribute through to the real model. With `settling`, it also stands in for `generate`:
    the first (beam) decoding of a window that was not sure of its language is settled by decoding
    (see the module docstring), and faster-whisper's tokenizer (`bind`) is told the language chosen.
    """

    def __init__(self, model: Any, candidates: Sequence[str], prior: Callable[[], str | None],
                 settling: Settling | None = None) -> None:
        self._model = model
        self.candidates = tuple(candidates)
        self.prior = prior
        self.settling = settling
        self.detections: list[Detection] = []
        self.weights: list[float] = []  # per detection: seconds of speech its window transcribed (the caller's)
        self.tokenizer: Any = None  # faster-whisper's Tokenizer of the decoding under way (`bind`)
        self._unsettled = False  # the last window detected waits for its first decoding to settle it
        self._swap: tuple[int, int] | None = None  # language token of the prompt -> the settled one
        self._hopeless: Any = None  # the window's likeliest beam result when no candidate passed (no sampling)

    def bind(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer

    def detect_language(self, *args: Any, **kwargs: Any) -> list[list[tuple[str, float]]]:
        answers = []
        for ranked in self._model.detect_language(*args, **kwargs):
            probabilities = restrict(((token[2:-2], p) for token, p in ranked), self.candidates)
            language = choose(probabilities, self.prior())
            self.detections.append(Detection(probabilities, language))
            self.weights.append(0.0)
            rest = sorted((p, lang) for lang, p in probabilities.items() if lang != language)[::-1]
            answers.append([(f"<|{language}|>", probabilities[language])] +
                           [(f"<|{lang}|>", p) for p, lang in rest])
        detection = self.detections[-1] if self.detections else None
        self._unsettled = bool(self.settling and detection and not detection.sure and len(self.candidates) > 1)
        self._swap, self._hopeless = None, None
        return answers

    def generate(self, features: Any, prompts: list[list[int]], **kwargs: Any) -> Any:
        if self._hopeless is not None and "sampling_temperature" in kwargs:
            return self._hopeless  # see _settle: the fallback's sampling is not run
        if self._swap is not None:  # the window's later decodings (temperature fallback) in the settled language
            was, now = self._swap
            prompts = [[now if t == was else t for t in prompt] for prompt in prompts]
        if not self._unsettled or "sampling_temperature" in kwargs or len(prompts) != 1 or self.tokenizer is None:
            return self._model.generate(features, prompts, **kwargs)
        self._unsettled = False
        return self._settle(features, prompts[0], kwargs)

    def _settle(self, features: Any, prompt: list[int], kwargs: dict[str, Any]) -> Any:
        assert self.settling is not None
        detection, tokenizer = self.detections[-1], self.tokenizer
        penalty = float(kwargs.get("length_penalty", 1.0))

        def attempt(language: str) -> tuple[Any, bool, tuple[bool, float]]:
            now = tokenizer.tokenizer.token_to_id(f"<|{language}|>")
            result = self._model.generate(features, [[now if t == was else t for t in prompt]], **kwargs)
            text = tokenizer.decode(result[0].sequences_ids[0]).strip()
            return (result, *self.settling.judge(result[0], text, penalty))

        was = tokenizer.tokenizer.token_to_id(f"<|{detection.language}|>")
        best, passed, rank = attempt(detection.language)
        if passed or self.settling.silence(best[0]):
            return best
        best_language = detection.language
        others = sorted((p, lang) for lang, p in detection.probabilities.items() if lang != detection.language)
        for _, language in others[::-1][:MAX_LANGUAGE_TRIES - 1]:
            result, passed, tried = attempt(language)
            if passed or tried > rank:
                best, rank, best_language = result, tried, language
            if passed:
                break
        if not passed:
            # No candidate passed with the beam: the temperature fallback's sampling is not run, and the
            # likeliest beam result stands for every temperature (Whisper then keeps it as "every
            # temperature failed", and postprocess drops it as `exhausted` when its log probability is
            # too low). On bench/speech_quality.py, sampling rescued none of the 8 such windows (40
            # sampled decodings of 5 hypotheses each, 2026-12-03).
            self._hopeless = best
        if best_language != detection.language:
            self._swap = (was, tokenizer.tokenizer.token_to_id(f"<|{best_language}|>"))
            self.detections[-1] = Detection(detection.probabilities, best_language, settled=passed)
            tokenizer.language, tokenizer.language_code = self._swap[1], best_language
        return best

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)
