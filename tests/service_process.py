"""`python run.py` as a real process, for the tests that start, signal and kill the service."""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

PROJECT_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def post_identify(port: int, body: bytes) -> tuple[int, bytes]:
    """POST /identify to a service on 127.0.0.1:`port`; returns (status, body)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/identify", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def is_alive(process: psutil.Process) -> bool:
    """Running, and not a zombie that no one has waited for yet."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def postgres_processes(data_dir: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(data_dir) in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def service_environment(data_dir: Path, port: int, *, database_url: str = "",
                        base_environment: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a service on 127.0.0.1:`port`; with no `database_url`, on the embedded
    PostgreSQL in `data_dir`. Empty values keep a developer's .env from pointing it elsewhere."""
    return {**(os.environ if base_environment is None else base_environment), "DATABASE_URL": database_url, "DB_HOST": "", "EMBEDDED_PG_DIR": str(data_dir),
            "HOST": "127.0.0.1", "PORT": str(port)}


def _open_files_limit_of(limit: tuple[int, int] | None):
    if limit is None:
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limit)


class Service:
    """`python run.py [args]` (or `command`, in `cwd`) in a session of its own (so its whole
    process group can be killed). With no `database_url` it runs on the embedded PostgreSQL in
    `data_dir`; `environment` adds or overrides settings, on top of `base_environment` (this
    process's own by default); `open_files_limit` (soft, hard) is RLIMIT_NOFILE it starts with."""

    def __init__(self, data_dir: Path, *, database_url: str = "", args: tuple[str, ...] = (),
                 environment: dict[str, str] | None = None, command: tuple[str, ...] = (sys.executable, "run.py"),
                 cwd: Path = PROJECT_ROOT, base_environment: dict[str, str] | None = None,
                 open_files_limit: tuple[int, int] | None = None):
        self.data_dir = data_dir
        self.port = free_port()
        # A file, not a pipe: a pipe nobody reads fills up and blocks the service's logging.
        self._log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen([*command, *args], cwd=cwd,
                                        env={**service_environment(data_dir, self.port, database_url=database_url,
                                                                   base_environment=base_environment),
                                             **(environment or {})},
                                        stdout=self._log, stderr=subprocess.STDOUT, text=True,
                                        start_new_session=True,
                                        preexec_fn=_open_files_limit_of(open_files_limit))
        self._wait_until_serving()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"service exited early:\n{self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.process.kill()
        raise AssertionError(f"service did not listen within {START_TIMEOUT_SECONDS}s:\n{self.output()}")

    def output(self) -> str:
        """Everything the service wrote so far (standard output and error)."""
        self._log.seek(0)
        return self._log.read()

    def identify(self, body: bytes) -> tuple[int, bytes]:
        return post_identify(self.port, body)

    def stop(self, signum: int) -> tuple[int, str]:
        self.process.send_signal(signum)
        self.process.wait(timeout=30)
        return self.process.returncode, self.output()

    def kill(self) -> None:
        """SIGKILL to every process of the service, as a crash or the OOM killer would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
