"""Transcription: faster-whisper on the 16 kHz audio, word timestamps, guarded and normalised.
(`vidscribe.speech.stage` is the stage around it.)

How a clip is decoded (the guards against Whisper's failure modes on short social clips):

- VAD (faster-whisper's bundled Silero model) finds the speech; music and silence are never
  decoded, and a clip without speech gets no segments rather than invented text.
- The speech is decoded in "islands": consecutive speech chunks packed up to one 30 s window,
  concatenated as faster-whisper's own VAD filter does. Each island is a separate decoding, so
  text from before a silence is never the prompt of a window that starts after it. Within one
  long stretch of continuous speech the previous window's text is the prompt (as Whisper
  expects), unless `asr_condition_on_previous_text` is off.
- Whisper's own checks stay on: no-speech probability with average log probability (a silent
  window is skipped), temperature fallback on repetition (compression ratio) and low log
  probability, and `hallucination_silence_threshold` (`asr_hallucination_silence`, needs word
  timestamps, which are on). It has a price, measured with Whisper base on bench/speech_quality.py:
  on speech whose first words are unsure it fires with no silence around them, decodes the window
  again from a second later and drops those words (8 decodings instead of 5 on the five Russian
  quality clips in one run, ~1.3x the CPU time it took without it). Off, wordless singing over music that VAD
  passes came out as text ("Mount Print House pon minister", average log probability -3.1):
  it stays on until a cheaper guard holds that at zero.
- Then the pure post-processing of `vidscribe.speech.postprocess`: repetition loops that
  survived every temperature are dropped, then known hallucinations (subtitle credits, outro
  phrases: `vidscribe.speech.hallucinations`, the last filter), nothing is left past the media's
  end, timestamps are made monotonic with words inside their segment, and Chinese script is
  normalised (raw kept).

Language, unless forced: Whisper's detection restricted to `asr_languages`, run per decoding window
at no extra cost, voted over the clip, a language per segment where the speech switches
(`vidscribe.speech.language`).
"""

from __future__ import annotations

import logging
import threading
import wave
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vidscribe.chinese import SCRIPT_MODES
from vidscribe.errors import ConfigError, SourceError, TransientError
from vidscribe.settings import Settings
from vidscribe.speech.language import Detection, LanguageDetector, Settling, vote
from vidscribe.speech.model import LoadedModel, ModelSpec
from vidscribe.speech.postprocess import (
    RawSegment,
    RawWord,
    normalises_script,
    postprocess,
    restore_times,
    timing_problems,
)
from vidscribe.transcripts.model import Speech

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
WINDOW_SECONDS = 30.0  # Whisper's window: an island holds at most this much speech
WINDOW_SAMPLES = int(WINDOW_SECONDS * SAMPLE_RATE)


@dataclass(frozen=True)
class DecodeOptions:
    """The settings that shape decoding, parsed and checked once. No defaults of its own: the
    defaults are `Settings`'s, and `from_settings` is how one is made."""

    language: str | None  # None: detect
    languages: tuple[str, ...]  # what detection chooses from; empty: any
    task: str
    beam_size: int
    temperatures: tuple[float, ...]
    vad: bool
    initial_prompt: str | None
    hotwords: str | None
    no_speech_threshold: float | None
    log_prob_threshold: float | None
    compression_ratio_threshold: float | None
    hallucination_silence: float | None  # None: off
    condition_on_previous_text: bool
    script: str

    @classmethod
    def from_settings(cls, settings: Settings) -> DecodeOptions:
        """The one place the speech settings are parsed and checked (temperatures included, until
        Settings parses list values itself)."""
        if settings.asr_task not in ("transcribe", "translate"):
            raise ConfigError(f"VIDSCRIBE_ASR_TASK={settings.asr_task!r} is not valid: expected transcribe "
                              f"or translate")
        if settings.asr_beam_size < 1:
            raise ConfigError(f"VIDSCRIBE_ASR_BEAM_SIZE={settings.asr_beam_size} is not valid: "
                              f"expected 1 or more")
        if settings.chinese_script not in SCRIPT_MODES:
            raise ConfigError(f"VIDSCRIBE_CHINESE_SCRIPT={settings.chinese_script!r} is not valid: expected "
                              f"one of {', '.join(SCRIPT_MODES)}")
        language = (settings.asr_language or "").strip().lower() or None
        return cls(language=None if language == "auto" else language, languages=settings.asr_language_codes,
                   task=settings.asr_task,
                   beam_size=settings.asr_beam_size,
                   temperatures=settings.asr_temperature_values,
                   vad=settings.asr_vad, initial_prompt=_text_or_none(settings.asr_initial_prompt),
                   hotwords=_text_or_none(settings.asr_hotwords),
                   no_speech_threshold=settings.asr_no_speech_threshold,
                   log_prob_threshold=settings.asr_log_prob_threshold,
                   compression_ratio_threshold=settings.asr_compression_ratio_threshold,
                   hallucination_silence=settings.asr_hallucination_silence or None,
                   condition_on_previous_text=settings.asr_condition_on_previous_text,
                   script=settings.chinese_script)


