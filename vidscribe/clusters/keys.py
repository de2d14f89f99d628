"""The index's keys and its quick check, pure functions over prepared fingerprints.

- Pictures, a multi-index hash table: each stored PDQ hash (the unmirrored variants of frames PDQ
  rates usable) is cut into `CHUNKS` chunks of `CHUNK_BITS` bits, each a key `chunk << 24 | value`.
  A query looks up the chunks of every variant, mirrors included. Two hashes d bits apart share a
  given chunk with probability (1 - d/256)^24: at least one of the 10 at d = 10 with 0.99, d = 20
  0.79, d = 30 0.40, and a shared clip has many frame and variant pairs. Unrelated hashes share one
  with probability 10 / 2^24 each, so a query of 224 hashes against an index of 10,000 clips (a
  million stored hashes) meets about 130 of them by chance, not the whole index.
- Text, LSH bands: a sketch's 128 MinHash values in `BANDS` bands of `ROWS`, each band hashed to a
  64-bit key; sharing one band with a sketch of Jaccard similarity J has probability
  1 - (1 - J^2)^64 (J = 0.25, a copy with half its cues: 0.98; 0.5: 1.0; 0.05: 0.15), and a text
  candidate passes the quick check (its sketches from `videos.sketches`, no JSON read) before it is
  compared in full.
- The quick check: a candidate found by a frame key is compared in full only when one of its stored
  hashes lies within `FRAME_MATCH_BITS` of one of the query hashes that share a key with it (XOR
  and bit count over packed hashes, no JSON read), so chance key hits cost microseconds.
"""

from __future__ import annotations

import hashlib

import numpy as np

from vidscribe.clusters.match import FRAME_MATCH_BITS, Prepared
from vidscribe.transcripts.model import Fingerprint, TextSketch

CHUNK_BITS = 24
CHUNKS = 10  # 240 of the 256 bits
BANDS, ROWS = 64, 2  # LSH bands over the 128 MinHash values
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], np.uint8)


def packed(prepared: Prepared, stored_only: bool) -> np.ndarray:
    """(hashes, 32) uint8: the present hashes of every frame (only unmirrored variants with `stored_only`)."""
    mask = prepared.present & (prepared.stored[None, :] if stored_only else True)
    return np.packbits(prepared.bits[mask], axis=1) if mask.any() else np.zeros((0, 32), np.uint8)


def frame_key_rows(hashes: np.ndarray) -> dict[int, list[int]]:
    """Multi-index keys of packed hashes, each with the rows of the hashes that have it."""
    rows: dict[int, list[int]] = {}
    for c in range(CHUNKS):
        piece = hashes[:, 3 * c:3 * c + 3].astype(np.int64)
        values = (c << CHUNK_BITS | piece[:, 0] << 16 | piece[:, 1] << 8 | piece[:, 2]).tolist()
        for row, key in enumerate(values):
            rows.setdefault(key, []).append(row)
    return rows


def frame_keys(hashes: np.ndarray) -> set[int]:
    """Multi-index keys of packed hashes."""
    return set(frame_key_rows(hashes))


def text_keys(fp: Fingerprint) -> set[int]:
    """LSH band keys of every text sketch (texts of any track share one table: cross-track matches)."""
    keys: set[int] = set()
    for sketch in fp.texts:
        values = sketch.minhash
        for band in range(min(BANDS, len(values) // ROWS)):
            chunk = values[band * ROWS:(band + 1) * ROWS]
            digest = hashlib.blake2b(bytes([band]) + b"".join(v.to_bytes(4, "little") for v in chunk), digest_size=8)
            keys.add(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


def pack_sketches(fp: Fingerprint) -> bytes:
    """The text sketches as the index keeps them: per sketch its character count, then its values."""
    rows = [[sketch.chars, *sketch.minhash] for sketch in fp.texts]
    return np.array(rows, np.uint32).tobytes() if rows else b""


def unpack_sketches(blob: bytes | None, permutations: int) -> list[TextSketch]:
    if not blob:
        return []
    rows = np.frombuffer(blob, np.uint32).reshape(-1, permutations + 1)
    return [TextSketch("?", int(row[0]), row[1:].astype(np.int64).tolist()) for row in rows]


def closest(query: np.ndarray, stored: np.ndarray) -> int:
    """The smallest Hamming distance between any query hash and any stored hash (256 when none)."""
    if len(query) == 0 or len(stored) == 0:
        return 256
    xor = query[:, None, :] ^ stored[None, :, :]
    return int(_POPCOUNT[xor].sum(axis=2, dtype=np.int32).min())


def near(query: np.ndarray, stored: np.ndarray) -> bool:
    return closest(query, stored) <= FRAME_MATCH_BITS
