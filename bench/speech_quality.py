"""Accuracy, language identification, hallucinations and speed of the speech stage with a real
model (default: Whisper base from the pinned test wheels, tests/real_whisper.py), against plain
`faster_whisper.WhisperModel.transcribe(vad_filter=True)` on the same audio with the same loaded model,
in the same run.

The clips are generated (espeak-ng, so the text is known), cached under bench/out/speech-quality/:

- quality: Russian clips of 4 sentences each, one espeak-ng voice and speed per clip, with
  silence, music or noise between sentences. Reported: WER and CER (over all clips: edits / reference
  length, after lower-casing, ё -> е and dropping punctuation), and the per-clip language.
- language: one sentence each (2-6 s), Russian in several voices and speeds, Ukrainian, English and
  Mandarin. espeak-ng's Mandarin voice reads pinyin with tone numbers (it cannot read Han characters),
  so the Mandarin clips say the right syllables in a synthetic voice: they count for language
  identification only. Mandarin WER/CER cannot be measured this way and is not reported.
- switch: clips whose speech changes language (ru -> en -> ru, ru -> zh, uk -> ru) across music,
  noise or silence. Each output segment is scored against the language of the sentence it overlaps
  most: the per-segment language accuracy.
- nonspeech: music only, pink noise only, silence, applause-like noise, and wordless "singing"
  over music that Silero VAD takes for speech (30 s each). Every word is
  a hallucination. With the gaps between sentences in the other clips (words whose middle is more
  than `GAP_MARGIN` from every sentence), reported as hallucinated words per minute of non-speech.

The plain call asks for word timestamps too (`word_timestamps=True`: the stage always makes them, so
the times compare like with like) and keeps every other argument at faster-whisper's defaults
(beam 5, the same temperature fallback and thresholds as the stage's defaults). Stage and plain
call alternate clip by clip; their times are the sum over clips of the median of `--repeat` runs.

    python bench/speech_quality.py                       # everything, Whisper base, 2 CPU threads
    python bench/speech_quality.py --sections quality,nonspeech --json bench/out/speech-quality.json
    python bench/speech_quality.py --threads-sweep 1,2,4  # stage time per VIDSCRIBE_ASR_CPU_THREADS
    python bench/speech_quality.py --languages ""         # the stage with detection over every language
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from vidscribe.errors import VidscribeError  # noqa: E402
from vidscribe.samples import SPEECH_RATE  # noqa: E402
from vidscribe.settings import Settings  # noqa: E402
from vidscribe.speech.model import get_loaded, release, resolve_spec  # noqa: E402
from vidscribe.speech.transcribe import DecodeOptions, transcribe  # noqa: E402
from vidscribe.textdistance import edit_distance  # noqa: E402

SR = SPEECH_RATE
OUT = ROOT / "bench" / "out" / "speech-quality"
GAP_MARGIN = 0.5  # s: a word this far from every sentence was said in a gap (word times are ~0.2 s off)
SECTIONS = ("quality", "language", "switch", "nonspeech")

# -- the texts: recruitment-style sentences, numbers spelled out (a digit/word mismatch is not an error)

RU = [
    "Служба по контракту в армии открыта для всех желающих.",
    "Зарплата составляет двести тысяч рублей в месяц.",
    "Единовременная выплата при подписании контракта два миллиона рублей.",
    "Мы предоставляем бесплатное питание, проживание и медицинскую страховку.",
    "Позвоните нам сегодня и узнайте подробности о службе.",
    "Перелёт до места службы оплачивается государством.",
    "Опыт военной службы не обязателен, всему научим на месте.",
    "Контракт можно заключить на один год.",
    "Ваша семья получит льготы и социальную поддержку.",
    "Приходите в пункт отбора в любой рабочий день.",
    "Требуются водители, связисты, операторы беспилотников и повара.",
    "Документы оформляются за три дня.",
    "Это ваш шанс изменить жизнь к лучшему.",
    "Иностранные граждане могут получить российское гражданство.",
    "Напишите нам в телеграм, и мы ответим на все вопросы.",
    "После окончания контракта вы получите статус ветерана.",
    "Обучение проходит на современном полигоне под руководством опытных инструкторов.",
    "Выплаты производятся без задержек на банковскую карту.",
    "Мы ждём мужчин в возрасте от восемнадцати до шестидесяти лет.",
    "Не упустите возможность, количество мест ограничено.",
]
UK = [
    "Ми чекаємо на вас у пункті відбору щодня.",
    "Заробітна плата виплачується щомісяця без затримок.",
    "Зателефонуйте нам сьогодні і дізнайтеся більше.",
]
EN = [
    "Join the army and sign the contract today.",
    "The bonus is two million roubles for every volunteer.",
    "Call us now to learn more about the service.",
]
ZH = [  # (what is meant, what espeak-ng's pinyin voice reads)
    ("加入俄罗斯军队，签约奖金两百万卢布。",
     "jia1 ru4 e2 luo2 si1 jun1 dui4, qian1 yue1 jiang3 jin1 liang3 bai3 wan4 lu2 bu4."),
    ("月薪二十万卢布，包吃包住。", "yue4 xin1 er4 shi2 wan4 lu2 bu4, bao1 chi1 bao1 zhu4."),
    ("现在就打电话报名。", "xian4 zai4 jiu4 da3 dian4 hua4 bao4 ming2."),
]
# espeak-ng voice and words per minute per language (the Mandarin voice reads tone-numbered pinyin)
VOICE = {"ru": "ru", "uk": "uk", "en": "en-us", "zh": "cmn-latn-pinyin"}
# Russian voices and speeds of the quality clips: male, female, other variants, slow to fast
RU_VOICES = [("ru", 175), ("ru+f3", 150), ("ru+m3", 205), ("ru-lv", 160), ("ru+f2", 190)]


@dataclass(frozen=True)
class Sentence:
    text: str  # the reference (what is meant)
    language: str
    voice: str
    speed: int
    spoken: str | None = None  # what espeak-ng reads, when not `text` (pinyin for Mandarin)


@dataclass(frozen=True)
class Placed:
    sentence: Sentence
    start: float
    end: float


@dataclass
class Clip:
    name: str
    section: str
    audio: np.ndarray
    placed: list[Placed] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.audio) / SR

    @property
    def language(self) -> str | None:
        """The clip's language: that of most of its speech (None without speech)."""
        seconds: dict[str, float] = {}
        for p in self.placed:
            seconds[p.sentence.language] = seconds.get(p.sentence.language, 0.0) + p.end - p.start
        return max(seconds, key=seconds.__getitem__) if seconds else None


