"""Ed25519 signatures over a bundle's manifest: `manifest.json.sig` holds the 64 raw signature bytes,
so anyone can check it without vidscribe:

    openssl pkeyutl -verify -pubin -inkey signer.pub.pem -rawin -in manifest.json -sigfile manifest.json.sig

The manifest lists every file's SHA-256, so a valid signature covers the whole bundle.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from vidscribe.errors import ConfigError

SIGNATURE = "manifest.json.sig"
MAX_KEY_BYTES = 64 * 1024  # a PEM Ed25519 key is ~120 bytes; anything this big is not one


def _read_key_file(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()[:MAX_KEY_BYTES + 1]
    except OSError as e:
        raise ConfigError(f"cannot read the {what}: {e.strerror or e}", source=str(path)) from None
    if len(data) > MAX_KEY_BYTES:
        raise ConfigError(f"not an Ed25519 {what} (too large)", source=str(path))
    return data


def load_private_key(path: Path) -> Any:
    """An unencrypted PEM Ed25519 private key (`openssl genpkey -algorithm ed25519 -out key.pem`)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(_read_key_file(path, "signing key"), password=None)
    except (ValueError, TypeError):  # cryptography's reason is a paragraph with a link: this says it
        raise ConfigError("not an unencrypted PEM private key (make one with `openssl genpkey -algorithm "
                          "ed25519 -out key.pem`)", source=str(path)) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"not an Ed25519 key ({type(key).__name__})", source=str(path))
    return key


def load_public_key(path: Path) -> Any:
    """A PEM Ed25519 public key (`openssl pkey -in key.pem -pubout -out key.pub.pem`)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(_read_key_file(path, "public key"))
    except (ValueError, TypeError):
        raise ConfigError("not a PEM public key (the sender makes it with `openssl pkey -in key.pem -pubout`)",
                          source=str(path)) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"not an Ed25519 key ({type(key).__name__})", source=str(path))
    return key


def fingerprint(public_key: Any) -> str:
    """SHA-256 of the raw 32-byte public key: how `bundle` and `verify` name a signer."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return hashlib.sha256(public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()


def sign(private_key: Any, data: bytes) -> bytes:
    return bytes(private_key.sign(data))


def signature_valid(public_key: Any, data: bytes, signature: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
