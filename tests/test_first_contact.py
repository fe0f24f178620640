"""What a new user sees first: a start-up failure is one clear log line and exit status 1,
"serving on" comes when the port answers on every worker, and the log names the database
actually in use."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

from .service_process import PROJECT_ROOT, Service, free_port, service_environment
from .test_workers import wait_until


def run_service(tmp_path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    environment = {**service_environment(tmp_path / "unused-pgdata", free_port()), **settings}
    return subprocess.run([sys.executable, "run.py", *args], cwd=PROJECT_ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def error_lines(output: str) -> list[dict]:
    return [entry for entry in map(json.loads, output.splitlines()) if entry["level"] == "ERROR"]


@pytest.fixture(params=["unreachable", "missing database"])
def unusable_database_url(request, server_url) -> str:
    if request.param == "unreachable":
        return f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    return urlunsplit(urlsplit(server_url)._replace(path="/no_such_database"))


@pytest.mark.parametrize("workers", ["1", "2"])
def test_unusable_database_stops_serve_with_one_error_line_and_exit_1(tmp_path, unusable_database_url, workers):
    result = run_service(tmp_path, "serve", DATABASE_URL=unusable_database_url, WORKERS=workers)

    assert result.returncode == 1, result.stderr
    [error] = error_lines(result.stderr)
    assert error["message"].startswith("serve failed: ")
    assert "exception" not in error
    assert "Traceback" not in result.stderr


def test_migrate_on_an_unusable_database_is_one_error_line_and_exit_1(tmp_path, unusable_database_url):
    result = run_service(tmp_path, "migrate", DATABASE_URL=unusable_database_url)

    assert result.returncode == 1, result.stderr
    [error] = error_lines(result.stderr)
    assert error["message"].startswith("migrate failed: ")
    assert "Traceback" not in result.stderr


def test_log_level_debug_adds_the_traceback_to_the_error_line(tmp_path):
    result = run_service(tmp_path, "serve", DATABASE_URL=f"postgresql://postgres@127.0.0.1:{free_port()}/postgres",
                         WORKERS="1", LOG_LEVEL="DEBUG")

    assert result.returncode == 1
    [error] = error_lines(result.stderr)
    assert error["exception"].startswith("Traceback")


def test_port_in_use_is_one_error_line_and_exit_1(tmp_path, database_url):
    first = Service(tmp_path / "unused-pgdata", database_url=database_url, args=("serve", "--workers", "1"))
    result = run_service(tmp_path, "serve", DATABASE_URL=database_url, WORKERS="1", PORT=str(first.port))
    first.stop(signal.SIGTERM)

    assert result.returncode == 1
    [error] = error_lines(result.stderr)
    assert "address already in use" in error["message"]
    assert "Traceback" not in result.stderr


def test_with_workers_serving_on_is_logged_after_every_worker_listens(tmp_path, database_url, pool):
    service = Service(tmp_path / "unused-pgdata", database_url=database_url, args=("serve", "--workers", "2"))
    wait_until(lambda: "with 2 workers" in service.output())
    _, output = service.stop(signal.SIGTERM)

    messages = [json.loads(line)["message"] for line in output.splitlines()]
    serving = next(index for index, message in enumerate(messages) if message.startswith("serving on"))
    assert sum(" serving on http" in message for message in messages[:serving]) == 2


def test_with_no_database_configured_every_process_logs_embedded_and_none_configured(data_dir):
    service = Service(data_dir, args=("serve", "--workers", "2"))
    wait_until(lambda: "with 2 workers" in service.output())
    _, output = service.stop(signal.SIGTERM)

    assert "using the embedded PostgreSQL in" in output
    assert "(configured)" not in output
    assert output.count("(given by the parent process)") == 2