# -- sound ---------------------------------------------------------------------------------------

def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(sum(map(ord, name)))


def music(seconds: float, rng: np.random.Generator, level: float = 0.12) -> np.ndarray:
    """A chord progression (harmonic tones, soft attack) over a kick drum at 100 bpm."""
    n = int(seconds * SR)
    t = np.arange(n) / SR
    out = np.zeros(n, np.float32)
    beat = 60 / 100
    roots = [220.0, 174.6, 261.6, 196.0]
    for k in range(int(np.ceil(seconds / (4 * beat)))):
        a, b = int(k * 4 * beat * SR), min(n, int((k + 1) * 4 * beat * SR))
        if a >= n:
            break
        root = roots[(k + int(rng.integers(4))) % 4]
        tt = t[a:b] - t[a]
        env = np.minimum(1, tt / 0.05) * np.exp(-tt / 2.0)
        for ratio in (1, 1.26, 1.5, 2):
            for h in range(1, 5):
                out[a:b] += (env * np.sin(2 * np.pi * root * ratio * h * tt) / h ** 1.5).astype(np.float32)
    for k in range(int(seconds / beat)):  # kick: a falling sine burst
        a = int(k * beat * SR)
        tt = np.arange(min(int(0.25 * SR), n - a)) / SR
        out[a:a + len(tt)] += (1.5 * np.sin(2 * np.pi * (50 + 80 * np.exp(-tt / 0.03)) * tt) * np.exp(-tt / 0.08))
    return (level * out / (np.sqrt(np.mean(out ** 2)) + 1e-9)).astype(np.float32)


