"""The suppression list's key: a server secret for the keyed hashes (HMAC-SHA-256) of erased
emails and phone numbers.

It comes from SUPPRESSION_KEY, or else from the file SUPPRESSION_KEY_FILE, which the first
start creates (readable by its owner only). Keep that file, and back it up with the
database: without the key, no value can be matched against the list.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import AsyncIterator, Iterable

from .config import Settings

log = logging.getLogger(__name__)

SHA256_BLOCK_SIZE = 64
YIELD_EVERY_VALUES = 10_000


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
    sha256(outer || sha256(inner || message)), and FileIdentifierHasher the same for a whole
    file."""
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


class FileIdentifierHasher:
    """The suppression list's entries for the values of a whole file, as identifier_hmacs computes
    them: the import collects the distinct emails and phones as it reads the file (about 110 MB
    for a million distinct values), then hashes each once as it sends them. The padded key
    blocks are hashed once (hmac_pads) and each value's hash continues copies of them, which
    takes half the time of an HMAC object per value."""

    def __init__(self, key: bytes):
        inner_pad, outer_pad = hmac_pads(key)
        self._inner = hashlib.sha256(inner_pad)
        self._outer = hashlib.sha256(outer_pad)
        self._emails: set[str] = set()
        self._phone_numbers: set[str] = set()

    def add(self, email: str | None, phone_number: str | None, phone_number_as_typed: str | None) -> None:
        """Collect an order's values (its phone in both spellings: see ContactDetails)."""
        if email is not None:
            self._emails.add(email)
        if phone_number is not None:
            self._phone_numbers.add(phone_number)
        if phone_number_as_typed is not None:
            self._phone_numbers.add(phone_number_as_typed)

    async def entries(self) -> AsyncIterator[tuple[str, bytes]]:
        """(identifier, HMAC) for every collected value: 'email:<email>', 'phone:<phone>'. A turn of
        the event loop every YIELD_EVERY_VALUES values, so that Ctrl-C takes effect while a
        million values are hashed (COPY suspends only when the socket is full)."""
        hashed = 0
        for kind, values in (("email:", self._emails), ("phone:", self._phone_numbers)):
            for value in values:
                identifier = kind + value
                inner = self._inner.copy()
                inner.update(identifier.encode())
                outer = self._outer.copy()
                outer.update(inner.digest())
                yield identifier, outer.digest()
                hashed += 1
                if hashed % YIELD_EVERY_VALUES == 0:
                    await asyncio.sleep(0)


def identifier_hmacs(key: bytes, emails: Iterable[str], phone_numbers: Iterable[str]) -> list[bytes]:
    """The suppression list's entries for these values: HMAC of 'email:<email>' or 'phone:<phone>'."""
    identifiers = [f"email:{email}" for email in emails] + [f"phone:{phone}" for phone in phone_numbers]
    return [hmac.new(key, identifier.encode(), hashlib.sha256).digest() for identifier in dict.fromkeys(identifiers)]
