"""The service started as a user starts it (`run.py serve`), and its memory while it works."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15


def supports_workers(project_dir: Path) -> bool:
    """Whether this checkout's `run.py serve` takes --workers (added by another change)."""
    result = subprocess.run(
        [sys.executable, "run.py", "serve", "--help"], cwd=project_dir, capture_output=True, text=True
    )
    return "--workers" in result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_service(
    project_dir: Path, database_url: str, *, workers: int, log_path: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[int, psutil.Process]]:
    """(port, process) of `run.py serve` ready to answer; stopped with SIGINT (then SIGKILL) on exit."""
    port = free_port()
    command = [sys.executable, "run.py", "serve"]
    # Always explicit where the option exists: its default is one worker per core, not one.
    if workers > 1 or supports_workers(project_dir):
        command += ["--workers", str(workers)]
    env = {**os.environ, "DATABASE_URL": database_url, "HOST": "127.0.0.1", "PORT": str(port), **(extra_env or {})}
    with running_process(command, cwd=project_dir, env=env, port=port, log_path=log_path) as process:
        yield port, process


@contextmanager
def running_process(
    command: list[str], *, cwd: Path, env: dict[str, str], port: int, log_path: Path
) -> Iterator[psutil.Process]:
    """A server process that answers GET /readyz with 200 on `port`; stopped on exit, even on error."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        _wait_until_ready(process, port, log_path)
        yield psutil.Process(process.pid)
    finally:
        _stop(process)


def _wait_until_ready(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service was not ready after {READY_TIMEOUT_SECONDS}s; see {log_path}")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    # SIGINT is Ctrl-C: the service closes its pool; workers, if any, are its process group.
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class PeakMemory:
    """Samples the RSS of a process and its descendants in a thread; keeps each one's peak."""

    def __init__(self, root: psutil.Process, interval_seconds: float = 0.2) -> None:
        self._root = root
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak_rss_by_pid: dict[int, int] = {}

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                processes = [self._root, *self._root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for process in processes:
                try:
                    rss = process.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                self.peak_rss_by_pid[process.pid] = max(rss, self.peak_rss_by_pid.get(process.pid, 0))
            self._stop.wait(self._interval)

    def serving_processes_peak_mb(self, workers: int) -> list[float]:
        """Peak RSS of each process that serves requests: the workers, or the one process."""
        peaks = dict(self.peak_rss_by_pid)
        if workers > 1 and len(peaks) > 1:
            peaks.pop(self._root.pid, None)  # the supervisor that starts the workers
        elif workers == 1:
            peaks = {self._root.pid: peaks.get(self._root.pid, 0)}
        return [round(rss / 2**20, 1) for rss in sorted(peaks.values(), reverse=True)]


def cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU time used so far by a process and its descendants."""
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total