def pink_noise(seconds: float, rng: np.random.Generator, level: float = 0.05) -> np.ndarray:
    n = int(seconds * SR)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
    x = np.fft.irfft(spectrum, n)
    return (level * x / (np.sqrt(np.mean(x ** 2)) + 1e-9)).astype(np.float32)


def applause(seconds: float, rng: np.random.Generator, level: float = 0.1) -> np.ndarray:
    """Many hand claps (short band-passed noise bursts, ~40 per second) swelling and fading."""
    n = int(seconds * SR)
    out = np.zeros(n, np.float32)
    clap = int(0.03 * SR)
    for at in np.sort(rng.uniform(0, seconds, int(40 * seconds))):
        a = int(at * SR)
        burst = np.diff(rng.standard_normal(clap + 1)) * np.exp(-np.arange(clap) / (0.006 * SR))
        out[a:a + clap] += burst[:n - a] * rng.uniform(0.3, 1.0)
    t = np.arange(n) / SR
    out *= np.minimum(1, t / 1.5) * np.minimum(1, (seconds - t) / 1.5).clip(0)
    return (level * out / (np.sqrt(np.mean(out ** 2)) + 1e-9)).astype(np.float32)


def vocalise(seconds: float, rng: np.random.Generator, level: float = 0.1) -> np.ndarray:
    """Wordless singing over the music: a voiced 'vowel' with moving formants and a syllable rhythm
    (tests/tiny_whisper.synthetic_voice), which Silero VAD takes for speech: what Whisper turns
    into subtitle credits and "thank you for watching" when nothing stops it."""
    from tiny_whisper import synthetic_voice

    voice = synthetic_voice(seconds, SR)
    voice = level * voice / (np.sqrt(np.mean(voice ** 2)) + 1e-9)
    return (voice + music(seconds, rng, level=0.5 * level)).astype(np.float32)


GAPS: dict[str, Callable[[float, np.random.Generator], np.ndarray]] = {
    "silence": lambda s, rng: np.zeros(int(s * SR), np.float32),
    "music": music,
    "noise": pink_noise,
}


def _voice(sentence: Sentence, cache: Path) -> np.ndarray:
    text = sentence.spoken or sentence.text
    key = f"{sentence.voice}-{sentence.speed}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"
    wav = cache / "voices" / f"{key}.wav"
    wav.parent.mkdir(parents=True, exist_ok=True)
    if wav.is_file():
        return read_wav(wav)
    raw = wav.with_suffix(".raw.wav")  # vidscribe.samples.speak has no speed: espeak-ng -s here
    subprocess.run(["espeak-ng", "-v", sentence.voice, "-s", str(sentence.speed), "-w", str(raw), text], check=True,
                   capture_output=True, timeout=60)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(raw), "-ac", "1", "-ar", str(SR), "-c:a",
                    "pcm_s16le", str(wav)], check=True, capture_output=True, timeout=60)
    raw.unlink()
    return read_wav(wav)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32) / 32768


def build(name: str, section: str, parts: list[Sentence | tuple[str, float]], cache: Path) -> Clip:
    """Sentences and gaps ((kind, seconds)) one after the other."""
    rng = _rng(name)
    pieces: list[np.ndarray] = []
    placed: list[Placed] = []
    at = 0
    for part in parts:
        if isinstance(part, Sentence):
            voice = _voice(part, cache)
            placed.append(Placed(part, at / SR, (at + len(voice)) / SR))
            pieces.append(voice)
            at += len(voice)
        else:
            kind, seconds = part
            gap = GAPS[kind](seconds, rng) if kind in GAPS else NONSPEECH[kind](seconds, rng)
            pieces.append(gap)
            at += len(gap)
    audio = np.clip(np.concatenate(pieces), -1, 1).astype(np.float32) if pieces else np.zeros(0, np.float32)
    return Clip(name, section, audio, placed)


NONSPEECH: dict[str, Callable[[float, np.random.Generator], np.ndarray]] = {
    "music": music, "noise": pink_noise, "applause": applause, "vocalise": vocalise,
    "silence": lambda s, rng: np.zeros(int(s * SR), np.float32),
}


