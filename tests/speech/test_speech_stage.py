"""The speech stage through the real faster-whisper code path, on tiny scripted models.

The tiny models decode every 30 s window to one scripted segment [0 -> 1 s] with two words at
0-0.5 and 0.5-1 (see tests/tiny_whisper.py), so every time below is exact: it is where the
stage put the window on the clip's timeline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from speech_helpers import SR, silence, tiny_settings, write_wav

from vidscribe.errors import ConfigError
from vidscribe.settings import Settings
from vidscribe.speech import STAGE
from vidscribe.speech.model import TEST_MODEL_KEY, get_loaded, get_model, load_count, resolve_spec
from vidscribe.speech.postprocess import timing_problems
from vidscribe.speech.transcribe import (
    DecodeOptions,
    islands,
    read_audio,
    speech_chunks,
    transcribe,
)
from vidscribe.transcripts.model import Segment, Speech, Word, to_jsonable
from vidscribe.transcripts.render import derived_files


def words_of(speech: Speech) -> list[list[tuple[float, float, str]]]:
    return [[(w.start, w.end, w.text) for w in s.words] for s in speech.segments]


def run_tiny(model: Path, audio: np.ndarray, **settings) -> Speech:
    """Transcribe `audio` with a tiny model and the default settings but `settings`."""
    options = tiny_settings(model, **settings)
    return transcribe(get_loaded(resolve_spec(options)), audio, DecodeOptions.from_settings(options))


def test_exact_segments_words_and_metadata(tiny_models, voices) -> None:
    audio = np.concatenate([voices["ru"], silence(2)])
    speech = run_tiny(tiny_models["ru"], audio, asr_vad=False)
    assert speech.segments == [Segment(
        start=0.0, end=1.0, text="привет мир",
        words=[Word(0.0, 0.5, "привет", 1.0), Word(0.5, 1.0, "мир", 1.0)],
        avg_logprob=-0.0, no_speech_prob=0.0, compression_ratio=0.633, temperature=0.0, language="ru")]
    assert (speech.language, speech.language_probability, speech.task) == ("ru", 1.0, "transcribe")
    assert (speech.model, speech.device, speech.compute_type) == (str(tiny_models["ru"]), "cpu", "int8")
    assert speech.model_source == str(tiny_models["ru"].resolve())
    assert speech.model_sha256 == hashlib.sha256((tiny_models["ru"] / "model.bin").read_bytes()).hexdigest()
    assert speech.test_model is True
    assert (speech.vad, speech.speech_duration, speech.dropped, speech.script) == (False, None, {}, "t2s")


def test_language_is_detected_or_forced(tiny_models, voices) -> None:
    zh = run_tiny(tiny_models["zh"], voices["zh"], asr_vad=False)
    assert (zh.language, zh.language_probability) == ("zh", 1.0)
    forced = run_tiny(tiny_models["ru"], voices["en"], asr_vad=False, asr_language="en")
    assert (forced.language, forced.language_probability) == ("en", None)
    assert forced.segments[0].text == "привет мир"  # the scripted text does not depend on the language


def test_unknown_forced_language_is_a_config_error(tiny_models, voices) -> None:
    with pytest.raises(ConfigError, match="VIDSCRIBE_ASR_LANGUAGE='xx'"):
        run_tiny(tiny_models["ru"], voices["ru"], asr_language="xx")


def test_translate_reaches_the_model(tiny_models, voices) -> None:
    speech = run_tiny(tiny_models["ru"], voices["ru"], asr_vad=False, asr_task="translate")
    assert speech.task == "translate" and speech.language == "ru"  # language: what was spoken
    assert [s.text for s in speech.segments] == ["hello world"]
    assert words_of(speech) == [[(0.0, 0.5, "hello"), (0.5, 1.0, "world")]]


def test_traditional_mandarin_is_simplified_and_raw_text_kept(tiny_models, voices) -> None:
    (seg,) = run_tiny(tiny_models["zh"], voices["zh"], asr_vad=False).segments
    assert (seg.text, seg.raw_text) == ("这是测试", "這是測試")
    assert [(w.text, w.raw_text) for w in seg.words] == [("这是", "這是"), ("测试", "測試")]
    (kept,) = run_tiny(tiny_models["zh"], voices["zh"], asr_vad=False, chinese_script="none").segments
    assert (kept.text, kept.raw_text) == ("這是測試", None)


def test_vad_places_speech_where_it_is_and_skips_silence(tiny_models, voices) -> None:
    # 3 s silence, speech, 5 s silence, speech: VAD keeps both (padded by 0.4 s) as one island.
    audio = np.concatenate([silence(3), voices["en"], silence(5), voices["ru"], silence(2)])
    with_vad = run_tiny(tiny_models["ru"], audio)
    assert with_vad.vad is True and 5 < with_vad.speech_duration < 9
    (seg,) = with_vad.segments
    assert (seg.start, seg.end) == (2.608, 3.608)  # the window's 0 s is the first speech chunk's start
    assert words_of(with_vad) == [[(2.608, 3.108, "привет"), (3.108, 3.608, "мир")]]
    without = run_tiny(tiny_models["ru"], audio, asr_vad=False)
    assert [(s.start, s.end) for s in without.segments] == [(0.0, 1.0)]  # "speech" in the silence


def test_silence_or_music_only_gives_no_text(tiny_models) -> None:
    t = np.arange(8 * SR) / SR
    hum = (0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t))).astype(np.float32)
    for audio in (silence(8), hum):
        speech = run_tiny(tiny_models["ru"], audio)
        assert speech.segments == [] and speech.speech_duration == 0.0
        assert speech.language is None and speech.language_probability is None
    # Without VAD the scripted model "hears" words in silence: the failure VAD guards against.
    assert run_tiny(tiny_models["ru"], silence(8), asr_vad=False).segments


def test_each_stretch_after_silence_is_decoded_on_its_own(tiny_models, voices, monkeypatch) -> None:
    """More than a window of speech: each stretch after a silence is its own decoding, so the
    text before the silence is never the prompt after it. A spy on the real `transcribe` records
    how each decoding was asked for."""
    long_ru = np.concatenate([voices["ru"]] * 8)  # ~28 s of speech without a 2 s pause
    audio = np.concatenate([silence(1), long_ru, silence(4), long_ru, silence(1)])
    chunks = speech_chunks(audio)
    assert len(chunks) == 2 and islands(chunks) == [[chunks[0]], [chunks[1]]]
    model = get_model(resolve_spec(tiny_settings(tiny_models["ru"])))
    calls = []
    real = model.transcribe

    def spy(audio, **kwargs):
        calls.append((len(audio), kwargs))
        return real(audio, **kwargs)

    monkeypatch.setattr(model, "transcribe", spy)
    speech = run_tiny(tiny_models["ru"], audio)
    assert [(s.start, s.end) for s in speech.segments] == [(round(c[0] / SR, 3), round(c[0] / SR + 1, 3))
                                                             for c in chunks]
    assert all(s.text == "привет мир" for s in speech.segments)
    assert timing_problems(speech.segments, len(audio) / SR) == []
    assert [n for n, _ in calls] == [e - s for s, e in chunks]
    assert all(k["condition_on_previous_text"] and not k["vad_filter"] and k["word_timestamps"]
               for _, k in calls)  # one continuous chunk each: previous text may prompt within it
    # Language: detected on every window the decoding encodes anyway (multilingual), never in a
    # pass of its own; the language given only spares faster-whisper that pass. The first island
    # starts from the first candidate, the next from the vote so far.
    assert all(k["multilingual"] for _, k in calls)
    assert [k["language"] for _, k in calls] == ["ru", "ru"]
    assert speech.language == "ru" and speech.language_probability == 1.0

    # Chunks packed into one island have silences between them: no previous-text prompt there.
    calls.clear()
    run_tiny(tiny_models["ru"], np.concatenate([silence(3), voices["en"], silence(5), voices["ru"]]))
    assert len(calls) == 1 and calls[0][1]["condition_on_previous_text"] is False
    assert calls[0][1]["hallucination_silence_threshold"] == 2.0


def test_a_repetition_loop_is_dropped(tiny_models, voices) -> None:
    speech = run_tiny(tiny_models["loop"], voices["ru"][: 2 * SR], asr_vad=False, asr_temperatures="0")
    assert speech.segments == [] and speech.dropped == {"repetition": 1}


def test_a_window_judged_silent_is_skipped(tiny_models, voices) -> None:
    """Whisper's no-speech rule: no-speech probability above asr_no_speech_threshold and average
    log probability below asr_log_prob_threshold -> the window is silence, whatever was decoded."""
    assert run_tiny(tiny_models["unsure"], voices["ru"], asr_vad=False, asr_temperatures="0").segments == []
    kept = run_tiny(tiny_models["unsure"], voices["ru"], asr_vad=False, asr_temperatures="0",
                    asr_no_speech_threshold=0.99)
    (seg,) = kept.segments
    assert seg.text == "привет мир" and seg.no_speech_prob > 0.9 and seg.avg_logprob < -1
    assert run_tiny(tiny_models["unsure"], voices["ru"], asr_vad=False, asr_temperatures="0",
                    asr_log_prob_threshold=-2.0).segments  # confident enough: kept


def test_nothing_ends_after_the_media(tiny_models, voices) -> None:
    # The media is shorter than its audio track: 0.7 s. The segment is clamped to it.
    settings = tiny_settings(tiny_models["ru"], asr_vad=False)
    speech = transcribe(get_loaded(resolve_spec(settings)), voices["ru"], DecodeOptions.from_settings(settings),
                        duration=0.7)
    assert words_of(speech) == [[(0.0, 0.5, "привет"), (0.5, 0.7, "мир")]]
    assert speech.segments[0].end == 0.7


def test_prompt_and_hotwords_pass_through(tiny_models, voices) -> None:
    speech = run_tiny(tiny_models["ru"], voices["ru"], asr_vad=False, asr_initial_prompt="Вагнер, СВО",
                      asr_hotwords="контракт", asr_beam_size=2, asr_temperatures="0,0.5")
    assert [s.text for s in speech.segments] == ["привет мир"]


def test_islands_pack_speech_into_windows() -> None:
    w = 30 * SR
    assert islands([]) == []
    assert islands([(0, 10 * SR), (12 * SR, 25 * SR), (27 * SR, 40 * SR)]) == \
        [[(0, 10 * SR), (12 * SR, 25 * SR)], [(27 * SR, 40 * SR)]]
    assert islands([(0, 2 * w), (2 * w + 5, 2 * w + 10)]) == [[(0, 2 * w)], [(2 * w + 5, 2 * w + 10)]]


def test_settings_are_checked() -> None:
    for bad in ("", "hot", "-1", "0,nan"):  # parsed when settings load, before any work
        with pytest.raises(ConfigError, match="VIDSCRIBE_ASR_TEMPERATURES"):
            Settings.load(env={"VIDSCRIBE_ASR_TEMPERATURES": bad})
    with pytest.raises(ConfigError, match="BEAM_SIZE"):
        DecodeOptions.from_settings(tiny_settings(Path("x"), asr_beam_size=0))
    options = DecodeOptions.from_settings(tiny_settings(Path("x"), asr_language=" RU ", asr_hotwords=" ",
                                                        asr_hallucination_silence=0))
    assert (options.language, options.hotwords, options.hallucination_silence) == ("ru", None, None)


def test_decode_options_take_every_default_from_settings() -> None:
    """DecodeOptions has no defaults of its own: each one is Settings's, in one place."""
    assert all(f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               for f in dataclasses.fields(DecodeOptions))
    defaults = Settings()
    options = DecodeOptions.from_settings(defaults)
    assert options == DecodeOptions(
        language=None, languages=("ru", "zh", "en", "uk"), task=defaults.asr_task, beam_size=defaults.asr_beam_size,
        temperatures=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0), vad=defaults.asr_vad, initial_prompt=None,
        hotwords=None, no_speech_threshold=defaults.asr_no_speech_threshold,
        log_prob_threshold=defaults.asr_log_prob_threshold,
        compression_ratio_threshold=defaults.asr_compression_ratio_threshold,
        hallucination_silence=defaults.asr_hallucination_silence,
        condition_on_previous_text=defaults.asr_condition_on_previous_text, script=defaults.chinese_script)


