"""Finding and loading models: defaults per device, the cache folder, offline errors, once per process."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from speech_helpers import tiny_settings

from vidscribe.errors import ConfigError
from vidscribe.settings import Settings
from vidscribe.speech import model as speech_model
from vidscribe.speech.model import (
    DEFAULT_MODEL,
    MAX_DEFAULT_CPU_THREADS,
    TEST_MODEL_KEY,
    ModelIdentity,
    ModelSpec,
    default_cpu_threads,
    get_loaded,
    get_model,
    hub_repo_id,
    is_test_model,
    load_count,
    locate,
    resolve_spec,
)
from vidscribe.transcripts.model import Transcript

REPO = Path(__file__).resolve().parents[2]


def test_cpu_defaults_follow_the_device() -> None:
    spec = resolve_spec(Settings(asr_device="cpu"))
    assert spec == ModelSpec(name="small", device="cpu", compute_type="int8", cache_dir=None,
                             cpu_threads=default_cpu_threads())


def test_default_cpu_threads_are_the_cores_available_up_to_four(monkeypatch: pytest.MonkeyPatch) -> None:
    for cores, threads in ((1, 1), (2, 2), (3, 3), (16, MAX_DEFAULT_CPU_THREADS)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cores: set(range(n)))
        assert default_cpu_threads() == threads
        assert resolve_spec(Settings(asr_device="cpu")).cpu_threads == threads
    assert resolve_spec(Settings(asr_device="cpu", asr_cpu_threads=3)).cpu_threads == 3  # set: as set


def test_auto_device_picks_what_this_machine_has(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = resolve_spec(Settings())
    expected = "cuda" if speech_model.cuda_available() else "cpu"
    assert (spec.device, spec.name) == (expected, DEFAULT_MODEL[expected])


def test_cuda_defaults_to_a_large_model_in_float16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech_model, "cuda_available", lambda: True)
    monkeypatch.setattr("ctranslate2.get_supported_compute_types", lambda device: {"float16", "float32"})
    spec = resolve_spec(Settings())
    assert (spec.name, spec.device, spec.compute_type) == ("large-v3", "cuda", "float16")


def test_everything_is_overridable(tmp_path: Path) -> None:
    spec = resolve_spec(Settings(asr_model="large-v3-turbo", asr_device="cpu", asr_compute_type="float32",
                                 asr_cache_dir=tmp_path, asr_cpu_threads=3))
    assert spec == ModelSpec("large-v3-turbo", "cpu", "float32", str(tmp_path), 3)


def test_missing_model_offline_fails_with_one_actionable_line(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError) as info:
        get_model(resolve_spec(Settings(asr_model="large-v3", asr_device="cpu", asr_cache_dir=tmp_path)))
    message = str(info.value)
    assert "\n" not in message
    assert "'large-v3'" in message and str(tmp_path) in message
    assert "VIDSCRIBE_ASR_MODEL" in message and "local CTranslate2 model folder" in message


def test_download_failure_is_one_line_too(tmp_path: Path) -> None:
    """Without HF_HUB_OFFLINE the download is tried; an unreachable hub (a closed port on loopback
    here) ends in the same kind of message. A subprocess: huggingface_hub reads HF_ENDPOINT at import."""
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_ETAG_TIMEOUT="5", HF_HUB_DOWNLOAD_TIMEOUT="5",
               PYTHONPATH=str(REPO))
    code = ("from vidscribe.speech.model import locate\n"
            "from vidscribe.errors import ConfigError\n"
            "try:\n"
            f"    locate('tiny', cache_dir={str(tmp_path)!r})\n"
            "except ConfigError as e:\n"
            "    print('ConfigError:', e)\n")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    assert line.startswith("ConfigError: speech model 'tiny' is not in") and "could not be downloaded" in line


def test_unknown_names_and_bad_folders_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown speech model 'huge-v9'"):
        locate("huge-v9")
    with pytest.raises(ConfigError, match="no model.bin"):
        locate(str(tmp_path))
    with pytest.raises(ConfigError, match="does not exist"):
        locate(str(tmp_path / "nope"))


def test_a_broken_model_folder_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model")
    with pytest.raises(ConfigError, match="cannot load speech model"):
        get_model(ModelSpec(str(tmp_path), "cpu", "int8"))


def test_a_named_model_is_found_in_the_settings_cache_folder_offline(
        tiny_models: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A model downloaded earlier (Hugging Face cache layout under VIDSCRIBE_ASR_CACHE_DIR) loads by
    name with no network: the tiny model stands in for Systran/faster-whisper-small."""
    repo = tmp_path / "cache" / "models--Systran--faster-whisper-small"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_models["ru"], snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = resolve_spec(Settings(asr_model="small", asr_device="cpu", asr_cache_dir=tmp_path / "cache"))
    assert Path(locate(spec.name, spec.cache_dir)) == snapshot
    assert get_model(spec).model.is_multilingual
    identity = get_loaded(spec).identity
    assert identity.source == "Systran/faster-whisper-small"  # the repository, not this machine's cache path
    assert identity.test_model  # the copy keeps the test mark