def clips(sections: tuple[str, ...], cache: Path = OUT) -> list[Clip]:
    out: list[Clip] = []
    kinds = ("silence", "music", "noise")
    if "quality" in sections:
        for k, (voice, speed) in enumerate(RU_VOICES):
            parts: list[Sentence | tuple[str, float]] = [("silence", 0.6)]
            for j in range(4):
                parts.append(Sentence(RU[(4 * k + j) % len(RU)], "ru", voice, speed))
                parts.append((kinds[(k + j) % 3], 1.5 + (k + j) % 3))
            out.append(build(f"quality-{k}-{voice}-{speed}", "quality", parts, cache))
    if "language" in sections:
        singles = [Sentence(RU[i], "ru", v, s) for i, (v, s) in zip((1, 7, 11, 12, 2, 9), RU_VOICES + [("ru", 220)],
                                                                   strict=True)]
        singles += [Sentence(t, "uk", VOICE["uk"], 165) for t in UK]
        singles += [Sentence(t, "en", VOICE["en"], 165) for t in EN]
        singles += [Sentence(t, "zh", VOICE["zh"], 150, spoken=p) for t, p in ZH]
        for k, s in enumerate(singles):
            out.append(build(f"language-{k}-{s.language}-{s.voice}", "language",
                             [("silence", 0.5), s, ("silence", 0.8)], cache))
    if "switch" in sections:
        ru, en, uk = (lambda i, v="ru", s=175: Sentence(RU[i], "ru", v, s)), \
            (lambda i: Sentence(EN[i], "en", VOICE["en"], 165)), (lambda i: Sentence(UK[i], "uk", VOICE["uk"], 165))
        zh = [Sentence(t, "zh", VOICE["zh"], 150, spoken=p) for t, p in ZH]
        out.append(build("switch-ru-en-ru", "switch", [ru(3), ("silence", 1.0), ru(4), ("music", 3.0), en(0),
                                                       ("silence", 1.0), en(1), ("music", 3.0), ru(5)], cache))
        out.append(build("switch-ru-zh", "switch", [ru(13, "ru+f3", 160), ("silence", 1.0), ru(14, "ru+f3", 160),
                                                    ("noise", 3.0), zh[0], ("silence", 1.0), zh[1]], cache))
        out.append(build("switch-uk-ru", "switch", [uk(0), ("silence", 1.0), uk(1), ("silence", 3.0),
                                                    ru(16), ("silence", 1.0), ru(17)], cache))
    if "nonspeech" in sections:
        for kind in ("music", "noise", "silence", "applause", "vocalise"):
            out.append(build(f"nonspeech-{kind}", "nonspeech", [(kind, 30.0)], cache))
    return out


# -- scoring -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Out:
    """What one system said about one clip."""

    segments: list[tuple[float, float, str, str | None]]  # start, end, text, language
    words: list[tuple[float, float, str]]
    language: str | None
    seconds: float  # wall time
    cpu_seconds: float = 0.0  # this process's CPU time (all threads): steadier than wall time on shared cores
    stats: list[tuple[float | None, float | None, float | None]] = field(default_factory=list)
    # per segment: temperature, avg_logprob, no_speech_prob


def normalise(text: str) -> list[str]:
    text = text.lower().replace("ё", "е")
    return re.sub(r"[^\w]+", " ", text).split()