def test_read_audio_decodes_other_formats(tmp_path: Path, speech_clip) -> None:
    media, wav = speech_clip
    pcm = read_audio(wav)
    decoded = read_audio(media)  # AAC in MP4: decoded and resampled by PyAV
    assert pcm.dtype == decoded.dtype == np.float32
    assert abs(len(pcm) - len(decoded)) < SR // 10
    (tmp_path / "junk.wav").write_bytes(b"RIFF junk")
    with pytest.raises(Exception, match="cannot decode audio") as info:
        read_audio(tmp_path / "junk.wav")
    assert type(info.value).__name__ == "SourceError"


# -- the stage ---------------------------------------------------------------------------------

def test_stage_on_a_generated_clip(tiny_models, speech_clip, make_context) -> None:
    media, wav = speech_clip
    fractions: list[float] = []
    ctx = make_context(tiny_settings(tiny_models["ru"]), wav, media, duration=10.0, progress=fractions.append)
    out = STAGE.run(ctx)
    assert (STAGE.name, STAGE.queue, STAGE.version) == ("speech", "speech", "3")
    assert out.skipped is None and set(out.changes) == {"speech"}
    speech = out.changes["speech"]
    assert [s.text for s in speech.segments] == ["привет мир"]
    start = speech.segments[0].start
    assert 0.4 < start < 1.0  # espeak speech starts at 1.0 s; VAD pads 0.4 s
    assert timing_problems(speech.segments, 10.0) == []
    assert fractions and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert out.files == {}  # speech.srt/.vtt/.txt are rendered by the store from the saved transcript
    files = derived_files(dataclasses.replace(ctx.transcript, speech=speech))
    assert files["speech.txt"] == "[00:00] привет мир\n"
    assert "привет мир" in files["speech.srt"] and files["speech.vtt"].startswith("WEBVTT")
    json.dumps(to_jsonable(speech), allow_nan=False)  # the transcript contract is plain JSON