def _text_or_none(text: str | None) -> str | None:
    return text.strip() or None if text else None


def read_audio(path: str | Path) -> np.ndarray:
    """The audio as float32 samples at 16 kHz mono (fast path: the pipeline's 16-bit mono WAV)."""
    try:
        with wave.open(str(path), "rb") as w:
            if (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2):
                pcm = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
                return pcm.astype(np.float32) / 32768.0
    except (wave.Error, EOFError):
        pass  # not a plain PCM WAV: let PyAV decode and resample it
    except OSError as e:
        raise SourceError(f"cannot read audio: {e.strerror or e}", source=str(path)) from None
    from faster_whisper.audio import decode_audio

    try:
        return decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except Exception as e:  # PyAV raises its own error types for undecodable input
        raise SourceError(f"cannot decode audio: {' '.join(str(e).split()) or type(e).__name__}",
                          source=str(path)) from None


Chunk = tuple[int, int]  # start, end sample


def speech_chunks(audio: np.ndarray) -> list[Chunk]:
    """Silero VAD (bundled with faster-whisper) with its default options: padded speech chunks."""
    from faster_whisper import vad

    return [(c["start"], c["end"]) for c in vad.get_speech_timestamps(audio, vad.VadOptions())]


def islands(chunks: Iterable[Chunk], max_samples: int = WINDOW_SAMPLES) -> list[list[Chunk]]:
    """Pack consecutive chunks into groups of at most `max_samples` of speech (one window each);
    a longer chunk forms a group of its own."""
    groups: list[list[Chunk]] = []
    size = 0
    for start, end in chunks:
        if end <= start:
            continue
        if groups and size + (end - start) <= max_samples:
            groups[-1].append((start, end))
            size += end - start
        else:
            groups.append([(start, end)])
            size = end - start
    return groups


def _raw_segment(seg: Any, window: int, language: str | None) -> RawSegment:
    """faster-whisper's Segment -> RawSegment (the edge between the library and pure code)."""
    words = tuple(RawWord(float(w.start), float(w.end), w.word, float(w.probability))
                  for w in seg.words or ())
    return RawSegment(start=float(seg.start), end=float(seg.end), text=seg.text, words=words,
                      avg_logprob=float(seg.avg_logprob), no_speech_prob=float(seg.no_speech_prob),
                      window_compression_ratio=float(seg.compression_ratio),
                      temperature=float(seg.temperature) if seg.temperature is not None else None,
                      window=window, language=language)


def _memory_error(e: RuntimeError, spec: ModelSpec) -> TransientError | None:
    reason = " ".join(str(e).split())
    if "out of memory" in reason.lower():
        return TransientError(f"out of memory while transcribing with {spec.describe()}: {reason}")
    return None


@dataclass
class Decoded:
    """What decoding found, before post-processing."""

    segments: list[RawSegment]
    language: str | None
    language_probability: float | None
    speech_duration: float | None  # seconds VAD kept; None without VAD


@dataclass
class _Island:
    """One island's decoding: its segments, and the language detections of its windows."""

    segments: list[RawSegment]
    detections: list[Detection]
    weights: list[float]  # seconds of speech each window transcribed (the vote's weights)


_asking_lock = threading.Lock()


@contextmanager
def _asking(model: WhisperModel, detector: LanguageDetector | None) -> Iterator[None]:
    """While decoding, `model` asks `detector` (which wraps its CTranslate2 model) for languages and
    decodings, and tells it the tokenizer of the decoding (through `get_prompt`, which faster-whisper
    calls with it before each window). One decoding at a time per process swaps them in; the real
    ones are always put back."""
    if detector is None:
        yield
        return
    with _asking_lock:
        real, real_prompt = model.model, model.get_prompt

        def get_prompt(tokenizer: Any, *args: Any, **kwargs: Any) -> list[int]:
            detector.bind(tokenizer)
            return real_prompt(tokenizer, *args, **kwargs)

        model.model, model.get_prompt = detector, get_prompt  # type: ignore[assignment,method-assign]
        try:
            yield
        finally:
            model.model = real
            del model.get_prompt  # the instance attribute: the class's method shows through again


