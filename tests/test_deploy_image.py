"""The container image, built from the Containerfile and run for real with podman.

No registry is reachable here, so the base image is made from Debian's packages (bookworm
with python3 and python3-venv, by mmdebstrap) and passed as BASE_IMAGE. Everything podman
keeps lives in a folder of this module's own, removed at the end.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from .deploy_tools import Podman, install_deploy_tools
from .service_process import PROJECT_ROOT, START_TIMEOUT_SECONDS, free_port, post_identify

pytestmark = pytest.mark.deploy

IMAGE = "localhost/identity-service-test"
BASE_IMAGE = "localhost/identity-service-test-base"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
LORRAINE = b'{"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}'
MCFLY = b'{"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"}'
STOP_TIMEOUT_SECONDS = 30


@pytest.fixture(scope="module")
def podman(tmp_path_factory) -> Podman:
    install_deploy_tools()
    podman = Podman(tmp_path_factory.mktemp("podman"))
    yield podman
    podman.remove_everything()


@pytest.fixture(scope="module")
def image(podman) -> str:
    rootfs = podman.folder / "base.tar"
    subprocess.run(["mmdebstrap", "--quiet", "--variant=minbase", "--include=python3,python3-venv,ca-certificates", "bookworm",
                    str(rootfs)], check=True, timeout=900)
    podman("import", str(rootfs), BASE_IMAGE, timeout=300)
    rootfs.unlink()
    # As a user builds it; make passes --format docker (the OCI format has no HEALTHCHECK).
    podman.run(["make", "--no-print-directory", "-C", str(PROJECT_ROOT), "image", f"IMAGE={IMAGE}",
                f"BASE_IMAGE={BASE_IMAGE}", f"CONTAINER_TOOL={shlex.join(podman.command)}",
                f"IMAGE_BUILD_FLAGS={shlex.join(['--network', 'host', *build_only_mounts()])}"], timeout=1800)
    return IMAGE


def build_only_mounts() -> list[str]:
    """HTTPS from inside a build here goes through a proxy whose CA the new root file system
    does not trust: pip (Debian's trusts the system's bundle) gets the host's, for the build only."""
    return ["--volume", f"{HOST_CA_BUNDLE}:{HOST_CA_BUNDLE}:ro"] if HOST_CA_BUNDLE.is_file() else []


@pytest.fixture
def volume(podman) -> str:
    name = f"identity-data-{uuid.uuid4().hex[:8]}"
    podman("volume", "create", name)
    return name


@pytest.fixture
def start_container(podman, image):
    """Starts the image on a volume, as `podman run -v VOLUME:/data IMAGE`, and waits until it
    answers; every container started is removed afterwards."""
    started: list[str] = []

    def start(volume: str) -> tuple[str, int]:
        port = free_port()
        container = podman("run", "--detach", "--network", "host", "--env", f"PORT={port}",
                           "--volume", f"{volume}:/data", image).stdout.strip()
        started.append(container)
        wait_until_answering(podman, container, port)
        return container, port

    yield start
    for container in started:
        podman("rm", "--force", "--time", "0", container, check=False)


def wait_until_answering(podman: Podman, container: str, port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except (urllib.error.URLError, OSError):
            if podman("inspect", "--format", "{{.State.Running}}", container).stdout.strip() != "true":
                raise AssertionError(f"container exited early:\n{podman('logs', container).stderr}") from None
            time.sleep(0.2)
    raise AssertionError(f"container did not answer within {START_TIMEOUT_SECONDS}s")


def stop_with_sigterm(podman: Podman, container: str) -> int:
    """SIGTERM, as `podman stop` sends it, and the container's exit status once it has stopped."""
    podman("kill", "--signal", "TERM", container)
    return int(podman("wait", container, timeout=STOP_TIMEOUT_SECONDS).stdout.strip())


def test_image_runs_as_a_non_root_user(podman, image):
    configured_user = podman("image", "inspect", "--format", "{{.Config.User}}", image).stdout.strip()
    uid = podman("run", "--rm", "--network", "host", "--entrypoint", "id", image, "-u").stdout.strip()

    assert configured_user == "identity"
    assert uid != "0"


def test_container_answers_identify_on_its_port(start_container, volume):
    _, port = start_container(volume)

    status, body = post_identify(port, LORRAINE)

    assert status == 200
    assert json.loads(body)["contact"]["primaryContactId"] == 1


def test_container_is_healthy_once_ready(podman, start_container, volume):
    container, port = start_container(volume)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as ready:
        assert ready.status == 200

    check = podman("healthcheck", "run", container, check=False)

    assert check.returncode == 0, check.stdout + check.stderr
    assert podman("inspect", "--format", "{{.State.Health.Status}}", container).stdout.strip() == "healthy"


def test_sigterm_stops_the_container_and_its_postgres_cleanly(podman, start_container, volume):
    container, port = start_container(volume)
    post_identify(port, LORRAINE)

    exit_status = stop_with_sigterm(podman, container)

    assert exit_status == 0
    assert "embedded PostgreSQL stopped" in podman("logs", container).stderr


def test_second_container_on_the_same_volume_sees_the_first_ones_customers(podman, start_container, volume):
    first, port = start_container(volume)
    post_identify(port, LORRAINE)
    stop_with_sigterm(podman, first)

    _, port = start_container(volume)
    status, body = post_identify(port, MCFLY)

    assert status == 200
    assert json.loads(body)["contact"] == {
        "primaryContactId": 1, "emails": ["lorraine@hillvalley.edu", "mcfly@hillvalley.edu"],
        "phoneNumbers": ["123456"], "secondaryContactIds": [2],
    }