def errors(reference: str, hypothesis: str) -> tuple[int, int, int, int]:
    """(word edits, reference words, character edits, reference characters) after normalising."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    ref_chars, hyp_chars = " ".join(ref), " ".join(hyp)
    return edit_distance(ref, hyp), len(ref), edit_distance(ref_chars, hyp_chars), len(ref_chars)


def gap_words(clip: Clip, out: Out) -> int:
    return sum(1 for s, e, _ in out.words
               if all(abs((s + e) / 2 - min(max((s + e) / 2, p.start), p.end)) > GAP_MARGIN for p in clip.placed))


def nonspeech_seconds(clip: Clip) -> float:
    covered = 0.0
    cursor = 0.0
    for p in sorted(clip.placed, key=lambda p: p.start):
        a, b = max(cursor, p.start - GAP_MARGIN), min(clip.duration, p.end + GAP_MARGIN)
        covered += max(0.0, b - a)
        cursor = max(cursor, b)
    return clip.duration - covered


def segment_truth(clip: Clip, start: float, end: float) -> str | None:
    best, language = 0.0, None
    for p in clip.placed:
        overlap = min(end, p.end) - max(start, p.start)
        if overlap > best:
            best, language = overlap, p.sentence.language
    return language


# -- the two systems -----------------------------------------------------------------------------

def cpu_time() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_stage(settings: Settings, audio: np.ndarray) -> Out:
    loaded = get_loaded(resolve_spec(settings))
    options = DecodeOptions.from_settings(settings)
    c0, t0 = cpu_time(), time.perf_counter()
    speech = transcribe(loaded, audio, options)
    seconds, cpu = time.perf_counter() - t0, cpu_time() - c0
    return Out([(s.start, s.end, s.text, getattr(s, "language", None) or speech.language) for s in speech.segments],
               [(w.start, w.end, w.text) for s in speech.segments for w in s.words], speech.language, seconds, cpu,
               [(s.temperature, s.avg_logprob, s.no_speech_prob) for s in speech.segments])


def run_plain(settings: Settings, audio: np.ndarray, **kwargs: Any) -> Out:
    model = get_loaded(resolve_spec(settings)).whisper
    c0, t0 = cpu_time(), time.perf_counter()
    found, info = model.transcribe(audio, vad_filter=True, word_timestamps=True, **kwargs)
    segments = list(found)
    seconds, cpu = time.perf_counter() - t0, cpu_time() - c0
    language = info.language if segments else None
    return Out([(s.start, s.end, s.text, info.language) for s in segments],
               [(w.start, w.end, w.word) for s in segments for w in s.words or ()], language, seconds, cpu,
               [(s.temperature, round(s.avg_logprob, 4), round(s.no_speech_prob, 4)) for s in segments])


SYSTEMS = ("stage", "plain")


def evaluate(settings: Settings, all_clips: list[Clip], repeat: int,
             extra: dict[str, Callable[[np.ndarray], Out]] | None = None) -> dict[str, Any]:
    systems: dict[str, Callable[[np.ndarray], Out]] = {
        "stage": lambda audio: run_stage(settings, audio),
        "plain": lambda audio: run_plain(settings, audio, language=settings.asr_language),
        **(extra or {}),
    }
    results: dict[str, dict[str, Out]] = {name: {} for name in systems}
    for n, clip in enumerate(all_clips):
        order = list(systems) if n % 2 == 0 else list(reversed(systems))  # alternate: no order bias
        for name in order:
            if name not in ("stage", "plain") and clip.section not in ("switch", "language"):
                continue
            runs = [systems[name](clip.audio) for _ in range(max(1, repeat))]
            best = runs[0]
            results[name][clip.name] = Out(best.segments, best.words, best.language,
                                           statistics.median(r.seconds for r in runs),
                                           statistics.median(r.cpu_seconds for r in runs), best.stats)
        print(f"  {clip.name:42s} " + "  ".join(
            f"{name} {results[name][clip.name].seconds:5.1f}s {results[name][clip.name].language}"
            for name in systems if clip.name in results[name]), file=sys.stderr, flush=True)
    return {name: score(all_clips, outs) for name, outs in results.items()} | {"_raw": results}


def score(all_clips: list[Clip], outs: dict[str, Out]) -> dict[str, Any]:
    word_e = word_n = char_e = char_n = 0
    clip_ok = clip_n = seg_ok = seg_n = 0
    gap = nonspeech_s = 0.0
    nonspeech_words = 0
    seconds = cpu_seconds = audio_s = 0.0
    per_clip: dict[str, Any] = {}
    for clip in all_clips:
        out = outs.get(clip.name)
        if out is None:
            continue
        seconds += out.seconds
        cpu_seconds += out.cpu_seconds
        audio_s += clip.duration
        hyp = " ".join(text for _, _, text, _ in out.segments)
        row: dict[str, Any] = {"language": out.language, "expected": clip.language, "seconds": round(out.seconds, 2),
                               "text": hyp.strip()}
        if clip.section == "quality":
            e = errors(" ".join(p.sentence.text for p in clip.placed), hyp)
            word_e, word_n, char_e, char_n = word_e + e[0], word_n + e[1], char_e + e[2], char_n + e[3]
            row["wer"], row["cer"] = round(e[0] / e[1], 3), round(e[2] / e[3], 3)
        if clip.language is not None:
            clip_n += 1
            clip_ok += out.language == clip.language
            for start, end, _, language in out.segments:
                truth = segment_truth(clip, start, end)
                if truth is not None:
                    seg_n += 1
                    seg_ok += language == truth
        hallucinated = gap_words(clip, out)
        gap += hallucinated
        nonspeech_s += nonspeech_seconds(clip)
        if clip.section == "nonspeech":
            nonspeech_words += len(out.words)
        row["gap_words"] = hallucinated
        per_clip[clip.name] = row
    return {
        "wer": round(word_e / word_n, 4) if word_n else None,
        "cer": round(char_e / char_n, 4) if char_n else None,
        "clip_language_accuracy": round(clip_ok / clip_n, 4) if clip_n else None,
        "clips_scored": clip_n,
        "segment_language_accuracy": round(seg_ok / seg_n, 4) if seg_n else None,
        "segments_scored": seg_n,
        "hallucinated_words": int(gap),
        "nonspeech_only_words": nonspeech_words,
        "nonspeech_minutes": round(nonspeech_s / 60, 2),
        "hallucinated_words_per_minute": round(gap / (nonspeech_s / 60), 3) if nonspeech_s else None,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "audio_seconds": round(audio_s, 1),
        "rtf": round(seconds / audio_s, 4) if audio_s else None,
        "clips": per_clip,
    }


class _Count(logging.Handler):
    """Counts the log records whose message holds `text`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.count = text, 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += self.text in record.getMessage()


