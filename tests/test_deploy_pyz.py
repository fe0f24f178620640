"""The single file, as a user runs it: dist/identity-service.pyz built by `make dist`,
started from an empty folder by the machine's own Python 3.11, outside any virtualenv, on the
embedded PostgreSQL it carries."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest

from .deploy_tools import install_deploy_tools
from .service_process import PROJECT_ROOT, Service, postgres_processes

pytestmark = pytest.mark.deploy

MACHINE_PYTHON = "/usr/bin/python3.11"
LORRAINE = b'{"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}'
MCFLY = b'{"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"}'


@pytest.fixture(scope="module")
def pyz(tmp_path_factory) -> Path:
    install_deploy_tools()
    target = tmp_path_factory.mktemp("dist") / "identity-service.pyz"
    subprocess.run(["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "dist", f"PYZ={target}"], check=True,
                   timeout=900)
    return target


@pytest.fixture(scope="module")
def scratch() -> Path:
    """A folder outside pytest's: run as root, pgserver opens the folders above its binaries
    and data to its own user, and every pytest session that starts on the machine closes
    pytest's folder again, which would pull the ground from under a server starting here."""
    scratch = Path(tempfile.mkdtemp(prefix="identity-service-pyz-"))
    yield scratch
    shutil.rmtree(scratch)


@pytest.fixture(scope="module")
def unpack_root(scratch) -> Path:
    return scratch / "shiv-root"


@pytest.fixture
def folder(scratch) -> Path:
    """The empty folder the file runs in; its PostgreSQL, if still running, is killed afterwards."""
    folder = scratch / f"run-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    yield folder
    for process in postgres_processes(folder / "identity-data"):
        process.kill()


def bare_environment(unpack_root: Path) -> dict[str, str]:
    """A user's shell: no virtualenv, nothing of the test run's Python, no database configured."""
    return {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
            "SHIV_ROOT": str(unpack_root)}


def start(pyz: Path, folder: Path, unpack_root: Path) -> Service:
    """`python3.11 identity-service.pyz` in `folder`, with the default data directory."""
    return Service(folder / "identity-data", command=(MACHINE_PYTHON, str(pyz)), cwd=folder,
                   base_environment=bare_environment(unpack_root), environment={"EMBEDDED_PG_DIR": "", "WORKERS": "2"})


def run(pyz: Path, folder: Path, unpack_root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([MACHINE_PYTHON, str(pyz), *args], cwd=folder, env=bare_environment(unpack_root),
                          capture_output=True, text=True, timeout=120)


def test_pyz_serves_identify_with_its_data_in_identity_data(pyz, folder, unpack_root):
    service = start(pyz, folder, unpack_root)
    status, body = service.identify(LORRAINE)
    service.stop(signal.SIGTERM)

    assert status == 200
    assert json.loads(body)["contact"]["primaryContactId"] == 1
    assert (folder / "identity-data" / "PG_VERSION").is_file()


def test_sigterm_stops_the_pyz_and_its_postgres(pyz, folder, unpack_root):
    service = start(pyz, folder, unpack_root)
    service.identify(LORRAINE)

    returncode, output = service.stop(signal.SIGTERM)

    assert returncode == 0, output
    assert "embedded PostgreSQL stopped" in output
    assert postgres_processes(folder / "identity-data") == []


def test_second_start_of_the_pyz_keeps_the_data(pyz, folder, unpack_root):
    first = start(pyz, folder, unpack_root)
    first.identify(LORRAINE)
    first.stop(signal.SIGTERM)

    second = start(pyz, folder, unpack_root)
    status, body = second.identify(MCFLY)
    second.stop(signal.SIGTERM)

    assert status == 200
    assert json.loads(body)["contact"]["secondaryContactIds"] == [2]


def test_every_command_works_through_the_pyz(pyz, folder, unpack_root):
    help_text = run(pyz, folder, unpack_root, "--help")
    migrated = run(pyz, folder, unpack_root, "migrate")
    checked = run(pyz, folder, unpack_root, "check")

    assert "serve" in help_text.stdout and "EMBEDDED_PG_DIR" in help_text.stdout
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("applied ")
    assert (checked.returncode, checked.stdout) == (0, "0 violation(s)\n"), checked.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="the default differs for root only")
def test_as_root_without_shiv_root_the_pyz_unpacks_outside_home_directories(pyz, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    build_id = json.loads(subprocess.run([MACHINE_PYTHON, "-c", "import sys, zipfile; "
                                          "print(zipfile.ZipFile(sys.argv[1]).read('environment.json').decode())",
                                          str(pyz)], capture_output=True, text=True, check=True).stdout)["build_id"]
    unpacked = Path("/var/cache/identity-service") / f"{pyz.name}_{build_id}"
    try:
        result = subprocess.run([MACHINE_PYTHON, str(pyz), "--help"], cwd=tmp_path, env=environment,
                                capture_output=True, text=True, timeout=120)

        assert result.returncode == 0, result.stderr
        assert (unpacked / "site-packages" / "service").is_dir()
        assert list(home.iterdir()) == []
    finally:
        shutil.rmtree(unpacked, ignore_errors=True)
        unpacked.with_name(f".{unpacked.name}_lock").unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # left if another run of the file uses it
            unpacked.parent.rmdir()
