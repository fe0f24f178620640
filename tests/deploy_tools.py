"""What the deployment tests need from the machine, installed by the project's own script."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .service_process import PROJECT_ROOT


def install_deploy_tools() -> None:
    """podman, runc, mmdebstrap and the machine's Python 3.11 (.ci/container-tools; quick when
    they are there)."""
    subprocess.run([str(PROJECT_ROOT / ".ci" / "container-tools")], check=True, timeout=900)


class Podman:
    """podman with everything it keeps (images, containers, volumes, run state) in `folder`,
    set up for this machine: runc (crun fails on its hybrid cgroup layout), ulimits that root
    may set here, no systemd, and the host's network (no bridge state left behind)."""

    def __init__(self, folder: Path):
        self.folder = folder
        config = folder / "containers.conf"
        config.write_text(CONTAINERS_CONF.format(folder=folder))
        self._environment = {**os.environ, "CONTAINERS_CONF": str(config)}
        self._global_options = ["--root", str(folder / "storage"), "--runroot", str(folder / "run")]

    def __call__(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        return self.run([*self.command, *args], check=check, timeout=timeout)

    @property
    def command(self) -> list[str]:
        return ["podman", *self._global_options]

    def run(self, command: list[str], *, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        """`command` (podman, or make calling it) with this podman's configuration."""
        result = subprocess.run(command, env=self._environment, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}{result.stderr}")
        return result

    def remove_everything(self) -> None:
        """Every container, image and volume in this podman's storage, then the storage itself."""
        self("rm", "--all", "--force", "--time", "0", check=False)
        self("volume", "rm", "--all", "--force", check=False)
        self("rmi", "--all", "--force", check=False, timeout=300)
        shutil.rmtree(self.folder, ignore_errors=True)


CONTAINERS_CONF = """\
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "none"
tmp_dir = "{folder}/tmp"
"""
