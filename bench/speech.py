"""Benchmark the speech stage on a generated clip (espeak-ng speech, default 60 s).

Reports model load time, transcription time and real-time factor, peak memory, and the stage's
overhead outside faster-whisper: the stage time (audio read, VAD, language detection, decoding,
post-processing, rendering the files, writing transcript.json and the files) minus the time spent
inside `WhisperModel.transcribe` (its generator included: decoding happens while iterating).
The stage runs faster-whisper's Silero VAD itself (to decode each stretch of speech separately);
it is reported on its own line, and the overhead is given both counting it and not. Language
detection happens inside `transcribe` (on the windows it decodes), so `detect_language()` reads 0
unless something else calls it.

    python bench/speech.py                         # the tiny test model (built offline)
    python bench/speech.py --real --threads 2      # Whisper base from the pinned test wheels (./dev setup)
    python bench/speech.py --model small           # a real model (cache or download)
    python bench/speech.py --model large-v3 --device cuda --repeat 5 --json bench/out/speech.json
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from vidscribe.errors import VidscribeError  # noqa: E402
from vidscribe.samples import SPEECH_RATE, ClipSpec, Utterance, make_clip  # noqa: E402
from vidscribe.settings import Settings  # noqa: E402
from vidscribe.speech import STAGE  # noqa: E402
from vidscribe.speech.model import get_model, resolve_spec  # noqa: E402
from vidscribe.stage import StageContext  # noqa: E402
from vidscribe.transcripts.model import Transcript, VideoMeta  # noqa: E402
from vidscribe.transcripts.store import Store  # noqa: E402

LINES = [
    ("Join the army. Sign the contract today.", "en-us"),
    ("Служба по контракту. Зарплата двести тысяч рублей в месяц.", "ru"),
    ("加入俄罗斯军队，签约奖金两百万卢布。", "cmn"),
    ("The bonus is two million roubles. Call us now.", "en-us"),
    ("Мы ждём вас. Бесплатный перелёт и проживание.", "ru"),
]


def make_audio(duration: float, out_dir: Path) -> tuple[Path, Path]:
    """A clip with an utterance every ~5 s (pauses between them, one long silence in the middle)
    and its 16 kHz mono WAV, extracted with ffmpeg as the media stage does."""
    media, wav = out_dir / f"speech-{duration:g}s.mp4", out_dir / f"speech-{duration:g}s.wav"
    if not (media.is_file() and wav.is_file()):
        at, utterances, n = 0.5, [], 0
        while at < duration - 4:
            text, voice = LINES[n % len(LINES)]
            utterances.append(Utterance(at, text, voice))
            at += 5.0 if n % 6 != 5 else 9.0  # a longer silence now and then
            n += 1
        spec = ClipSpec(duration=duration, width=160, height=96, fps=5, background="color=c=black",
                        speech=utterances)
        make_clip(spec, media)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media), "-vn", "-ac", "1", "-ar",
                        str(SPEECH_RATE), "-c:a", "pcm_s16le", str(wav)], check=True, timeout=300)
    return media, wav


class Timer:
    """Wall time spent inside wrapped callables; generators are timed while they are iterated."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.depth = 0  # a wrapped call made inside another one (transcribe's own language
        # detection) is counted by the outer one only

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def _call(self, name: str, fn: Callable[[], Any]) -> Any:
        self.depth += 1
        t0 = time.perf_counter()
        try:
            return fn()
        finally:
            self.depth -= 1
            if self.depth == 0:
                self.add(name, time.perf_counter() - t0)

    def wrap(self, name: str, fn: Callable[..., Any], lazy_first: bool = False) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            result = self._call(name, lambda: fn(*args, **kwargs))
            if lazy_first:  # (generator, info): time the generator too
                return self._timed_iter(name, result[0]), result[1]
            return result
        return timed

    def _timed_iter(self, name: str, items: Iterator[Any]) -> Iterator[Any]:
        it = iter(items)
        done = object()
        while True:
            item = self._call(name, lambda: next(it, done))
            if item is done:
                return
            yield item


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def gpu_memory_mib() -> float | None:
    """This process's GPU memory per nvidia-smi, when there is one."""
    import os

    try:
        out = subprocess.run(["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
                             capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        pid, _, used = line.partition(",")
        if pid.strip() == str(os.getpid()):
            return float(used)
    return None


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="model name or folder (default: the tiny test model, built now)")
    parser.add_argument("--real", action="store_true",
                        help="Whisper base from the pinned test wheels (tests/real_whisper.py; run ./dev setup)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--compute-type", default="auto")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for CTranslate2 (0: default)")
    parser.add_argument("--cache-dir", type=Path, help="model cache folder (VIDSCRIBE_ASR_CACHE_DIR)")
    parser.add_argument("--duration", type=float, default=60.0, help="clip length in seconds")
    parser.add_argument("--repeat", type=int, default=3, help="stage runs (median reported)")
    parser.add_argument("--no-vad", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    out_dir = ROOT / "bench" / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    media, wav = make_audio(args.duration, out_dir)
    tmp = Path(tempfile.mkdtemp(prefix="vidscribe-bench-speech-"))
    model_name = args.model
    if args.real:
        done = subprocess.run([sys.executable, str(ROOT / "tests" / "real_whisper.py"), "folder"],
                              capture_output=True, text=True, timeout=600)
        if done.returncode:
            sys.exit(done.stderr.strip())
        model_name = done.stdout.strip()
    if model_name is None:
        import tiny_whisper

        model_name = str(tiny_whisper.build(tmp / "tiny-whisper"))
    settings = Settings(asr_model=model_name, asr_device=args.device, asr_compute_type=args.compute_type,
                        asr_cpu_threads=args.threads, asr_cache_dir=args.cache_dir, asr_vad=not args.no_vad,
                        data=tmp / "data")
    spec = resolve_spec(settings)

    rss_before = peak_rss_mib()
    t0 = time.perf_counter()
    model = get_model(spec)
    load_s = time.perf_counter() - t0

    from faster_whisper import vad

    timer = Timer()
    model.transcribe = timer.wrap("transcribe", model.transcribe, lazy_first=True)
    model.detect_language = timer.wrap("detect_language", model.detect_language)
    vad.get_speech_timestamps = timer.wrap("vad", vad.get_speech_timestamps)

    store = Store(settings.data)
    runs = []
    speech = None
    for _ in range(max(1, args.repeat)):
        timer.seconds.clear()
        transcript = Transcript(video=VideoMeta(id="bench", source=str(media), duration=args.duration))
        ctx = StageContext(settings=settings, transcript=transcript, media_path=media, audio_path=wav,
                           output_dir=store.transcript_dir("bench"))
        t0 = time.perf_counter()
        out = STAGE.run(ctx)
        speech = out.changes["speech"]
        transcript.speech = speech
        store.save(transcript)
        for name, data in out.files.items():
            store.write_output("bench", name, data)
        stage_s = time.perf_counter() - t0
        runs.append({"stage_s": stage_s, **{k: timer.seconds.get(k, 0.0)
                                           for k in ("transcribe", "detect_language", "vad")}})

    for r in runs:  # fractions per run, then their median (medians of parts do not subtract)
        r["outside_transcribe"] = (r["stage_s"] - r["transcribe"]) / r["stage_s"]
        r["outside_faster_whisper"] = (r["stage_s"] - r["transcribe"] - r["detect_language"] - r["vad"]) \
            / r["stage_s"]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    stage_s, transcribe_s = med["stage_s"], med["transcribe"]
    figures = {
        "model": spec.name if model_name != str(tmp / "tiny-whisper") else "tiny test model", "device": spec.device,
        "compute_type": spec.compute_type, "audio_s": args.duration, "runs": len(runs),
        "model_load_s": round(load_s, 3),
        "stage_s": round(stage_s, 3),
        "transcribe_s": round(transcribe_s, 3),
        "detect_language_s": round(med["detect_language"], 3),
        "vad_s": round(med["vad"], 3),
        "rtf_stage": round(stage_s / args.duration, 4),
        "rtf_transcribe": round(transcribe_s / args.duration, 4),
        "overhead_outside_transcribe": round(med["outside_transcribe"], 4),
        "overhead_outside_faster_whisper": round(med["outside_faster_whisper"], 4),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "model_rss_mib": round(peak_rss_mib() - rss_before, 1),
        "gpu_mib": gpu_memory_mib(),
        "segments": len(speech.segments) if speech else 0,
        "language": speech.language if speech else None,
    }
    print(f"speech bench: {figures['model']} on {spec.device} ({spec.compute_type}), "
          f"{args.duration:g} s clip, median of {len(runs)} runs")
    print(f"  model load           {load_s:8.3f} s")
    print(f"  stage total          {stage_s:8.3f} s   RTF {figures['rtf_stage']:.4f}")
    print(f"  in transcribe()      {transcribe_s:8.3f} s   RTF {figures['rtf_transcribe']:.4f}")
    print(f"  in detect_language() {med['detect_language']:8.3f} s   (the stage detects inside transcribe)")
    print(f"  in Silero VAD        {med['vad']:8.3f} s")
    print(f"  overhead outside WhisperModel.transcribe: {100 * figures['overhead_outside_transcribe']:.1f}% "
          f"of the stage (Silero VAD and separate language detection counted as overhead)")
    print(f"  overhead outside faster-whisper calls:    {100 * figures['overhead_outside_faster_whisper']:.1f}% "
          f"of the stage (audio read, post-processing, files, writing)")
    print(f"  peak RSS {figures['peak_rss_mib']:.0f} MiB (model load added {figures['model_rss_mib']:.0f} MiB)"
          + (f", GPU {figures['gpu_mib']:.0f} MiB" if figures["gpu_mib"] is not None else ""))
    print(f"  {figures['segments']} segments, language {figures['language']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    try:
        main()
    except VidscribeError as e:
        sys.exit(f"speech bench: {e}")
