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

# A window is decoded in its own language, against the vote so far, only when the restricted
# probability of that language is at least this. Measured with Whisper base on bench/speech_quality.py
# (ru/uk/en/pinyin-zh espeak-ng): see the bench notes in docs/transcript-format.md.
SWITCH_PROBABILITY = 0.9


@dataclass(frozen=True)
class Detection:
    """One window's detection: the restricted probabilities, and the language it was decoded in."""

    probabilities: dict[str, float]  # over the candidates, summing to 1
    language: str  # the language chosen for the window (see `choose`)

    @property
    def top(self) -> str:
        return max(self.probabilities, key=self.probabilities.__getitem__)

    @property
    def sure(self) -> bool:
        """The window's own top language is probable enough to switch to (`SWITCH_PROBABILITY`)."""
        return self.probabilities[self.top] >= SWITCH_PROBABILITY


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


class LanguageDetector:
    """faster-whisper's CTranslate2 model with its `detect_language` restricted to `candidates`.

    faster-whisper's multilingual decoding asks `model.detect_language(encoder_output)` once per
    window and decodes in the first language of the answer. This object answers with the chosen
    language first (`choose`, given `prior()`), records each window's `Detection`, and passes every
    other attribute through to the real model.
    """

    def __init__(self, model: Any, candidates: Sequence[str], prior: Callable[[], str | None]) -> None:
        self._model = model
        self.candidates = tuple(candidates)
        self.prior = prior
        self.detections: list[Detection] = []
        self.weights: list[float] = []  # per detection: seconds of speech its window transcribed (the caller's)

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
        return answers

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)
