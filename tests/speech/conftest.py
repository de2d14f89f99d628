"""Speech fixtures: tiny Whisper models built once per session, espeak-ng speech, stage contexts."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: tiny_whisper

import real_whisper  # noqa: E402
import tiny_whisper  # noqa: E402
from speech_helpers import SR  # noqa: E402

from vidscribe.samples import ClipSpec, Utterance, make_clip, speak  # noqa: E402
from vidscribe.settings import Settings  # noqa: E402
from vidscribe.stage import StageContext  # noqa: E402
from vidscribe.transcripts.model import Transcript, VideoMeta  # noqa: E402


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """ru: transcribes to " привет мир", translates to " hello world"; zh: transcribes to
    traditional "這是測試"; loop: transcribes to " да да да ..." until the length limit; unsure:
    like ru, but with a high no-speech probability and a low average log probability."""
    root = tmp_path_factory.mktemp("tiny-whisper")
    return {
        "ru": tiny_whisper.build(root / "ru", language="ru"),
        "zh": tiny_whisper.build(root / "zh", language="zh", transcribe=tiny_whisper.TRADITIONAL),
        "loop": tiny_whisper.build(root / "loop", language="ru", transcribe=tiny_whisper.LOOP),
        "unsure": tiny_whisper.build(root / "unsure", language="ru", confidence=8, no_speech=27),
    }


@pytest.fixture(scope="session")
def whisper_base() -> Path:
    """OpenAI's Whisper base for faster-whisper (the real-model tier): assembled from the pinned test
    wheels once, verified against its SHA-256 (tests/real_whisper.py). Missing wheels fail the test
    with the command that installs them, never a silent skip."""
    try:
        return real_whisper.folder()
    except real_whisper.ModelUnavailable as e:
        pytest.fail(str(e), pytrace=False)


@pytest.fixture(scope="session")
def voices(tmp_path_factory: pytest.TempPathFactory) -> dict[str, np.ndarray]:
    """espeak-ng utterances as 16 kHz float32 samples."""
    root = tmp_path_factory.mktemp("voices")
    texts = {
        "en": ("Join the army. Sign the contract today.", "en-us"),
        "ru": ("Служба по контракту. Зарплата двести тысяч рублей.", "ru"),
        "zh": ("加入俄罗斯军队", "cmn"),
    }
    return {key: speak(text, voice, root / f"{key}.wav") for key, (text, voice) in texts.items()}


@pytest.fixture(scope="session")
def speech_clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A generated 10 s video with espeak-ng speech at 1.0 s and 6.0 s, and its 16 kHz mono WAV
    extracted by ffmpeg the way the media stage does."""
    root = tmp_path_factory.mktemp("speech-clip")
    spec = ClipSpec(duration=10.0, width=96, height=64, fps=5, background="color=c=black",
                    speech=[Utterance(1.0, "Join the army today.", "en-us"),
                            Utterance(6.0, "Служба по контракту.", "ru")])
    media = make_clip(spec, root / "clip.mp4")
    wav = root / "audio.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(media), "-vn", "-ac", "1", "-ar", str(SR),
                    "-c:a", "pcm_s16le", str(wav)], check=True, capture_output=True, timeout=120)
    return media, wav


@pytest.fixture()
def make_context(tmp_path: Path) -> Callable[..., StageContext]:
    def make(settings: Settings, audio_path: Path | None, media_path: Path | None = None,
             duration: float | None = None,
             progress: Callable[[float], None] = lambda f: None) -> StageContext:
        transcript = Transcript(video=VideoMeta(id="clip1", source="test", duration=duration,
                                                has_audio=audio_path is not None))
        return StageContext(settings=settings, transcript=transcript,
                            media_path=media_path or tmp_path / "media.mp4", audio_path=audio_path,
                            output_dir=tmp_path / "out", progress=progress)
    return make