class _Decoder:
    """Decodes islands one by one with one model and one set of options; when the language is not
    forced, through a `LanguageDetector` (restricted, per-window detection, the vote so far as prior)."""

    def __init__(self, model: WhisperModel, audio: np.ndarray, options: DecodeOptions,
                 progress: Callable[[float], None], total: int) -> None:
        self.model, self.audio, self.options, self.progress, self.total = model, audio, options, progress, total
        self.detect = options.language is None and model.model.is_multilingual
        self.done = 0
        self.windows: dict[tuple[int, int, int], int] = {}
        self.voted: list[_Island] = []  # decoded so far: the running vote's evidence
        # a window unsure of its language is settled by decoding when Whisper's checks are on
        checks = (options.log_prob_threshold, options.compression_ratio_threshold)
        self.settling = None if checks == (None, None) else Settling(*checks, options.no_speech_threshold)

    def running_vote(self, current: LanguageDetector | None = None) -> str | None:
        """The vote over the windows decoded so far (those of the island being decoded included);
        before any window transcribed speech, the language of the last window detected."""
        islands = [(i.detections, i.weights) for i in self.voted]
        if current is not None:
            islands.append((current.detections, current.weights))
        result = vote((d.evidence, w) for detections, weights in islands
                      for d, w in zip(detections, weights, strict=False))
        if result:
            return result[0]
        last = [detections[-1] for detections, _ in islands if detections]
        return last[-1].language if last else None

    def island(self, n: int, group: list[Chunk], prior: str | None = None, attempt: int = 0) -> _Island:
        """Decode island `n`; `prior` (a re-decoding) replaces the running vote as the unsure windows' language."""
        audio, options = self.audio, self.options
        piece = audio[group[0][0]:group[0][1]] if len(group) == 1 else np.concatenate([audio[s:e] for s, e in group])
        detector, language = None, options.language
        if self.detect:
            detector = LanguageDetector(self.model.model, options.languages,
                                        (lambda: prior) if prior else (lambda: self.running_vote(detector)),
                                        self.settling)
            # faster-whisper detects on every window (multilingual) and decodes in the detector's choice;
            # the language given here only spares it a separate detection pass before the first window.
            language = prior or self.running_vote() or (options.languages or ("en",))[0]
        elif language is None:
            language = "en"  # an English-only model
        with _asking(self.model, detector):
            return self._decode(n, group, piece, language, detector, attempt)

    def _decode(self, n: int, group: list[Chunk], piece: np.ndarray, language: str,
                detector: LanguageDetector | None, attempt: int) -> _Island:
        options = self.options
        # Previous text is a prompt only inside one continuous chunk: a group of several chunks has
        # silences in it, and a window after one of them must not inherit text from before it.
        continuous = len(group) == 1
        found, _ = self.model.transcribe(
            piece, language=language, multilingual=detector is not None, task=options.task,
            beam_size=options.beam_size, temperature=list(options.temperatures), vad_filter=False,
            word_timestamps=True, initial_prompt=options.initial_prompt, hotwords=options.hotwords,
            condition_on_previous_text=options.condition_on_previous_text and continuous,
            no_speech_threshold=options.no_speech_threshold, log_prob_threshold=options.log_prob_threshold,
            compression_ratio_threshold=options.compression_ratio_threshold,
            hallucination_silence_threshold=options.hallucination_silence)
        raw: list[RawSegment] = []
        for seg in found:  # decoding happens while iterating
            seg_language = language
            if detector is not None:
                if not detector.detections:
                    raise RuntimeError("faster-whisper decoded a window without asking the language detector: "
                                       "its multilingual decoding changed, vidscribe.speech.language needs updating")
                # the window being decoded is the last one detected; its speech is the vote's weight
                seg_language = detector.detections[-1].language
                detector.weights[-1] += max(0.0, float(seg.end) - float(seg.start))
            key = (n, attempt, int(seg.seek))
            raw.append(_raw_segment(seg, window=self.windows.setdefault(key, len(self.windows)),
                                    language=seg_language))
            self.progress(min(1.0, (self.done + min(seg.end * SAMPLE_RATE, len(piece))) / self.total))
        chunks = [(s / SAMPLE_RATE, e / SAMPLE_RATE) for s, e in group]
        if attempt == 0:
            self.done += len(piece)
            self.progress(min(1.0, self.done / self.total))
        return _Island(restore_times(raw, chunks), list(detector.detections) if detector else [],
                       list(detector.weights) if detector else [])


