"""Finding and loading the faster-whisper model, once per process.

`VIDSCRIBE_ASR_MODEL` is a faster-whisper model name (`small`, `large-v3`, `large-v3-turbo`, ...),
a Hugging Face repository ID of a CTranslate2 Whisper conversion (`owner/name`), or a local
CTranslate2 model folder. Names are looked up in the cache first (no network), then downloaded
into the cache folder the settings name, the way `WhisperModel(download_root=...)` does it.

The loaded model is kept in a process-wide cache keyed by everything that changes what gets
loaded (`ModelSpec`), so a queue worker transcribing clip after clip loads it once. Only one model
is kept: asking for a different one releases the previous one (a large model holds GBs).

With the model the cache keeps its `ModelIdentity`, recorded in every speech track beside the
configured name: the Hugging Face repository ID or local folder it came from, the SHA-256 of its
`model.bin` (hashed once per load), and whether it is a test model. A test model is one whose
`config.json` holds `"vidscribe_test_model": true` (`tests/tiny_whisper.py` writes it): its
"transcripts" are scripted, and must never pass for recognised speech.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vidscribe.errors import ConfigError, TransientError
from vidscribe.settings import Settings

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

log = logging.getLogger(__name__)

# What "auto" means, per device: the model must be fast enough to be useful there.
DEFAULT_MODEL = {"cuda": "large-v3", "cpu": "small"}
DEFAULT_COMPUTE_TYPE = {"cuda": "float16", "cpu": "int8"}
_TRUE = {"1", "true", "yes", "on"}
# The key in a model folder's config.json that marks a test model (value: true).
TEST_MODEL_KEY = "vidscribe_test_model"
# CPU threads when asr_cpu_threads is 0: one per core this process may use, at most CTranslate2's own
# default of 4. Measured with Whisper base on 2 shared cores (bench/speech_quality.py --threads-sweep
# 1,2,4 --sections quality; docs/transcript-format.md): 4 threads took 1.36x (plain call) to 1.53x
# (stage) the time of 2 (oversubscription); 1 thread took 0.9x the time of 2, but the 2-thread pass
# ran while other work held a core (load 3.8 against 1.4): not clean enough to go below one per core.
MAX_DEFAULT_CPU_THREADS = 4


def default_cpu_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_CPU_THREADS))


@dataclass(frozen=True)
class ModelSpec:
    """Everything that decides which model gets loaded, and how: the cache key."""

    name: str  # as configured (or the device's default): a model name, repo ID or folder
    device: str  # cpu or cuda
    compute_type: str
    cache_dir: str | None = None
    cpu_threads: int = 0  # resolve_spec fills in default_cpu_threads() for the setting's 0

    def describe(self) -> str:
        return f"{self.name} ({self.device}, {self.compute_type})"


def cuda_available() -> bool:
    import ctranslate2

    try:
        return ctranslate2.get_cuda_device_count() > 0
    except Exception:  # a broken CUDA install reads as no CUDA
        return False


def resolve_device(setting: str) -> str:
    if setting == "auto":
        return "cuda" if cuda_available() else "cpu"
    if setting not in ("cpu", "cuda"):
        raise ConfigError(f"VIDSCRIBE_ASR_DEVICE={setting!r} is not valid: expected auto, cpu or cuda")
    return setting


def resolve_compute_type(setting: str, device: str) -> str:
    if setting and setting != "auto":
        return setting
    if device == "cuda":
        import ctranslate2

        try:
            supported = ctranslate2.get_supported_compute_types("cuda")
        except Exception:
            supported = {"float16"}
        return "float16" if "float16" in supported else "float32"
    return DEFAULT_COMPUTE_TYPE[device]


def resolve_spec(settings: Settings) -> ModelSpec:
    """The model the settings ask for, with `auto` and the device's default model filled in."""
    device = resolve_device(settings.asr_device)
    name = (settings.asr_model or "").strip() or DEFAULT_MODEL[device]
    cache_dir = str(Path(settings.asr_cache_dir).expanduser()) if settings.asr_cache_dir else None
    return ModelSpec(name=name, device=device,
                     compute_type=resolve_compute_type(settings.asr_compute_type, device),
                     cache_dir=cache_dir, cpu_threads=settings.asr_cpu_threads if settings.asr_cpu_threads > 0
                     else default_cpu_threads())