def test_a_test_model_is_recorded_and_warned_about(tiny_models, speech_clip, make_context, caplog) -> None:
    media, wav = speech_clip
    with caplog.at_level(logging.WARNING, logger="vidscribe.speech"):
        speech = STAGE.run(make_context(tiny_settings(tiny_models["ru"]), wav, media)).changes["speech"]
    assert speech.test_model is True
    assert speech.model_source == str(tiny_models["ru"].resolve())
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "test model" in warning.getMessage() and str(tiny_models["ru"].resolve()) in warning.getMessage()
    saved = json.loads(json.dumps(to_jsonable(speech)))
    assert saved["test_model"] is True and saved["model_sha256"] == speech.model_sha256


def test_a_model_without_the_test_mark_is_not_a_test_model(tiny_models, speech_clip, make_context, tmp_path,
                                                           caplog) -> None:
    """The mark is the config.json key and nothing else: the same weights without it are not flagged."""
    folder = shutil.copytree(tiny_models["ru"], tmp_path / "unmarked")
    config = json.loads((folder / "config.json").read_text())
    del config[TEST_MODEL_KEY]
    (folder / "config.json").write_text(json.dumps(config))
    media, wav = speech_clip
    with caplog.at_level(logging.WARNING, logger="vidscribe.speech"):
        speech = STAGE.run(make_context(tiny_settings(folder), wav, media)).changes["speech"]
    assert speech.test_model is False and speech.segments
    assert speech.model_sha256 == hashlib.sha256((tiny_models["ru"] / "model.bin").read_bytes()).hexdigest()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_second_clip_reuses_the_loaded_model(tiny_models, speech_clip, make_context) -> None:
    media, wav = speech_clip
    settings = tiny_settings(tiny_models["ru"])
    STAGE.run(make_context(settings, wav, media))
    loads, model = load_count(), get_model(resolve_spec(settings))
    again = STAGE.run(make_context(settings, wav, media))
    assert load_count() == loads and get_model(resolve_spec(settings)) is model
    assert again.changes["speech"].segments


def test_no_audio_stream_is_skipped(tiny_models, make_context) -> None:
    out = STAGE.run(make_context(tiny_settings(tiny_models["ru"]), None))
    assert out.skipped == "no audio stream" and not out.changes and not out.files


def test_empty_audio_gives_an_empty_track(tiny_models, tmp_path, make_context) -> None:
    wav = write_wav(tmp_path / "empty.wav", silence(0))
    ctx = make_context(tiny_settings(tiny_models["ru"]), wav)
    out = STAGE.run(ctx)
    assert out.changes["speech"].segments == []
    files = derived_files(dataclasses.replace(ctx.transcript, speech=out.changes["speech"]))
    assert [files[f"speech.{fmt}"] for fmt in ("srt", "vtt", "txt")] == ["", "WEBVTT\n", ""]
