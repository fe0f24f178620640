"""A few seconds of normal traffic while adversarial clients send every attack at once:
normal requests keep being answered 200, none gets a 5xx, none waits past its timeout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

import aiohttp
import pytest

from service.logs import JsonFormatter

from .slow_clients import exchange, normal_identify, post_head, served, trickle

SOAK_SECONDS = 6
NORMAL_CLIENTS = 4
IDLE_CONNECTIONS = 200
MAX_CONNECTIONS = 400


@pytest.fixture
def json_logs():
    """The service's own log formatting (masking included) on every line, as in production."""
    handler = logging.StreamHandler(open(os.devnull, "w"))
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield
    root.removeHandler(handler)
    root.setLevel(level)
    handler.stream.close()


def attacks(gzip_bomb: bytes):
    """Each attack of the issue as a coroutine function of the port."""
    return {
        "8 KB path of digits, masked in the log": lambda port: exchange(
            port, b"GET /" + b"5551234567" * 800 + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        "malformed request with 32,000 trailing bytes": lambda port: exchange(
            port, b"POST /identify HTTP/1.0\r\n" + b"x@" * 16_000),
        "made-up method": lambda port: exchange(port, b"BREW /identify HTTP/1.1\r\nHost: t\r\n\r\n"),
        "headers a byte at a time": lambda port: trickle(port, b"POST /identify HTTP/1.1\r\n", piece=b"X"),
        "body a byte at a time": lambda port: trickle(port, post_head(60_000)),
        "chunked body that never ends": lambda port: trickle(port, post_head(None), piece=b"1\r\n \r\n"),
        "512 MB gzip bomb": lambda port: exchange(
            port, post_head(len(gzip_bomb), headers="Content-Encoding: gzip\r\n") + gzip_bomb),
    }


async def keep_attacking(attack, port: int, stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError, TimeoutError):
            await attack(port)


async def hold_idle_connections(port: int, stop: asyncio.Event) -> None:
    """Idle connections, opened again as the header timeout closes them."""
    writers = []
    while not stop.is_set():
        with contextlib.suppress(OSError):
            for _ in range(IDLE_CONNECTIONS - len(writers)):
                writers.append((await asyncio.open_connection("127.0.0.1", port))[1])
        await asyncio.sleep(0.2)
        writers = [writer for writer in writers if not writer.is_closing() and not writer.transport.is_closing()]
    for writer in writers:
        writer.close()


async def keep_identifying(port: int, stop: asyncio.Event, statuses: list) -> None:
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            statuses.append(await normal_identify(session, port))


async def test_normal_requests_keep_answering_200_while_every_attack_runs(settings, pool, gzip_bomb, json_logs):
    stop = asyncio.Event()
    statuses_by_client = [[] for _ in range(NORMAL_CLIENTS)]
    async with served(settings, pool, max_connections=MAX_CONNECTIONS) as port:
        adversaries = [asyncio.ensure_future(keep_attacking(attack, port, stop))
                       for attack in attacks(gzip_bomb).values()]
        adversaries.append(asyncio.ensure_future(hold_idle_connections(port, stop)))
        normal = [asyncio.ensure_future(keep_identifying(port, stop, statuses)) for statuses in statuses_by_client]

        await asyncio.sleep(SOAK_SECONDS)
        stop.set()
        await asyncio.gather(*normal)  # a normal request that failed or timed out fails the test here
        await asyncio.gather(*adversaries)

    for statuses in statuses_by_client:
        assert statuses, "a normal client got no answer at all"
        assert set(statuses) == {200}
