"""`run.py serve --workers N`: N worker processes sharing the port under one parent, which
resolves the database, restarts a worker that dies, and stops them all on a signal."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from service.config import ConfigError, Settings

from .service_process import PROJECT_ROOT, Service, is_alive, postgres_processes, service_environment

IDENTIFY = b'{"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}'
# Enough connections that Linux's hash puts some on each of two workers' sockets
# (all on one: a chance of 2 in 2**16).
CONNECTIONS = 16


def workers_of(service: Service) -> list[psutil.Process]:
    """The live worker processes of the service."""
    workers = []
    for child in psutil.Process(service.process.pid).children():
        try:
            if child.status() != psutil.STATUS_ZOMBIE and "service.worker" in " ".join(child.cmdline()):
                workers.append(child)
        except psutil.Error:  # it exited meanwhile
            pass
    return workers


def wait_until_serving(service: Service, workers: list[psutil.Process]) -> None:
    """The port answers as soon as the first worker listens; wait for all of them."""
    wait_until(lambda: all(f"worker {worker.pid} serving on" in service.output() for worker in workers))


def wait_until(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout}s: {condition.__doc__ or condition}")
        time.sleep(0.1)


def workers_serving_requests(service: Service, workers: list[psutil.Process]) -> set[int]:
    """The workers that answered 200 on one of several kept-alive connections: the pids that hold
    the server end of those connections afterwards."""
    connections = [http.client.HTTPConnection("127.0.0.1", service.port, timeout=10) for _ in range(CONNECTIONS)]
    try:
        for connection in connections:
            connection.request("POST", "/identify", body=IDENTIFY, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 200
        client_ports = {connection.sock.getsockname()[1] for connection in connections}
        return {worker.pid for worker in workers for held in worker.net_connections("tcp")
                if held.laddr.port == service.port and held.raddr and held.raddr.port in client_ports}
    finally:
        for connection in connections:
            connection.close()


@pytest.fixture
def start_service(tmp_path, database_url, pool):
    """Starts `run.py serve --workers N` on the test database (emptied by `pool`); whatever is
    still running at the end is killed."""
    started: list[Service] = []

    def start(workers: int) -> Service:
        service = Service(tmp_path / "unused-pgdata", database_url=database_url,
                          args=("serve", "--workers", str(workers)))
        started.append(service)
        if workers > 1:
            wait_until(lambda: len(workers_of(service)) == workers)
            wait_until_serving(service, workers_of(service))
        return service

    yield start
    for service in started:
        if service.process.poll() is None:
            service.kill()


def test_workers_default_to_one_per_cpu():
    assert Settings.from_environ({}).workers == len(os.sched_getaffinity(0))


def test_workers_setting_sets_the_number_of_workers():
    assert Settings.from_environ({"WORKERS": "3"}).workers == 3


def test_zero_workers_is_refused():
    with pytest.raises(ConfigError, match="WORKERS"):
        Settings.from_environ({"WORKERS": "0"})


def test_workers_option_must_be_a_whole_number_of_at_least_one():
    result = subprocess.run([sys.executable, "run.py", "serve", "--workers", "0"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)

    assert result.returncode == 2
    assert "--workers: must be a whole number of at least 1" in result.stderr


def test_one_worker_serves_in_the_started_process_itself(start_service):
    service = start_service(1)

    status, _ = service.identify(IDENTIFY)

    assert status == 200
    assert workers_of(service) == []


def test_two_workers_share_the_port_and_both_serve_requests(start_service):
    service = start_service(2)
    workers = workers_of(service)

    serving = workers_serving_requests(service, workers)

    assert len(workers) == 2
    assert serving == {worker.pid for worker in workers}


@pytest.mark.parametrize("stop", [
    lambda service: service.process.send_signal(signal.SIGTERM),
    # Ctrl-C in a terminal signals the whole process group: parent and workers.
    lambda service: os.killpg(service.process.pid, signal.SIGINT),
], ids=["SIGTERM to the parent", "Ctrl-C"])
def test_signal_stops_every_worker_and_the_embedded_postgres_and_exits_0(data_dir, stop):
    service = Service(data_dir, args=("serve", "--workers", "2"))
    workers = workers_of(service)
    status, _ = service.identify(IDENTIFY)

    stop(service)
    returncode = service.process.wait(timeout=40)
    output = service.output()

    assert status == 200
    assert len(workers) == 2
    assert returncode == 0, output
    assert [worker.pid for worker in workers if is_alive(worker)] == []
    assert "embedded PostgreSQL in" in output
    assert "embedded PostgreSQL stopped" in output
    assert postgres_processes(data_dir) == []


def test_killed_worker_is_replaced_and_both_serve_again(start_service):
    service = start_service(2)
    killed, survivor = workers_of(service)

    killed.kill()
    replacements: list[psutil.Process] = []

    def replaced() -> bool:
        """a new worker runs in place of the killed one"""
        replacements[:] = [w for w in workers_of(service) if w.pid not in (killed.pid, survivor.pid)]
        return bool(replacements)

    wait_until(replaced)
    replacement = replacements[0]
    wait_until_serving(service, [replacement])
    serving = workers_serving_requests(service, [survivor, replacement])
    returncode, output = service.stop(signal.SIGTERM)

    assert f"(pid {killed.pid}) exited unexpectedly (killed by SIGKILL)" in output
    assert serving == {survivor.pid, replacement.pid}
    assert returncode == 0, output


def test_workers_stop_by_themselves_when_the_parent_is_killed(start_service):
    service = start_service(2)
    workers = workers_of(service)

    service.process.kill()  # the parent alone, as the OOM killer might
    service.process.wait(timeout=10)

    wait_until(lambda: not any(is_alive(worker) for worker in workers))
    assert "the parent process is gone; stopping" in service.output()


def test_second_service_on_a_port_in_use_is_refused_and_the_first_goes_on(start_service, tmp_path, database_url):
    first = start_service(2)

    second = subprocess.run([sys.executable, "run.py", "serve", "--workers", "2"], cwd=PROJECT_ROOT,
                            env=service_environment(tmp_path / "unused-pgdata", first.port, database_url=database_url),
                            capture_output=True, text=True, timeout=60)
    status, _ = first.identify(IDENTIFY)

    assert second.returncode == 1
    assert "Address already in use" in second.stderr
    assert status == 200


def test_pools_larger_than_the_connection_limit_are_warned_of_at_start(tmp_path, database_url, pool):
    service = Service(tmp_path / "unused-pgdata", database_url=database_url, args=("serve", "--workers", "2"),
                      environment={"DB_POOL_MAX_SIZE": "500"})
    returncode, output = service.stop(signal.SIGTERM)

    assert "2 workers × DB_POOL_MAX_SIZE 500 = 1000 connections, more than the" in output
    assert returncode == 0, output


def test_metrics_add_up_every_workers_requests(start_service):
    service = start_service(2)
    workers = workers_of(service)
    before = identified_total(service)

    serving = workers_serving_requests(service, workers)
    after = identified_total(service)
    metrics = scrape(service)
    service.stop(signal.SIGTERM)

    assert serving == {worker.pid for worker in workers}
    assert after - before == CONNECTIONS
    open_connections = [float(line.split()[-1]) for line in metrics.splitlines()
                        if line.startswith("identity_db_pool_connections ")]
    assert open_connections and open_connections[0] >= 2 * Settings.from_environ({}).pool_min_size


def scrape(service: Service) -> str:
    return urllib.request.urlopen(f"http://127.0.0.1:{service.port}/metrics", timeout=10).read().decode()


def identified_total(service: Service) -> float:
    """POST /identify answered 200, over every worker, as /metrics reports it."""
    prefix = 'identity_http_requests_total{method="POST",route="/identify",status="200"} '
    return sum(float(line.removeprefix(prefix)) for line in scrape(service).splitlines() if line.startswith(prefix))
