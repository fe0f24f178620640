"""The service as a user starts it: `python run.py` with no database configured, on an embedded
PostgreSQL that it starts, reuses, and stops, even after an earlier run was killed."""

from __future__ import annotations

import json
import signal

import pytest

from .service_process import Service, postgres_processes

LORRAINE = b'{"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}'
MCFLY = b'{"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"}'


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_service_with_no_database_configured_serves_on_embedded_postgres_and_stops_it(data_dir, signum):
    service = Service(data_dir)

    status, body = service.identify(LORRAINE)
    returncode, output = service.stop(signum)

    assert status == 200
    assert json.loads(body)["contact"]["primaryContactId"] == 1
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
    assert json.loads(body)["contact"]["secondaryContactIds"] == [2]


def test_start_after_a_killed_run_works_and_still_stops_the_server(data_dir):
    killed = Service(data_dir)
    killed.identify(LORRAINE)
    killed.kill()

    service = Service(data_dir)
    status, body = service.identify(MCFLY)
    returncode, output = service.stop(signal.SIGTERM)

    assert status == 200
    assert json.loads(body)["contact"]["secondaryContactIds"] == [2]
    assert returncode == 0, output
    assert "forgetting processes that exited without stopping it" in output
    assert postgres_processes(data_dir) == []
