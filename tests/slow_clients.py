"""The service served as in production (service/http_server.py), and clients that misbehave on the wire."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import struct
import zlib
from collections.abc import AsyncIterator

import aiohttp

from service.app import create_app
from service.config import Settings
from service.http_server import serving

# Short, so that the tests of the timeouts take seconds; the defaults are in service/config.py.
TEST_TIMEOUT_MS = 1000
# Longer than any timeout above, plus lingering: a read that takes this long means the service held on.
CLOSE_WITHIN_SECONDS = 6
NORMAL_BODY = b'{"email": "doc@hillvalley.edu", "phoneNumber": "555"}'


@contextlib.asynccontextmanager
async def served(settings: Settings, pool, **changes) -> AsyncIterator[int]:
    """The app on a free loopback port, with the production request handler; yields the port."""
    limited = dataclasses.replace(settings, host="127.0.0.1", port=0, client_header_timeout_ms=TEST_TIMEOUT_MS,
                                  client_body_timeout_ms=TEST_TIMEOUT_MS, **changes)
    async with serving(create_app(limited, pool=pool), limited) as server:
        yield server.sockets[0].getsockname()[1]


async def read_all(reader: asyncio.StreamReader) -> bytes:
    """Everything the service sends until it closes the connection (bounded)."""
    async with asyncio.timeout(CLOSE_WITHIN_SECONDS):
        return await reader.read()


async def exchange(port: int, raw: bytes) -> bytes:
    """Sends `raw` on a connection of its own; returns all the service answered before closing it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        return await read_all(reader)
    finally:
        writer.close()


async def trickle(port: int, head: bytes, *, piece: bytes = b" ", every_seconds: float = 0.2) -> bytes:
    """Sends `head`, then `piece` (one byte of body by default) again and again until the
    service answers or closes; returns the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.ensure_future(read_all(reader))
    try:
        writer.write(head)
        while not answer.done():
            await asyncio.sleep(every_seconds)
            with contextlib.suppress(ConnectionError):
                writer.write(piece)
        return await answer
    finally:
        answer.cancel()
        writer.close()


async def normal_identify(session: aiohttp.ClientSession, port: int) -> int:
    async with session.post(f"http://127.0.0.1:{port}/identify", data=NORMAL_BODY,
                            headers={"Content-Type": "application/json"},
                            timeout=aiohttp.ClientTimeout(total=CLOSE_WITHIN_SECONDS)) as response:
        await response.read()
        return response.status


def gzip_of_zeros(megabytes: int) -> bytes:
    """A valid gzip member inflating to `megabytes` MB of zero bytes, made in well under a
    second: after a full flush, deflate starts afresh, so every further megabyte of zeros
    compresses to the same bytes, which are repeated rather than recomputed."""
    block = bytes(1024 * 1024)
    deflater = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    first = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
    each_further = deflater.compress(block) + deflater.flush(zlib.Z_FULL_FLUSH)
    last_block = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # empty, marked final
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(block, crc)
    trailer = struct.pack("<II", crc, (megabytes * len(block)) & 0xFFFFFFFF)
    return first + each_further * (megabytes - 1) + last_block + trailer


def post_head(length: int | None, *, headers: str = "") -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return (f"POST /identify HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n{headers}"
            f"{framing}\r\n\r\n").encode()
