"""What a client can do on the wire, with nothing but the port: each attack gets a short,
bounded answer (or a closed connection), and normal requests go on being answered.

The service runs here as in production (service/http_server.py), with the header and
body timeouts at 1 s so that the tests take seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import pytest

from service.errors import TYPE_PREFIX

from .assertions import contact_count
from .slow_clients import (
    NORMAL_BODY,
    exchange,
    gzip_of_zeros,
    normal_identify,
    post_head,
    read_all,
    served,
    trickle,
)

def split_answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def assert_problem_answer(raw: bytes, *, status: int, kind: str) -> bytes:
    answer_status, headers, body = split_answer(raw)
    assert answer_status == status, raw[:300]
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"] == TYPE_PREFIX + kind
    return body


async def assert_normal_requests_answer(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        assert await normal_identify(session, port) == 200


async def test_malformed_request_with_32000_trailing_bytes_gets_a_short_problem_400_echoing_nothing(settings, pool):
    async with served(settings, pool) as port:
        answer = await exchange(port, b"POST /identify HTTP/1.0\r\n" + b"x" * 32_000)

        body = assert_problem_answer(answer, status=400, kind="malformed-request")
        assert b"xxx" not in answer
        assert len(body) < 300
        await assert_normal_requests_answer(port)


async def test_made_up_method_gets_a_problem_400_writing_nothing(settings, pool):
    async with served(settings, pool) as port:
        answer = await exchange(port, b"BREW /identify HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: 18\r\n\r\n" + b'{"email": "a@b.c"}')

        assert_problem_answer(answer, status=400, kind="malformed-request")
        assert b"BREW" not in answer
        assert await contact_count(pool) == 0


async def test_bad_header_gets_a_problem_400(settings, pool):
    async with served(settings, pool) as port:
        answer = await exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nBad Header Name: 5551234567\r\n\r\n")

        assert_problem_answer(answer, status=400, kind="malformed-request")
        assert b"5551234567" not in answer


async def test_parser_error_logs_one_warning_access_line_without_request_bytes_or_traceback(settings, pool, caplog):
    caplog.set_level(logging.DEBUG)
    async with served(settings, pool) as port:
        await exchange(port, b"POST /identify HTTP/1.0\r\n" + b"5551234567" * 3000)

    [line] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert (line.name, line.levelname, line.status) == ("service.access", "WARNING", 400)
    assert line.reason == "LineTooLong"
    assert line.exc_info is None
    assert "5551234567" not in line.getMessage()


async def test_no_answer_names_the_server_software_or_its_version(settings, pool):
    async with served(settings, pool) as port:
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{port}/identify", data=NORMAL_BODY,
                                    headers={"Content-Type": "application/json"}) as ok:
                server_of_200 = ok.headers["Server"]
            async with session.get(f"http://127.0.0.1:{port}/no/such/path") as missing:
                server_of_404 = missing.headers["Server"]
        _, malformed, _ = split_answer(await exchange(port, b"BREW / HTTP/1.1\r\n\r\n"))

    assert {server_of_200, server_of_404, malformed["server"]} == {"identity-service"}


async def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_header_timeout(settings, pool):
    async with served(settings, pool) as port:
        answer = await trickle(port, b"POST /identify HTTP/1.1\r\nHost: t\r\n", piece=b"X")

        assert answer == b""  # closed, with nothing to answer: no request line was complete
        await assert_normal_requests_answer(port)


async def test_body_sent_a_byte_at_a_time_gets_408_at_the_body_timeout_and_holds_no_database_connection(
    settings, pool
):
    async with served(settings, pool) as port:
        trickling = asyncio.ensure_future(trickle(port, post_head(60_000)))
        await asyncio.sleep(0.5)
        assert pool.get_size() - pool.get_idle_size() == 0
        answer = await trickling

        _, headers, _ = split_answer(answer)
        assert_problem_answer(answer, status=408, kind="request-timeout")
        assert headers["connection"] == "close"
        await assert_normal_requests_answer(port)


async def test_chunked_body_that_never_ends_gets_408(settings, pool):
    async with served(settings, pool) as port:
        answer = await trickle(port, post_head(None), piece=b"1\r\n \r\n")

        assert_problem_answer(answer, status=408, kind="request-timeout")


async def test_512_mb_gzip_bomb_gets_413_without_being_inflated(settings, pool, gzip_bomb):
    async with served(settings, pool) as port:
        answer = await exchange(port, post_head(len(gzip_bomb), headers="Content-Encoding: gzip\r\n") + gzip_bomb)

        assert_problem_answer(answer, status=413, kind="payload-too-large")
        await assert_normal_requests_answer(port)


async def test_small_gzip_inflating_past_64_kib_gets_413(client):
    bomb = gzip_of_zeros(60)
    assert len(bomb) < 64 * 1024

    response = await client.post("/identify", data=bomb,
                                 headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})

    assert response.status == 413
    assert (await response.json(content_type=None))["type"] == TYPE_PREFIX + "payload-too-large"


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "gzip, br"])
async def test_body_in_an_unknown_content_encoding_gets_415(client, encoding):
    response = await client.post("/identify", data=b"\x00\x01\x02",
                                 headers={"Content-Type": "application/json", "Content-Encoding": encoding})

    assert response.status == 415
    assert (await response.json(content_type=None))["type"] == TYPE_PREFIX + "unsupported-content-encoding"


@pytest.mark.parametrize("wbits", [16 + 15, 15, -15], ids=["gzip", "deflate", "raw deflate"])
async def test_compressed_body_is_inflated_and_answered(client, wbits):
    import zlib

    deflater = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = deflater.compress(NORMAL_BODY) + deflater.flush()
    encoding = "gzip" if wbits > 15 else "deflate"

    response = await client.post("/identify", data=body,
                                 headers={"Content-Type": "application/json", "Content-Encoding": encoding})

    assert response.status == 200
    assert (await response.json())["contact"]["emails"] == ["doc@hillvalley.edu"]


async def test_connections_beyond_max_connections_get_503_and_are_counted_in_metrics(settings, pool):
    async with served(settings, pool, max_connections=3) as port:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
            assert await normal_identify(session, port) == 200  # the session keeps this connection
            idle = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]

            refused = await exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")

            _, headers, _ = split_answer(refused)
            assert_problem_answer(refused, status=503, kind="too-many-connections")
            assert headers["retry-after"] == "1"
            assert await normal_identify(session, port) == 200
            async with session.get(f"http://127.0.0.1:{port}/metrics") as metrics:
                assert "identity_http_connections_refused_total 1.0" in await metrics.text()
            for _, writer in idle:
                writer.close()


async def test_a_closed_connection_frees_its_place_under_max_connections(settings, pool):
    async with served(settings, pool, max_connections=1) as port:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.1)

        answer = await exchange(port, b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")

        assert split_answer(answer)[0] == 200


async def test_idle_connection_is_closed_after_the_header_timeout(settings, pool):
    async with served(settings, pool) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)

        assert await read_all(reader) == b""
        writer.close()


@pytest.mark.parametrize("head", [
    b"POST /identify HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    b"POST /identify HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n",
    b"POST /identify HTTP/1.1\r\nHost: t\r\nTransfer-Encoding : chunked\r\n\r\n",
    b"POST /identify HTTP/1.1\nHost: t\nContent-Length: 0\n\n",
], ids=["content-length and chunked", "obfuscated transfer-encoding", "space before the colon", "bare LF"])
async def test_request_that_could_smuggle_another_is_refused_with_a_problem_400(settings, pool, head):
    async with served(settings, pool) as port:
        answer = await exchange(port, head + b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")

        assert_problem_answer(answer, status=400, kind="malformed-request")
        assert answer.count(b"HTTP/1.1 ") == 1


async def test_pipelined_requests_are_answered_in_order(settings, pool):
    async with served(settings, pool) as port:
        answer = await exchange(port, b"GET /no/such HTTP/1.1\r\nHost: t\r\n\r\n"
                                      b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")

        assert answer.index(b"HTTP/1.1 404") < answer.index(b"HTTP/1.1 200")
