"""The keyed hashes of an order file's values, computed beside the import in a process of its own.

While the suppression list holds values, the import matches the file's against it by their
keyed hashes (service/suppression.py), so it hashes every distinct email and phone of the
file. Done in the import process, collecting the distinct values as the file was read and
hashing them afterwards took about 1.7 s of its time for the 1M-order bench file (a million
distinct values), on the core that reads the file. Here the import process only hands each
block of values to a second process, forked for the purpose before the import connects
(file_identifier_hasher), which keeps the distinct ones, hashes each as it comes, on the
other core while the file is read, and at the end answers with the rows of one binary COPY
into import_identifier_hmac. Alternated three times with the import process doing it all,
the bench's import of that file into the 1M-contact table took 31.5-34.3 s instead of
31.9-34.7 s (median 32.6 s instead of 33.8 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import multiprocessing
import struct
from collections.abc import AsyncIterator, Iterator
from multiprocessing.connection import Connection

from .region_phones import set_up_worker_signals
from .suppression import hmac_pads

# Values handed over at a time: about 20,000 orders' worth (each pickled in a few ms).
BLOCK_VALUES = 40_000
# PostgreSQL's binary COPY format: the signature, no flags, no header extension; then per row
# the field count and each field as its length and bytes; -1 as the field count ends it.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
ROW_START = struct.Struct(">hi")  # two fields, the identifier's length
HMAC_LENGTH = struct.pack(">i", hashlib.sha256().digest_size)
# The rows go back in pieces of this size, so that the import process holds one at a time.
ANSWER_PIECE_BYTES = 1 << 20


class HashingEnded(RuntimeError):
    """The process hashing the file's values ended before it answered."""


class FileIdentifierHasher:
    """The suppression list's entries for the values of a whole file, as identifier_hmacs computes
    them: HMAC-SHA-256 of 'email:<email>' and 'phone:<phone>', once per distinct value, in the
    hashing process (see file_identifier_hasher). Used once the import has found entries on the
    list and started it with the key; never started, it hashes nothing."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_hash_values, args=(child_end, self._pipe),
                                        name="identity-import-hashing", daemon=True)
        self._process.start()
        child_end.close()
        self._emails: list[str] = []
        self._phone_numbers: list[str] = []

    def start(self, key: bytes) -> None:
        self._send(hmac_pads(key))

    def add(self, email: str | None, phone_number: str | None, phone_number_as_typed: str | None) -> None:
        """Hand on an order's values (its phone in both spellings: see ContactDetails)."""
        if email is not None:
            self._emails.append(email)
        if phone_number is not None:
            self._phone_numbers.append(phone_number)
        if phone_number_as_typed is not None:
            self._phone_numbers.append(phone_number_as_typed)
        if len(self._emails) + len(self._phone_numbers) >= BLOCK_VALUES:
            self._send((self._emails, self._phone_numbers))
            self._emails, self._phone_numbers = [], []

    async def copy_data(self) -> AsyncIterator[bytes]:
        """The (identifier, identifier_hmac) rows of every value handed on, in COPY's binary format,
        a piece at a time. Each is awaited in a thread, so that Ctrl-C takes effect while the last
        values are hashed."""
        self._send((self._emails, self._phone_numbers))
        self._send(None)
        try:
            while piece := await asyncio.to_thread(self._pipe.recv_bytes):
                yield piece
        except (EOFError, OSError):
            raise self._ended() from None

    def close(self) -> None:
        self._process.terminate()
        self._process.join()
        self._pipe.close()

    def _send(self, message: object) -> None:
        try:
            self._pipe.send(message)
        except OSError:
            raise self._ended() from None

    def _ended(self) -> HashingEnded:
        self._process.join()
        return HashingEnded(f"the process hashing the file's values ended (exit code {self._process.exitcode})")


@contextlib.contextmanager
def file_identifier_hasher() -> Iterator[FileIdentifierHasher]:
    """A FileIdentifierHasher for the length of an import. Its process is forked here, before the
    import connects and before region_phones' workers start their threads: it holds no copy of
    the connection, and no lock one of those threads held. It ignores Ctrl-C (the import's to
    handle) and ends with the import, or with this process if it is killed."""
    hasher = FileIdentifierHasher()
    try:
        yield hasher
    finally:
        hasher.close()


def _hash_values(pipe: Connection, parents_end: Connection) -> None:
    """The hashing process: the key's padded blocks, then blocks of (emails, phones) until None,
    then every distinct value's row, in pieces, and an empty piece. Each value's hash continues
    copies of the padded blocks, hashed once (hmac_pads): half the time of an HMAC object per
    value. The import ending first, however, is the end of its pipe: nothing to answer."""
    parents_end.close()  # this process's copy of it, so that the pipe ends when the import does
    set_up_worker_signals()
    try:
        inner_pad, outer_pad = pipe.recv()
        inner_start, outer_start = hashlib.sha256(inner_pad), hashlib.sha256(outer_pad)
        seen_emails: set[str] = set()
        seen_phone_numbers: set[str] = set()
        rows = bytearray(COPY_HEADER)
        while (block := pipe.recv()) is not None:
            emails, phone_numbers = block
            for kind, values, seen in ((b"email:", emails, seen_emails),
                                       (b"phone:", phone_numbers, seen_phone_numbers)):
                for value in values:
                    if value in seen:
                        continue
                    seen.add(value)
                    identifier = kind + value.encode()
                    inner = inner_start.copy()
                    inner.update(identifier)
                    outer = outer_start.copy()
                    outer.update(inner.digest())
                    rows += ROW_START.pack(2, len(identifier)) + identifier + HMAC_LENGTH + outer.digest()
        rows += COPY_TRAILER
        for start in range(0, len(rows), ANSWER_PIECE_BYTES):
            pipe.send_bytes(rows, start, min(ANSWER_PIECE_BYTES, len(rows) - start))
        pipe.send_bytes(b"")
    except (EOFError, BrokenPipeError):
        return