def test_model_folder() -> str:
    """Whisper base from the pinned test wheels, assembled and verified by tests/real_whisper.py (its
    command line, as ./dev runs it: the bench imports no test helper)."""
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "real_whisper.py"), "folder"], capture_output=True,
                          text=True, timeout=600)
    if done.returncode:
        raise SystemExit(done.stderr.strip() or "tests/real_whisper.py failed")
    return done.stdout.strip()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model folder or name (default: Whisper base from the test wheels)")
    parser.add_argument("--threads", type=int, default=2, help="VIDSCRIBE_ASR_CPU_THREADS for both systems")
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)}")
    parser.add_argument("--languages", default=None,
                        help="VIDSCRIBE_ASR_LANGUAGES for the stage (default: the setting's default)")
    parser.add_argument("--language", default=None,
                        help="force this language on both systems (VIDSCRIBE_ASR_LANGUAGE; language= for the plain "
                             "call): compares decoding work like for like")
    parser.add_argument("--repeat", type=int, default=1, help="runs per clip and system (median time)")
    parser.add_argument("--multilingual", action="store_true",
                        help="also run the plain call with multilingual=True on the language and switch clips")
    parser.add_argument("--threads-sweep", default="", help="e.g. 1,2,4: time the stage on the quality clips per "
                                                            "thread count (no other figures)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    model = args.model or test_model_folder()
    sections = tuple(s for s in args.sections.split(",") if s)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}")
    t0 = time.perf_counter()
    all_clips = clips(sections)
    print(f"{len(all_clips)} clips, {sum(c.duration for c in all_clips):.0f} s of audio, made in "
          f"{time.perf_counter() - t0:.1f} s", file=sys.stderr)

    def settings_for(threads: int) -> Settings:
        extra: dict[str, Any] = {}
        if args.languages is not None:
            extra["asr_languages"] = args.languages
        if args.language:
            extra["asr_language"] = args.language
        return Settings(asr_model=model, asr_device="cpu", asr_compute_type=args.compute_type,
                        asr_cpu_threads=threads, **extra)

    if args.threads_sweep:
        sweep: dict[str, Any] = {}
        quality = [c for c in all_clips if c.section == "quality"] or all_clips
        for threads in (int(t) for t in args.threads_sweep.split(",")):
            release()
            settings = settings_for(threads)
            get_loaded(resolve_spec(settings))
            stage = [run_stage(settings, c.audio).seconds for c in quality]
            plain = [run_plain(settings, c.audio, language=settings.asr_language).seconds for c in quality]
            sweep[str(threads)] = {"stage_s": round(sum(stage), 2), "plain_s": round(sum(plain), 2),
                                   "load": os.getloadavg()[0]}
            print(f"  threads {threads}: stage {sum(stage):6.1f} s, plain {sum(plain):6.1f} s "
                  f"(load {os.getloadavg()[0]:.1f})", file=sys.stderr, flush=True)
        figures = {"threads_sweep": sweep, "audio_seconds": round(sum(c.duration for c in quality), 1)}
        print(json.dumps(figures, indent=2))
        return figures

    settings = settings_for(args.threads)
    spec = resolve_spec(settings)
    rss0 = peak_rss_mib()
    t0 = time.perf_counter()
    loaded = get_loaded(spec)
    load_s = time.perf_counter() - t0
    extra = {}
    if args.multilingual:
        extra["plain_multilingual"] = lambda audio: run_plain(settings, audio, multilingual=True)
    load_before = os.getloadavg()[0]
    redecoded = _Count("re-decoded")
    logging.getLogger("vidscribe.speech.transcribe").addHandler(redecoded)
    logging.getLogger("vidscribe.speech.transcribe").setLevel(logging.INFO)
    results = evaluate(settings, all_clips, args.repeat, extra)
    raw = results.pop("_raw")
    figures: dict[str, Any] = {
        "model": loaded.identity.source, "model_sha256": loaded.identity.sha256, "device": spec.device,
        "compute_type": spec.compute_type, "cpu_threads": spec.cpu_threads, "cores": os.cpu_count(),
        "languages": getattr(settings, "asr_languages", "(no setting)"), "forced_language": settings.asr_language,
        "model_load_s": round(load_s, 3), "model_rss_mib": round(peak_rss_mib() - rss0, 1),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "sections": list(sections), **results,
    }
    stage, plain = results["stage"], results["plain"]
    print(f"\nspeech quality: {Path(figures['model']).name} ({spec.compute_type}, {spec.cpu_threads} threads) on "
          f"{os.cpu_count()} cores, load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"  model load {load_s:.2f} s, +{figures['model_rss_mib']:.0f} MiB RSS, peak {figures['peak_rss_mib']:.0f} "
          f"MiB")
    rows = [("WER (quality, ru)", "wer", "{:.1%}"), ("CER (quality, ru)", "cer", "{:.1%}"),
            ("language, per clip", "clip_language_accuracy", "{:.1%}"),
            ("language, per segment", "segment_language_accuracy", "{:.1%}"),
            ("hallucinated words/min non-speech", "hallucinated_words_per_minute", "{:.2f}"),
            ("words on non-speech-only clips", "nonspeech_only_words", "{}"),
            ("time (s)", "seconds", "{:.1f}"), ("CPU time (s)", "cpu_seconds", "{:.1f}"),
            ("real-time factor", "rtf", "{:.3f}")]
    names = list(results)
    print(f"  {'':36s}" + "".join(f"{n:>20s}" for n in names))
    for label, key, fmt in rows:
        print(f"  {label:36s}" + "".join(
            f"{(fmt.format(results[n][key]) if results[n][key] is not None else '-'):>20s}" for n in names))
    if stage["seconds"] and plain["seconds"]:
        figures["stage_over_plain_time"] = round(stage["seconds"] / plain["seconds"], 3)
        figures["stage_over_plain_cpu"] = round(stage["cpu_seconds"] / plain["cpu_seconds"], 3)
        print(f"  stage / plain call: time {figures['stage_over_plain_time']:.3f}, CPU time "
              f"{figures['stage_over_plain_cpu']:.3f}; islands decoded again in the voted language: "
              f"{redecoded.count}")
    wrong = {n: {c: r["language"] for c, r in results[n]["clips"].items() if r["language"] != r["expected"]}
             for n in names}
    for n in names:
        if wrong[n]:
            print(f"  {n} languages off: {wrong[n]}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures["raw"] = {n: {c: {"language": o.language, "segments": o.segments, "stats": o.stats}
                              for c, o in outs.items()} for n, outs in raw.items()}
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return figures


if __name__ == "__main__":
    try:
        main()
    except VidscribeError as e:
        sys.exit(f"speech quality bench: {e}")
