"""A tiny deterministic multilingual Whisper model in CTranslate2 format, built offline.

Adapted from `shared/reference/make_tiny_whisper.py` (numpy + `ctranslate2.specs` + `tokenizers`;
no torch, no hub). `faster_whisper.WhisperModel(folder)` loads it through the real code path and
every 30 s window decodes to one scripted segment, so tests can assert exact text and times.

What this version adds to the reference recipe:

- Word tokens may be any text (Cyrillic, traditional Chinese, ...): each word is one byte-level
  BPE token, so a word like " привет" or "這是" decodes to exactly that text.
- Two scripts: one decoded after `<|transcribe|>`, another after `<|translate|>`, so a test can
  tell which task reached the model. The model is a bigram machine (the next token depends on
  the current one only), so the translate script starts on `<|0.02|>` rather than `<|0.00|>`;
  segment times still follow the word timings (0 -> end). In the alignment pass faster-whisper
  feeds `<|notimestamps|>` before the text, and that state predicts the transcribe script's first
  word, so the translate script's first word gets probability ~0.
- `loop=True` makes the last word repeat until the decoder's length limit: a repetition loop
  that survives every temperature, as real Whisper sometimes produces on music.
- The language token after `<|startoftranscript|>` is scripted, so language detection returns
  `language` with probability ~1.
- Its `config.json` holds `"vidscribe_test_model": true` (`vidscribe.speech.model.TEST_MODEL_KEY`):
  the speech stage records `test_model: true` and logs a warning, so scripted text never passes
  for recognised speech in a transcript.

Pitfalls kept from the reference (see its comments): the empty token at id 50256 (ctranslate2
treats such a vocabulary as multilingual), an untied output projection, off-script beams must
not finish before the scripted one (they get only ~3% towards `<|endoftext|>`), and
`alignment_heads` are required for word timestamps.

Usage: python tests/tiny_whisper.py OUT_DIR [LANGUAGE]
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vidscribe.speech.model import TEST_MODEL_KEY

# Whisper's language order, 99 languages (large-v3 adds "yue" and uses 128 mel bins).
_LANG_CODES = ("en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta "
               "no th ur hr bg lt la mi ml cy sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk "
               "sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo uz fo ht ps tk nn mt sa lb my "
               "bo tl mg as tt haw ln ha ba jw su")
LANGS = tuple(_LANG_CODES.split())

SAMPLE_RATE = 16000


@dataclass(frozen=True)
class Script:
    """What one task decodes to in every window: `[0 -> end] words`."""

    words: tuple[str, ...]
    end: float = 1.0  # the words share [0, end] evenly
    loop: bool = False  # the last word repeats until the length limit (no end timestamp)

    @property
    def text(self) -> str:
        return "".join(self.words)


RUSSIAN = Script((" привет", " мир"))
ENGLISH = Script((" hello", " world"))
TRADITIONAL = Script(("這是", "測試"))  # simplified: 这是 测试
LOOP = Script((" да",), loop=True)


def _byte_encoder() -> dict[int, str]:
    """GPT-2's bytes_to_unicode(): the printable stand-in for every byte in byte-level BPE."""
    bs = [*range(33, 127), *range(161, 173), *range(174, 256)]
    cs = list(bs)
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs, strict=True)}


BYTES = _byte_encoder()


def token_for(word: str) -> str:
    """The byte-level BPE token string that decodes to `word` (" hello" -> "Ġhello")."""
    return "".join(BYTES[b] for b in word.encode("utf-8"))


def _stamp(seconds: float) -> str:
    return f"<|{seconds:.2f}|>"


def make_vocab(word_tokens: list[str]) -> tuple[list[str], list[str], list[str]]:
    byte_tokens = [BYTES[b] for b in sorted(BYTES)]
    text = byte_tokens + [t for t in dict.fromkeys(word_tokens) if t not in set(byte_tokens)]
    seen = set(text)  # filler: unique 3-4 letter tokens, with and without a leading space ("Ġ")
    combos = ("".join(c) for n in (3, 4) for c in itertools.product("abcdefghijklmnopqrstuvwxyz", repeat=n))
    text += itertools.islice((t for w in combos for t in ("Ġ" + w, w) if t not in seen), 50256 - len(text))
    text.append("")  # id 50256: ctranslate2 >= 4.7 treats a vocabulary containing "" as multilingual
    specials = (["<|endoftext|>", "<|startoftranscript|>"] + [f"<|{lang}|>" for lang in LANGS] +
                ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                 "<|notimestamps|>"])
    return text, specials, [_stamp(i * 0.02) for i in range(1501)]


