"""One typed settings object: every field is an environment variable `VIDSCRIBE_<NAME>` and a
CLI option `--<name>`, in that order of precedence: option, then environment, then default.

The CLI builds its options from these fields (`vidscribe.cli.settings_options`) and the README's settings table
lists them (a test keeps the two in step), so a setting is declared exactly once, here.

Every value is parsed when settings load, list-valued text too (`asr_temperatures`, `phone_regions`,
`lexicons`: kept as given, parsed by the one parser here and exposed as properties), so a bad value
fails with one line before any download, not after speech and OCR.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from vidscribe.errors import ConfigError
from vidscribe.listings.dates import check_bound

ENV_PREFIX = "VIDSCRIBE_"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_SIZE_UNITS = (("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024))
DEFAULT_LEXICON = "default"  # in the `lexicons` setting: the shipped recruitment lexicon


# -- parsers of settings whose text holds a list: one parser each, run when settings load ---------

def parse_temperatures(text: str) -> tuple[float, ...]:
    """"0,0.2,0.4" -> (0.0, 0.2, 0.4); ValueError when empty, negative or not numbers."""
    try:
        values = tuple(float(part) for part in text.replace(" ", "").split(",") if part)
    except ValueError:
        values = ()
    if not values or not all(math.isfinite(v) and v >= 0 for v in values):
        raise ValueError("expected comma-separated temperatures >= 0, e.g. 0,0.2,0.4,0.6,0.8,1.0")
    return values


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")  # Whisper's codes: ru, zh, en, uk, yue, haw, ...


def parse_languages(text: str) -> tuple[str, ...]:
    """" RU, zh " -> ("ru", "zh"); empty: no restriction. ValueError for what is not a language code
    (whether the model knows each code is checked when it is loaded)."""
    codes = tuple(dict.fromkeys(c.strip().lower() for c in text.split(",") if c.strip()))
    bad = [c for c in codes if not _LANGUAGE_CODE.match(c)]
    if bad:
        raise ValueError(f"not language codes: {', '.join(bad)} (expected e.g. ru,zh,en,uk)")
    return codes


def parse_phone_regions(text: str) -> tuple[str, ...]:
    """" ru, cn " -> ("RU", "CN"); ValueError for a code phonenumbers does not know."""
    import phonenumbers  # here, not at import: most commands never load settings

    regions = tuple(r.strip().upper() for r in text.split(",") if r.strip())
    unknown = [r for r in regions if r not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ValueError(f"unknown region code(s) {', '.join(unknown)} (ISO 3166, e.g. RU,CN)")
    return regions


def default_lexicon_path() -> Path:
    return Path(str(resources.files("vidscribe") / "analysis" / "lexicons" / "recruitment.txt"))


def parse_lexicons(text: str) -> tuple[Path, ...]:
    """The lexicon files a `lexicons` value names: comma-separated files or folders (their *.txt),
    "default" for the shipped recruitment lexicon; empty means none. ValueError for a missing path."""
    paths: list[Path] = []
    for item in (s.strip() for s in text.split(",")):
        if not item:
            continue
        if item == DEFAULT_LEXICON:
            paths.append(default_lexicon_path())
            continue
        path = Path(item).expanduser()
        if path.is_dir():
            paths += sorted(path.glob("*.txt"))
        elif path.is_file():
            paths.append(path)
        else:
            raise ValueError(f"lexicon {item!r} is neither a file nor a folder")
    return tuple(paths)


def _setting(default: Any, help: str, group: str, choices: tuple[str, ...] | None = None,
             size: bool = False, parse: Callable[[str], Any] | None = None) -> Any:
    meta = {"help": help, "group": group, "choices": choices, "size": size, "parse": parse}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    # store: every command that reads or writes the data root
    data: Path = _setting(Path("data"), "Data root: media/<id>/ and transcripts/<id>/ live here.", "store")

    # media
    max_duration: float = _setting(1800.0, "Refuse media longer than this many seconds.", "media")
    max_filesize: int = _setting(2 * 1024**3, "Refuse media larger than this (bytes; 500M, 2G accepted).",
                                 "media", size=True)
    socket_timeout: float = _setting(30.0, "Network socket timeout in seconds.", "media")
    retries: int = _setting(3, "Download retries for transient network errors.", "media")
    cookies: Path | None = _setting(None, "Netscape cookies file for sites that need a login "
                                          "(Douyin and TikTok usually do).", "media")
    proxy: str | None = _setting(None, "Proxy URL for downloads (http://, socks5://).", "media")
    allow_private_urls: bool = _setting(False, "Allow file:// and URLs on loopback/private/link-local "
                                               "addresses.", "media")
    ffmpeg_timeout: float = _setting(900.0, "Time limit in seconds for one ffmpeg/ffprobe call.", "media")

    # listing: channels, accounts, playlists and feeds given to process, enqueue or watch add.
    # max_entries 100 bounds a first run of the ~40 accounts a newsroom tracks at 4,000 clips, and
    # the listing itself at 1-4 requests per account (the platforms page 30-100 entries a request).
    max_entries: int = _setting(100, "The most entries taken from one listing (a channel, account, playlist or "
                                     "feed), in the site's order (newest first on TikTok, YouTube, Bilibili); 0: all.",
                                "listing")
    since: str | None = _setting(None, "Take only listing entries uploaded on or after this day (YYYY-MM-DD, "
                                       "or Nd: N days ago). Entries whose listing gives no date are taken.",
                                 "listing", parse=check_bound)
    until: str | None = _setting(None, "Take only listing entries uploaded on or before this day (YYYY-MM-DD, "
                                       "or Nd: N days ago). Entries whose listing gives no date are taken.",
                                 "listing", parse=check_bound)
    skip_stored: bool = _setting(True, "Skip listing entries whose video is already in the store.", "listing")

    # speech
    asr_model: str | None = _setting(None, "faster-whisper model name (small, large-v3, large-v3-turbo, "
                                           "...) or a local CTranslate2 model folder. Default: large-v3 "
                                           "on CUDA, small on CPU.", "speech")
    asr_device: str = _setting("auto", "auto, cpu or cuda.", "speech", choices=("auto", "cpu", "cuda"))
    asr_compute_type: str = _setting("auto", "CTranslate2 compute type; auto is float16 on CUDA, int8 "
                                             "on CPU.", "speech")
    asr_cache_dir: Path | None = _setting(None, "Where named models are downloaded and cached "
                                                "(default: the Hugging Face cache).", "speech")
    asr_language: str | None = _setting(None, "Force a language code (ru, zh, en, ...); default: "
                                              "detect.", "speech")
    asr_languages: str = _setting("ru,zh,en,uk", "Languages detection chooses from, comma-separated (\"\": any "
                                                 "Whisper language); voted over the clip's speech, per stretch of "
                                                 "speech where it switches.", "speech", parse=parse_languages)
    asr_task: str = _setting("transcribe", "transcribe, or translate to English.", "speech",
                             choices=("transcribe", "translate"))
    asr_beam_size: int = _setting(5, "Beam size for decoding.", "speech")
    asr_temperatures: str = _setting("0,0.2,0.4,0.6,0.8,1.0", "Temperature fallback sequence, "
                                     "comma-separated.", "speech", parse=parse_temperatures)
    asr_vad: bool = _setting(True, "Voice activity detection (Silero, bundled) before decoding.", "speech")
    asr_initial_prompt: str | None = _setting(None, "Initial prompt passed to Whisper.", "speech")
    asr_hotwords: str | None = _setting(None, "Hotwords passed to Whisper.", "speech")
    asr_cpu_threads: int = _setting(0, "CPU threads for CTranslate2 (0: one per CPU core available, at most "
                                       "4).", "speech")
    asr_no_speech_threshold: float = _setting(0.6, "A window whose no-speech probability is above this and "
                                                   "whose average log probability is below "
                                                   "asr_log_prob_threshold is treated as silence.", "speech")
    asr_log_prob_threshold: float = _setting(-1.0, "Average log probability below which decoding falls back "
                                                   "to the next temperature.", "speech")
    asr_compression_ratio_threshold: float = _setting(2.4, "Text whose gzip compression ratio is above "
                                                           "this is a repetition loop: retried, then "
                                                           "dropped.", "speech")
    asr_hallucination_silence: float = _setting(2.0, "Skip silences longer than this many seconds around "
                                                     "a likely hallucination (0: off).", "speech")
    asr_condition_on_previous_text: bool = _setting(True, "Prompt each window with the previous window's "
                                                          "text within continuous speech (never after "
                                                          "silence).", "speech")

    # subtitles
    ocr_engine: str = _setting("rapidocr", "OCR engine for burned-in subtitles.", "subtitles",
                               choices=("paddleocr", "rapidocr"))
    ocr_band: str | None = _setting(None, "Subtitle band override as y0:y1, in pixels or fractions of "
                                          "the height (0.7:0.95). Default: found automatically.",
                                    "subtitles")
    ocr_det_model: str | None = _setting(None, "PaddleOCR detection model name or folder (default: the "
                                               "bundled PP-OCRv4 mobile model).", "subtitles")
    ocr_rec_model: str | None = _setting(None, "PaddleOCR recognition model name or folder (default: the "
                                               "bundled PP-OCRv4 mobile model).", "subtitles")
    ocr_device: str = _setting("cpu", "Device for PaddleOCR (cpu, gpu:0).", "subtitles")

    # shared text handling
    chinese_script: str = _setting("t2s", "Chinese script normalisation of speech and OCR text "
                                          "(raw text is kept too).", "text", choices=("none", "t2s", "s2t"))

    # analysis
    lexicons: str = _setting("default", "Lexicon files or folders of *.txt, comma-separated; \"default\" is "
                                        "the shipped recruitment lexicon (\"\" for none).", "analysis",
                             parse=parse_lexicons)
    phone_regions: str = _setting("RU,CN", "Regions tried in order for phone numbers written without a "
                                           "country code (8 9xx... is Russian, 1xx xxxx xxxx Chinese).",
                                  "analysis", parse=parse_phone_regions)
    qr_fps: float = _setting(2.0, "Frames per second scanned for QR codes (0: off).", "analysis")

    # queue
    redis_url: str = _setting("redis://localhost:6379/0", "Redis for the job queue.", "queue")
    # worker
    job_heartbeat: int = _setting(30, "Seconds without a heartbeat after which a running job counts as "
                                      "abandoned (its worker died) and is queued again.", "worker")

    # evidence: `vidscribe bundle`
    bundle_signing_key: Path | None = _setting(None, "Ed25519 private key (unencrypted PEM: `openssl genpkey "
                                                     "-algorithm ed25519`) that signs each bundle's manifest "
                                                     "(manifest.json.sig); unset: bundles are not signed.",
                                               "evidence")

    # serve: the web viewer and HTTP API (`vidscribe serve`)
    host: str = _setting("127.0.0.1", "Address `vidscribe serve` listens on (loopback by default; anything else "
                                      "exposes the corpus to that network).", "serve")
    port: int = _setting(8000, "Port `vidscribe serve` listens on.", "serve")
    api_token: str | None = _setting(None, "Token the HTTP API's write endpoints (enqueue, reprocess) require as "
                                           "`Authorization: Bearer TOKEN`; unset, they are off.", "serve")
    serve_read_open: bool = _setting(True, "Serve the viewer and the read API without the token (0: reading "
                                           "needs VIDSCRIBE_API_TOKEN too, as Bearer or HTTP Basic password).",
                                     "serve")

    def __post_init__(self) -> None:
        # Also for settings built directly (not through `load`): a bad list fails here, at once.
        for f in dataclasses.fields(self):
            parse = f.metadata["parse"]
            if parse is not None:
                _checked(parse, getattr(self, f.name), env_name(f.name))
        if self.max_entries < 0:
            raise ConfigError(f"{env_name('max_entries')}={self.max_entries} is not valid: expected 0 (all) or more")

    @property
    def asr_temperature_values(self) -> tuple[float, ...]:
        return parse_temperatures(self.asr_temperatures)

    @property
    def asr_language_codes(self) -> tuple[str, ...]:
        return parse_languages(self.asr_languages)

    @property
    def phone_region_codes(self) -> tuple[str, ...]:
        return parse_phone_regions(self.phone_regions)

    @property
    def lexicon_paths(self) -> tuple[Path, ...]:
        return parse_lexicons(self.lexicons)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then `VIDSCRIBE_*` variables from `env`, then `overrides` that are not None."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = env_name(f.name)
            if name in env:
                values[f.name] = parse_value(f, env[name], source=name)
        for key, value in overrides.items():
            if key not in _FIELDS:
                raise TypeError(f"unknown setting {key!r}")
            if value is not None:
                values[key] = parse_value(_FIELDS[key], value, source="--" + key.replace("_", "-")) \
                    if isinstance(value, str) else value
        return cls(**values)


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
_HINTS = typing.get_type_hints(Settings)


def env_name(field_name: str) -> str:
    return ENV_PREFIX + field_name.upper()


def base_type(field_name: str) -> type:
    tp = _HINTS[field_name]
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args else tp


def parse_size(text: str) -> int:
    m = _SIZE.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r}")
    scale = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def _checked(parse: Callable[[str], Any], raw: str, source: str) -> Any:
    try:
        return parse(raw)
    except ValueError as e:
        raise ConfigError(f"{source}={raw!r} is not valid: {e}") from None


def parse_value(f: dataclasses.Field, raw: str, source: str) -> Any:
    tp = base_type(f.name)
    text = raw.strip()
    if f.metadata["parse"] is not None:
        _checked(f.metadata["parse"], text, source)  # named as the user gave it; the raw text is kept
        return text
    try:
        if f.metadata.get("size"):
            return parse_size(text)
        if tp is bool:
            low = text.lower()
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
            raise ValueError(f"expected one of {sorted(_TRUE | _FALSE - {''})}")
        if text == "" and f.default is None:
            return None
        if tp is int:
            return int(text)
        if tp is float:
            return float(text)
        if tp is Path:
            return Path(text).expanduser()
        choices = f.metadata.get("choices")
        if choices and text not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return text
    except ValueError as e:
        raise ConfigError(f"{source}={raw!r} is not valid: {e}") from None


def fields_in(groups: Iterable[str], names: Iterable[str] = ()) -> list[dataclasses.Field]:
    """The settings of `groups`, plus single settings by name, in declaration order."""
    wanted, named = set(groups), set(names)
    unknown = named - set(_FIELDS)
    if unknown:
        raise TypeError(f"unknown setting(s) {sorted(unknown)}")
    return [f for f in dataclasses.fields(Settings) if f.metadata["group"] in wanted or f.name in named]


def format_size(n: int) -> str:
    """2147483648 -> "2G", 524288000 -> "500M"; other counts of bytes as they are."""
    for suffix, scale in _SIZE_UNITS:
        if n >= scale and n % scale == 0:
            return f"{n // scale}{suffix}"
    return str(n)


def format_value(field_name: str, value: Any) -> str:
    """A setting's value as its environment variable would spell it ("0"/"1", "2G", "" for none)."""
    if value is None:
        return ""
    if _FIELDS[field_name].metadata["size"]:
        return format_size(int(value))
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def describe() -> list[tuple[str, str, str, str]]:
    """(environment variable, option, default, help) for every setting: the README table's rows."""
    return [(env_name(f.name), "--" + f.name.replace("_", "-"), format_value(f.name, f.default), f.metadata["help"])
            for f in dataclasses.fields(Settings)]


def markdown_table() -> str:
    """The README's settings table (`vidscribe settings --markdown`)."""
    rows = [f"| `{env}` | `{option}` | {f'`{default}`' if default else ''} | {help_text} |"
            for env, option, default, help_text in describe()]
    return "\n".join(["| Environment variable | Option | Default | Meaning |", "|---|---|---|---|", *rows])


def current_values(settings: Settings) -> list[str]:
    """`VIDSCRIBE_X=value` per setting, each value as `describe` and the variable spell it."""
    return [f"{env_name(f.name)}={format_value(f.name, getattr(settings, f.name))}"
            for f in dataclasses.fields(settings)]
