"""The service as a user starts it: `python run.py` with no database configured, on an embedded
PostgreSQL that it starts, reuses, and stops, even after an earlier run was killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(data_dir) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


class Service:
    """`python run.py` in a session of its own (so its whole process group can be killed).
    With no `database_url` it runs on the embedded PostgreSQL in `data_dir`."""

    def __init__(self, data_dir: Path, *, database_url: str = ""):
        self.data_dir = data_dir
        self.port = free_port()
        # Empty values keep a developer's .env from pointing the service at another database.
        env = {**os.environ, "DATABASE_URL": database_url, "DB_HOST": "", "EMBEDDED_PG_DIR": str(data_dir),
               "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process = subprocess.Popen([sys.executable, "run.py"], cwd=PROJECT_ROOT, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True)
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"service exited early:\n{self.process.stdout.read()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise AssertionError(f"service did not listen within {START_TIMEOUT_SECONDS}s:\n{self.process.stdout.read()}")

    def identify(self, body: bytes) -> tuple[int, bytes]:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/identify", data=body,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def stop(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        output, _ = self.process.communicate(timeout=30)
        return self.process.returncode, output

    def kill(self) -> None:
        """SIGKILL to every process of the service, as a crash or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.communicate(timeout=30)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    yield tmp_path / "pgdata"
    for process in postgres_processes(tmp_path / "pgdata"):
        process.kill()


LORRAINE = b'{"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}'
MCFLY = b'{"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"}'


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_service_with_no_database_configured_serves_on_embedded_postgres_and_stops_it(data_dir, signum):
    service = Service(data_dir)

    status, body = service.identify(LORRAINE)
    returncode, output = service.stop(signum)

    assert status == 200
    assert b'"primaryContactId": 1' in body
    assert returncode == 0, output
    assert "embedded PostgreSQL in" in output
    assert "embedded PostgreSQL stopped" in output
    assert postgres_processes(data_dir) == []


def test_second_start_reuses_the_data(data_dir):
    first = Service(data_dir)
    first.identify(LORRAINE)
    first.stop(signal.SIGINT)

    second = Service(data_dir)
    status, body = second.identify(MCFLY)
    second.stop(signal.SIGINT)

    assert status == 200
    assert b'"secondaryContactIds": [2]' in body


def test_start_after_a_killed_run_works_and_still_stops_the_server(data_dir):
    killed = Service(data_dir)
    killed.identify(LORRAINE)
    killed.kill()

    service = Service(data_dir)
    status, body = service.identify(MCFLY)
    returncode, output = service.stop(signal.SIGTERM)

    assert status == 200
    assert b'"secondaryContactIds": [2]' in body
    assert returncode == 0, output
    assert "forgetting processes that exited without stopping it" in output
    assert postgres_processes(data_dir) == []