def _chain(script: Script, start: float) -> list[str]:
    words = [token_for(w) for w in script.words]
    if script.loop:
        return [_stamp(start), *words, words[-1]]
    return [_stamp(start), *words, _stamp(script.end), "<|endoftext|>"]


def build(out_dir: str | os.PathLike[str], *, language: str = "ru", transcribe: Script = RUSSIAN,
          translate: Script = ENGLISH, d_model: int = 64, layers: int = 2, heads: int = 4, n_mels: int = 80,
          quantization: str = "int8", seed: int = 0, confidence: float = 24.0,
          no_speech: float = 0.0) -> Path:
    """Write a tiny Whisper model to `out_dir` (replaced if it exists) and return its path.

    `confidence` scales the logit of each scripted token after the language (24: probability ~1;
    8: an average log probability near -1.5, still decoded as scripted). `no_speech` scales the
    logit of `<|nospeech|>` at `<|startoftranscript|>` (27 against the language's 24: a no-speech
    probability ~0.96). Both together make a window Whisper's no-speech rule skips.
    """
    from ctranslate2.specs import whisper_spec
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    assert language in LANGS, language
    for s in (transcribe, translate):
        assert s.words and 0 < s.end <= 30 and all(w.isprintable() and w.strip() for w in s.words)

    rng = np.random.default_rng(seed)
    chains = {"<|transcribe|>": _chain(transcribe, 0.0), "<|translate|>": _chain(translate, 0.02)}
    text, specials, stamps = make_vocab([t for c in chains.values() for t in c[1:] if not t.startswith("<|")])
    vocab = text + specials + stamps
    assert len(vocab) == 51865 and len(set(vocab)) == len(vocab), "vocabulary layout broken"
    ids = {t: i for i, t in enumerate(vocab)}
    d, V = d_model, len(vocab)

    def rnd(*shape: int) -> np.ndarray:
        return (0.02 * rng.standard_normal(shape)).astype(np.float32)

    def zeros(n: int) -> np.ndarray:
        return np.zeros(n, np.float32)

    def norm(s) -> None:
        s.gamma, s.beta = np.ones(d, np.float32), zeros(d)

    def linear(s, n_out: int, n_in: int) -> None:
        s.weight, s.bias = rnd(n_out, n_in), zeros(n_out)

    spec = whisper_spec.WhisperSpec(layers, heads, layers, heads)
    enc, dec = spec.encoder, spec.decoder
    enc.conv1.weight, enc.conv1.bias = rnd(d, n_mels, 3), zeros(d)
    enc.conv2.weight, enc.conv2.bias = rnd(d, d, 3), zeros(d)
    enc.position_encodings.encodings = rnd(1500, d)  # 3000 mel frames / conv stride 2
    dec.position_encodings.encodings = rnd(448, d)  # faster-whisper hard-codes max_length 448
    norm(enc.layer_norm)
    norm(dec.layer_norm)
    for layer in enc.layer + dec.layer:
        norm(layer.self_attention.layer_norm)
        norm(layer.ffn.layer_norm)
        linear(layer.self_attention.linear[0], 3 * d, d)  # fused q,k,v
        linear(layer.self_attention.linear[1], d, d)
        linear(layer.ffn.linear_0, 4 * d, d)
        linear(layer.ffn.linear_1, d, 4 * d)
    for layer in dec.layer:  # cross-attention: q, fused k/v over the encoder output, out
        norm(layer.attention.layer_norm)
        linear(layer.attention.linear[0], d, d)
        linear(layer.attention.linear[1], 2 * d, d)
        linear(layer.attention.linear[2], d, d)

    # Scripted bigrams prev -> next. Each rule's "state" lives on its own embedding axis (~sqrt(d)
    # after the final layer norm); the projection row of the wanted next token reads that axis.
    rules: dict[str, str] = {"<|startoftranscript|>": f"<|{language}|>"}
    first = chains["<|transcribe|>"]
    rules["<|notimestamps|>"] = first[1]
    for task, chain in chains.items():
        rules[task] = chain[0]
        for prev, nxt in zip(chain, chain[1:], strict=False):
            assert rules.get(prev, nxt) == nxt, f"conflicting scripts after {prev!r}"
            rules[prev] = nxt
    axis_of = {prev: axis for axis, prev in enumerate(rules)}
    assert d >= len(rules) + 1
    emb, proj = rnd(V, d), rnd(V, d)  # untied: a tied projection would make every token predict itself
    default = len(rules)
    emb[:, default] += 5.0
    proj[ids["<|endoftext|>"], default] += 7.0 / np.sqrt(d)
    for prev, nxt in rules.items():
        emb[ids[prev]] = rnd(d)
        emb[ids[prev], axis_of[prev]] += 5.0
        proj[ids[nxt], axis_of[prev]] += (24.0 if prev == "<|startoftranscript|>" else confidence) / np.sqrt(d)
    proj[ids["<|nospeech|>"], axis_of["<|startoftranscript|>"]] += no_speech / np.sqrt(d)
    dec.embeddings.weight, dec.projection.weight = emb, proj

    # Scripted word alignment: the encoder frames of word k's time box carry a marker on an encoder
    # axis of their own (shared by both scripts when their boxes coincide); the alignment heads map
    # the decoder state predicting word k onto that axis. faster-whisper aligns the text tokens
    # after `<|notimestamps|>`, so that state predicts word 0 (of the transcribe script).
    dh = d // heads
    alignment_heads = [[ln, h] for ln in range(layers // 2, layers) for h in range(heads)]
    box_axes: dict[tuple[int, int], int] = {}
    for task, chain in chains.items():
        script = transcribe if task == "<|transcribe|>" else translate
        if script.loop:
            continue
        n = len(script.words)
        box = script.end / n  # words share [0, end] evenly, whatever the start timestamp
        for k in range(n + 1):  # k == n: the state predicting the end timestamp looks past the last word
            frames = (int(round(k * box * 50)), int(round((k + 1) * box * 50)))  # 50 frames per second
            if frames not in box_axes:
                box_axes[frames] = len(box_axes)
                enc.position_encodings.encodings[frames[0]:min(frames[1], 1500), box_axes[frames]] += 5.0
            axis = box_axes[frames]
            states = [axis_of[chain[k]]] + ([axis_of["<|notimestamps|>"]] if k == 0 else [])
            for ln, h in alignment_heads:
                for state in states:
                    dec.layer[ln].attention.linear[0].weight[h * dh + axis, state] += 1.0
                dec.layer[ln].attention.linear[1].weight[h * dh + axis, axis] = 1.0
    assert len(box_axes) <= dh, "too many scripted word boxes for the head size"

    spec.register_vocabulary(vocab)
    cfg = spec.config
    cfg.suppress_ids = []  # real models list ~90 punctuation ids here (used when suppress_tokens=[-1])
    cfg.suppress_ids_begin = [ids["Ġ"], ids["<|endoftext|>"]]
    cfg.lang_ids = [ids[f"<|{lang}|>"] for lang in LANGS]
    cfg.alignment_heads = alignment_heads
    spec.validate()
    spec.optimize(quantization=quantization)
    out = Path(out_dir)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    spec.save(str(out))  # model.bin, config.json, vocabulary.json
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config[TEST_MODEL_KEY] = True  # how vidscribe tells a test model from a real one (CTranslate2 ignores it)
    (out / "config.json").write_text(json.dumps(config), encoding="utf-8")

    tok = Tokenizer(models.BPE(vocab={t: i for i, t in enumerate(text)}, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, normalized=False) for t in specials + stamps])
    assert tok.token_to_id("<|endoftext|>") == ids["<|endoftext|>"] and tok.get_vocab_size() == V
    tok.save(str(out / "tokenizer.json"))
    (out / "preprocessor_config.json").write_text(json.dumps(
        {"feature_size": n_mels, "sampling_rate": SAMPLE_RATE, "hop_length": 160, "chunk_length": 30,
         "n_fft": 400}))
    return out


def synthetic_voice(seconds: float = 5.0, sr: int = SAMPLE_RATE) -> np.ndarray:
    """Harmonic 'vowel' with moving formants and a 3 Hz syllable envelope; Silero VAD detects it."""
    t = np.arange(int(seconds * sr)) / sr
    f0 = 120 + 30 * np.sin(np.pi * t)
    f1, f2, ph = 700 + 300 * np.sin(4 * np.pi * t), 1200 + 400 * np.cos(2.6 * np.pi * t), np.cumsum(f0) / sr
    x = sum(np.sin(2 * np.pi * k * ph) * (np.exp(-((k * f0 - f1) / 150) ** 2) +
                                          0.6 * np.exp(-((k * f0 - f2) / 200) ** 2)) for k in range(1, 40))
    return (0.3 * x / np.abs(x).max() * np.sqrt(np.clip(np.sin(6 * np.pi * t), 0, None))).astype(np.float32)


if __name__ == "__main__":
    target = build(sys.argv[1], language=sys.argv[2] if len(sys.argv) > 2 else "ru")
    print(target, sorted(p.name for p in target.iterdir()))
