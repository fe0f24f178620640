"""Reading a request's body within bounds of size and time, whatever the client sends.

aiohttp is told not to inflate bodies itself (`auto_decompress=False` in
service/http_server.py): it would inflate a compressed body whole as it arrives, before
any size limit applies, so that a 500 KB gzip of 512 MB cost seconds of CPU to earn its
413. Here the compressed bytes are at most the app's `client_max_size`, and inflating
stops as soon as the output is one byte over the same limit.
"""

from __future__ import annotations

import asyncio
import zlib

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from .errors import Problem

MAX_BODY_BYTES = 64 * 1024

# Content-Encoding → zlib's wbits: gzip's header and trailer, or zlib's (RFC 9110 8.4.1.2,
# "deflate" is the zlib format; a raw deflate stream, which some clients send, is tried too).
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


async def read_body(request: web.Request, *, timeout_seconds: float) -> bytes:
    """The body, inflated if it is compressed: a Problem when it is too big (413), in an
    encoding the service does not know (415), arrives too slowly (408) or cannot be read (400)."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in {"identity", "gzip", "x-gzip", "deflate"}:
        raise Problem("unsupported-content-encoding",
                      "Send the body uncompressed, or compressed with gzip or deflate.")
    try:
        # No timer for a body that is all here already (a small one comes with the headers).
        async with asyncio.timeout(None if request.content.is_eof() else timeout_seconds):
            body = await request.read()
    except TimeoutError:
        raise Problem("request-timeout", f"The body did not arrive within {timeout_seconds:g} s.",
                      headers={"Connection": "close"}) from None
    except (RequestPayloadError, HttpProcessingError, OSError) as error:
        # A client gone mid-upload, or a broken chunked encoding: nothing to answer about.
        raise Problem("unreadable-body", f"The request body could not be read ({type(error).__name__}).") from None
    if encoding == "identity":
        return body
    if encoding == "deflate":
        return _inflate(body, _ZLIB_WBITS if _has_zlib_header(body) else _RAW_DEFLATE_WBITS)
    return _inflate(body, _GZIP_WBITS)


def _has_zlib_header(body: bytes) -> bool:
    return len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] << 8 | body[1]) % 31 == 0


def _inflate(compressed: bytes, wbits: int) -> bytes:
    """At most MAX_BODY_BYTES of output: one byte more and it is a 413, without inflating the rest."""
    inflater = zlib.decompressobj(wbits)
    try:
        body = inflater.decompress(compressed, MAX_BODY_BYTES + 1)
    except zlib.error:
        raise Problem("unreadable-body", "The request body could not be read (it does not decompress).") from None
    if len(body) > MAX_BODY_BYTES:
        raise Problem("payload-too-large", f"The body inflates to more than {MAX_BODY_BYTES} bytes.")
    if not inflater.eof:
        raise Problem("unreadable-body", "The request body could not be read (its compressed stream is cut short).")
    return body