def test_the_model_loads_once_per_process(tiny_models: dict[str, Path]) -> None:
    spec = resolve_spec(tiny_settings(tiny_models["ru"]))
    first = get_model(spec)
    loads = load_count()
    assert get_model(spec) is first
    assert get_model(resolve_spec(tiny_settings(tiny_models["ru"]))) is first  # equal settings, same model
    assert load_count() == loads
    other = get_model(resolve_spec(tiny_settings(tiny_models["zh"])))  # another model replaces it
    assert other is not first and load_count() == loads + 1
    assert speech_model.cached_specs() == [resolve_spec(tiny_settings(tiny_models["zh"]))]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_loaded_model_is_identified_once_per_load(tiny_models: dict[str, Path],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    hashed: list[Path] = []
    real = speech_model.file_sha256
    monkeypatch.setattr(speech_model, "file_sha256", lambda path: hashed.append(Path(path)) or real(path))
    speech_model.release()
    spec = resolve_spec(tiny_settings(tiny_models["zh"]))
    loaded = get_loaded(spec)
    assert loaded.identity == ModelIdentity(source=str(tiny_models["zh"].resolve()),
                                            sha256=_sha256(tiny_models["zh"] / "model.bin"), test_model=True)
    assert loaded.spec == spec and loaded.whisper is get_model(spec)
    assert get_loaded(spec) is loaded
    assert hashed == [tiny_models["zh"] / "model.bin"]  # hashed at load, not per clip


def test_repository_ids_of_names() -> None:
    assert hub_repo_id("large-v3") == "Systran/faster-whisper-large-v3"
    assert hub_repo_id("deepdml/faster-whisper-large-v3-turbo-ct2") == "deepdml/faster-whisper-large-v3-turbo-ct2"


def test_only_the_config_key_marks_a_test_model(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    assert is_test_model(tiny_models["ru"])
    assert json.loads((tiny_models["ru"] / "config.json").read_text())[TEST_MODEL_KEY] is True
    for config in ('{"suppress_ids": []}', f'{{"{TEST_MODEL_KEY}": "yes"}}', "not json", None):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        if config is not None:
            (folder / "config.json").write_text(config)
        assert not is_test_model(folder)


def test_transcripts_from_before_the_model_identity_still_load() -> None:
    t = Transcript.from_dict({"schema_version": 1, "video": {"id": "v", "source": "clip.mp4"},
                              "speech": {"language": "ru", "segments": [], "model": "small", "device": "cpu"}})
    assert t.speech is not None
    assert (t.speech.model, t.speech.model_source, t.speech.model_sha256, t.speech.test_model) == \
        ("small", None, None, False)
