"""Helpers shared by the speech tests (tests/speech is on sys.path while they run)."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from vidscribe.samples import SPEECH_RATE
from vidscribe.settings import Settings

SR = SPEECH_RATE


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * SR)), np.float32)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    """16-bit mono PCM at 16 kHz: what the media stage hands the speech stage."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())
    return path


def tiny_settings(model: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {"asr_model": str(model), "asr_device": "cpu", "asr_compute_type": "int8",
                            "asr_cpu_threads": 2}
    base.update(overrides)
    return Settings(**base)
