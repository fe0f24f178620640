"""The suppression list's key: a server secret for the keyed hashes (HMAC-SHA-256) of erased
emails and phone numbers.

It comes from SUPPRESSION_KEY, or else from the file SUPPRESSION_KEY_FILE, which the first
start creates (readable by its owner only). Keep that file, and back it up with the
database: without the key, no value can be matched against the list.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Iterable

from .config import Settings

log = logging.getLogger(__name__)

SHA256_BLOCK_SIZE = 64


def suppression_key(settings: Settings) -> bytes:
    """The key, creating the key file when there is neither setting nor file."""
    existing = existing_suppression_key(settings)
    if existing is not None:
        return existing
    path = settings.suppression_key_file
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several workers start at once, one creates the file, the others read it.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    key = secrets.token_hex(32).encode()
    with os.fdopen(descriptor, "wb") as file:
        file.write(key + b"\n")
    log.info("created the suppression key in %s; keep it and back it up with the database", path)
    return key


def existing_suppression_key(settings: Settings) -> bytes | None:
    """The key if there is one, creating nothing: `run.py import` must use the service's key, and a
    new one would recognise no erased value."""
    if settings.suppression_key:
        return settings.suppression_key.encode()
    try:
        return settings.suppression_key_file.read_bytes().strip()
    except FileNotFoundError:
        return None


def hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """The key's inner and outer padded blocks of HMAC-SHA-256 (RFC 2104), with which SQL computes
    the same HMAC as identifier_hmacs from PostgreSQL's sha256 alone:
    sha256(outer || sha256(inner || message)), and file_hashes.FileIdentifierHasher the same for
    a whole file."""
    if len(key) > SHA256_BLOCK_SIZE:
        key = hashlib.sha256(key).digest()
    key = key.ljust(SHA256_BLOCK_SIZE, b"\0")
    return bytes(byte ^ 0x36 for byte in key), bytes(byte ^ 0x5C for byte in key)


KEY_CHECK_MESSAGE = b"suppression-key-check"


class SuppressionKeyMismatch(RuntimeError):
    """The key at hand is not the one the suppression list was written with (suppression_key_check)."""


def key_check(key: bytes) -> bytes:
    """What suppression_key_check holds for `key`: the HMAC of a fixed message, which tells keys
    apart and reveals nothing about any value."""
    return hmac.new(key, KEY_CHECK_MESSAGE, hashlib.sha256).digest()


def identifier_hmacs(key: bytes, emails: Iterable[str], phone_numbers: Iterable[str]) -> list[bytes]:
    """The suppression list's entries for these values: HMAC of 'email:<email>' or 'phone:<phone>'."""
    identifiers = [f"email:{email}" for email in emails] + [f"phone:{phone}" for phone in phone_numbers]
    return [hmac.new(key, identifier.encode(), hashlib.sha256).digest() for identifier in dict.fromkeys(identifiers)]
