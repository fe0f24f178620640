"""The limits a service process sets itself at start-up, and what it says when it stops."""

from __future__ import annotations

import asyncio
import re
import signal
import time

import aiohttp

from .service_process import Service

SOFT_OPEN_FILES = 128
HARD_OPEN_FILES = 256
# HARD_OPEN_FILES less DB_POOL_MAX_SIZE (10) and the 64 files a process keeps for itself.
CONNECTIONS_THAT_FIT = HARD_OPEN_FILES - 10 - 64
IDLE_CONNECTIONS = 250


async def test_at_a_low_open_files_limit_extra_connections_are_refused_cleanly_and_counted(tmp_path, database_url):
    service = Service(tmp_path / "unused-pgdata", database_url=database_url, environment={"WORKERS": "1"},
                      open_files_limit=(SOFT_OPEN_FILES, HARD_OPEN_FILES))
    base = f"http://127.0.0.1:{service.port}"
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as normal:
            async with normal.get(f"{base}/healthz") as response:
                assert response.status == 200  # this connection stays open for what follows
            idle = [await asyncio.open_connection("127.0.0.1", service.port) for _ in range(IDLE_CONNECTIONS)]
            await asyncio.sleep(0.5)

            for _ in range(5):
                async with normal.post(f"{base}/identify", json={"email": "doc@hillvalley.edu"}) as response:
                    assert response.status == 200
            async with normal.get(f"{base}/metrics") as response:
                metrics = await response.text()
            for _, writer in idle:
                writer.close()
    finally:
        status, output = service.stop(signal.SIGTERM)

    refused = 1 + IDLE_CONNECTIONS - CONNECTIONS_THAT_FIT
    assert f"identity_http_connections_refused_total {refused}.0" in metrics
    assert f"open files limit: soft {HARD_OPEN_FILES} (was {SOFT_OPEN_FILES}), hard {HARD_OPEN_FILES}" in output
    assert f"MAX_CONNECTIONS 4096 lowered to {CONNECTIONS_THAT_FIT}" in output
    assert status == 0


def test_the_service_logs_one_line_when_it_stops(tmp_path, database_url):
    service = Service(tmp_path / "unused-pgdata", database_url=database_url, environment={"WORKERS": "1"})

    status, output = service.stop(signal.SIGTERM)

    assert status == 0
    assert output.splitlines()[-1].count("service stopped (exit status 0)") == 1


def test_each_worker_raises_its_open_files_limit_and_caps_its_connections(tmp_path, database_url):
    service = Service(tmp_path / "unused-pgdata", database_url=database_url, args=("serve", "--workers", "2"),
                      open_files_limit=(SOFT_OPEN_FILES, HARD_OPEN_FILES))
    deadline = time.monotonic() + 30
    while len(re.findall(r"worker \d+ serving on", service.output())) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)

    status, output = service.stop(signal.SIGTERM)

    assert output.count(f"open files limit: soft {HARD_OPEN_FILES} (was {SOFT_OPEN_FILES})") == 2
    assert output.count(f"MAX_CONNECTIONS 4096 lowered to {CONNECTIONS_THAT_FIT}") == 2
    assert len(re.findall(r"worker \d+ stopped", output)) == 2
    assert "service stopped (exit status 0)" in output.splitlines()[-1]
    assert status == 0
