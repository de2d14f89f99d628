"""A WAV cut short by a full disk is one line naming the folder, however short: mid-samples, or
before ffmpeg finished even its header (that once escaped as `internal error: EOFError`)."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest

from vidscribe.errors import VidscribeError
from vidscribe.media.audio import SAMPLE_RATE, _check_complete


def _wav(path: Path, frames: int = 16000) -> bytes:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(b"\x01\x00" * frames)
    return path.read_bytes()


def test_a_complete_wav_passes(tmp_path: Path) -> None:
    _wav(tmp_path / "a.wav")
    _check_complete(tmp_path / "a.wav", tmp_path, "clip.mp4")


@pytest.mark.parametrize("keep", [0, 20, 43, 1000, 20000])
def test_a_cut_short_wav_is_one_line(tmp_path: Path, keep: int) -> None:
    wav = tmp_path / "a.wav"
    wav.write_bytes(_wav(wav)[:keep])
    with pytest.raises(VidscribeError) as e:
        _check_complete(wav, tmp_path, "clip.mp4")
    assert f"cannot write to {tmp_path}: the audio track came out cut short" in str(e.value)