def decode(model: WhisperModel, audio: np.ndarray, options: DecodeOptions,
           progress: Callable[[float], None] = lambda fraction: None) -> Decoded:
    """Run faster-whisper over the speech of `audio` (see the module docstring)."""
    if options.vad:
        groups = islands(speech_chunks(audio))
        speech_duration = sum(e - s for g in groups for s, e in g) / SAMPLE_RATE
    else:
        groups = [[(0, len(audio))]] if len(audio) else []
        speech_duration = None
    if not groups:
        return Decoded([], options.language, None, speech_duration)

    decoder = _Decoder(model, audio, options, progress, total=sum(e - s for g in groups for s, e in g))
    decoded = []
    for n, group in enumerate(groups):
        decoded.append(decoder.island(n, group))
        decoder.voted.append(decoded[-1])
    if not decoder.detect:
        language = options.language or "en"
        return Decoded([s for i in decoded for s in i.segments], language,
                       None if options.language else 1.0, speech_duration)

    # The clip's language: the vote over every window. An island where a window that was not sure of
    # its language transcribed speech in another one than the vote is decoded again, the vote as prior.
    evidence = [(d.evidence, w) for i in decoded for d, w in zip(i.detections, i.weights, strict=True)]
    result = vote(evidence) or vote((p, 1.0) for p, _ in evidence)
    language, probability = result if result else (None, None)
    if language is not None:
        for n, island in enumerate(decoded):
            if any(d.language != language and not d.sure and w > 0
                   for d, w in zip(island.detections, island.weights, strict=True)):
                log.info("speech: island %d re-decoded in the clip's language %s (was %s)", n, language,
                         ",".join(d.language for d in island.detections))
                decoded[n] = decoder.island(n, groups[n], prior=language, attempt=1)
    return Decoded([s for i in decoded for s in i.segments], language, probability, speech_duration)


def transcribe(model: LoadedModel, audio: np.ndarray, options: DecodeOptions, *,
               duration: float | None = None,
               progress: Callable[[float], None] = lambda fraction: None) -> Speech:
    """Decode and post-process: the stage's `Speech` for `audio`, naming the model that made it.

    `duration` is the media's (nothing may end after it); without one, the audio's length is used.
    """
    spec, identity = model.spec, model.identity
    audio_duration = len(audio) / SAMPLE_RATE
    duration = min(duration, audio_duration) if duration and duration > 0 else audio_duration
    if options.language is not None and options.language not in model.whisper.supported_languages:
        raise ConfigError(f"VIDSCRIBE_ASR_LANGUAGE={options.language!r} is not a language this model knows "
                          f"(e.g. ru, zh, en, yue)")
    unknown = [code for code in options.languages if code not in model.whisper.supported_languages]
    if options.language is None and unknown:
        raise ConfigError(f"VIDSCRIBE_ASR_LANGUAGES names languages this model does not know: {', '.join(unknown)}")
    try:
        decoded = decode(model.whisper, audio, options, progress)
    except RuntimeError as e:
        error = _memory_error(e, spec)
        if error is None:
            raise
        raise error from None
    segments, dropped = postprocess(decoded.segments, duration=duration,
                                    compression_ratio_threshold=options.compression_ratio_threshold,
                                    script=options.script, language=decoded.language,
                                    last_temperature=options.temperatures[-1] if options.temperatures else None,
                                    log_prob_threshold=options.log_prob_threshold)
    problems = timing_problems(segments, duration)
    if problems:  # postprocess guarantees the contract: a failure here is a bug, keep its traceback
        raise RuntimeError(f"speech timing contract broken: {problems[:3]}")
    language, probability = decoded.language, decoded.language_probability
    if not segments and options.language is None:  # nothing was said: no language to claim
        language, probability = None, None
    return Speech(
        language=language, segments=segments,
        language_probability=None if probability is None else round(probability, 4),
        task=options.task, model=spec.name, compute_type=spec.compute_type, device=spec.device,
        model_source=identity.source, model_sha256=identity.sha256, test_model=identity.test_model,
        script=options.script if normalises_script(language, options.script) else "none",
        vad=options.vad,
        speech_duration=None if decoded.speech_duration is None else round(decoded.speech_duration, 3),
        dropped=dropped)