def hub_offline() -> bool:
    """True when the environment forbids network access to the Hugging Face Hub."""
    return any(os.environ.get(name, "").strip().lower() in _TRUE
               for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _missing(name: str, cache_dir: str | None, why: str) -> ConfigError:
    where = cache_dir or "the Hugging Face cache"
    return ConfigError(f"speech model {name!r} is not in {where} and {why}; run once with network access "
                       f"(VIDSCRIBE_ASR_CACHE_DIR picks the cache folder) or set VIDSCRIBE_ASR_MODEL to a "
                       f"local CTranslate2 model folder (e.g. one made with ct2-transformers-converter)")


def locate(name: str, cache_dir: str | None = None) -> str:
    """The folder holding model `name`: the folder itself, or the cached (or newly downloaded) copy."""
    folder = Path(name).expanduser()
    if folder.is_dir():
        if not (folder / "model.bin").is_file():
            raise ConfigError(f"{folder} is not a CTranslate2 Whisper model folder (no model.bin in it)")
        return str(folder)
    if name.startswith((".", "/", "~")) or name.count("/") > 1:  # a path, not a name or owner/name
        raise ConfigError(f"speech model folder {name} does not exist")

    from faster_whisper.utils import available_models, download_model

    if "/" not in name and name not in available_models():
        raise ConfigError(f"unknown speech model {name!r}: use one of {', '.join(available_models())}, "
                          f"a Hugging Face repository ID (owner/name) or a local CTranslate2 model folder")
    try:
        return download_model(name, local_files_only=True, cache_dir=cache_dir)
    except Exception:  # not cached (huggingface_hub raises LocalEntryNotFoundError)
        pass
    if hub_offline():
        raise _missing(name, cache_dir, "HF_HUB_OFFLINE is set, so it cannot be downloaded")
    log.info("downloading speech model %s into %s", name, cache_dir or "the Hugging Face cache")
    try:
        return download_model(name, cache_dir=cache_dir)
    except Exception as e:  # network down, repository missing, disk full: one line for the user
        raise _missing(name, cache_dir, f"could not be downloaded ({type(e).__name__}: "
                                        f"{str(e).splitlines()[0] if str(e) else 'no detail'})") from None


@dataclass(frozen=True)
class ModelIdentity:
    """What a loaded model is, beyond its configured name: the transcript's `speech.model_source`,
    `speech.model_sha256` and `speech.test_model`."""

    source: str  # Hugging Face repository ID for a model name or repo ID; the absolute folder otherwise
    sha256: str  # of the folder's model.bin
    test_model: bool  # config.json marks it as a test model (TEST_MODEL_KEY)


def hub_repo_id(name: str) -> str:
    """The Hugging Face repository a model name or repository ID downloads from."""
    if "/" in name:
        return name
    from faster_whisper import utils

    return getattr(utils, "_MODELS", {}).get(name, name)  # faster-whisper's name -> repository map


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file, read in chunks (a large model.bin is ~3 GB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def is_test_model(folder: str | Path) -> bool:
    """Whether the model folder's config.json marks it as a test model (`"vidscribe_test_model": true`)."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(config, dict) and config.get(TEST_MODEL_KEY) is True


def identify(name: str, folder: str | Path) -> ModelIdentity:
    """The identity of model `name`, found in `folder` (what `locate` returned for it)."""
    folder = Path(folder)
    source = str(folder.resolve()) if Path(name).expanduser().is_dir() else hub_repo_id(name)
    return ModelIdentity(source=source, sha256=file_sha256(folder / "model.bin"), test_model=is_test_model(folder))


@dataclass(frozen=True)
class LoadedModel:
    spec: ModelSpec
    whisper: WhisperModel
    identity: ModelIdentity  # found once per load (model.bin is hashed then)


def load(spec: ModelSpec) -> LoadedModel:
    """Load the model and identify it (no cache: use `get_loaded`)."""
    path = locate(spec.name, spec.cache_dir)
    from faster_whisper import WhisperModel

    try:
        whisper = WhisperModel(path, device=spec.device, compute_type=spec.compute_type,
                               cpu_threads=spec.cpu_threads, download_root=spec.cache_dir)
    except (RuntimeError, ValueError, OSError) as e:
        reason = " ".join(str(e).split()) or type(e).__name__
        if "out of memory" in reason.lower():
            raise TransientError(f"not enough memory to load speech model {spec.describe()}: {reason}; try a "
                                 f"smaller VIDSCRIBE_ASR_MODEL") from None
        raise ConfigError(f"cannot load speech model {spec.describe()} from {path}: {reason}") from None
    try:
        identity = identify(spec.name, path)
    except OSError as e:
        raise ConfigError(f"cannot read speech model {spec.describe()} in {path}: {e.strerror or e}") from None
    return LoadedModel(spec, whisper, identity)


_lock = threading.Lock()
_cache: dict[ModelSpec, LoadedModel] = {}
_loads = 0


def get_loaded(spec: ModelSpec) -> LoadedModel:
    """The process-wide model for `spec` with its identity, loaded on first use and reused afterwards."""
    global _loads
    with _lock:
        loaded = _cache.get(spec)
        if loaded is None:
            _cache.clear()  # one model at a time: drop the previous one before loading another
            log.info("loading speech model %s", spec.describe())
            loaded = load(spec)
            _cache[spec] = loaded
            _loads += 1
        return loaded


def get_model(spec: ModelSpec) -> WhisperModel:
    """The process-wide model for `spec` (see `get_loaded`)."""
    return get_loaded(spec).whisper


def load_count() -> int:
    """How many times this process has loaded a speech model."""
    return _loads


def cached_specs() -> list[ModelSpec]:
    with _lock:
        return list(_cache)


def release() -> None:
    """Forget the cached model (frees its memory once nothing else holds it)."""
    with _lock:
        _cache.clear()
