"""The embedded PostgreSQL (pgserver) used when no database is configured.

pgserver keeps, in `<data dir>/.handle_pids.json`, the PIDs of the processes using
the server, and only the last of them to exit stops it. A process killed with
SIGKILL never removes its PID, so the next run would never stop the server: we
drop PIDs of processes that no longer exist before taking our handle.

Run as root, pgserver runs PostgreSQL as a `pgserver` user and adds o+rx to every
parent folder of the data directory and of its own binaries. We refuse to start
when that would open up a home directory; the default data directory sits inside
the project for that reason (see README, "Embedded PostgreSQL"). pgserver adds that
user with whatever `useradd` PATH finds, and a root job's PATH may not reach it (cron's
is /usr/bin:/bin, and useradd lives in /usr/sbin): we add the user first, from the
system folders too.
"""

from __future__ import annotations

import json
import logging
import os
import pwd
import shutil
import stat
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path

import psutil

log = logging.getLogger(__name__)

PID_LIST = ".handle_pids.json"
# The user pgserver runs PostgreSQL as when it is started by root.
SERVER_USER = "pgserver"
SYSTEM_FOLDERS = ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
_TRAVERSABLE_BY_OTHERS = stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH


class EmbeddedDatabaseError(RuntimeError):
    """The embedded PostgreSQL cannot be started safely."""


@dataclass
class EmbeddedPostgres:
    """A handle on the embedded server; `stop()` stops it when no other process uses it."""

    data_dir: Path
    url: str
    _server: object

    @classmethod
    def start(cls, data_dir: Path) -> EmbeddedPostgres:
        with warnings.catch_warnings():
            # pgserver asks platformdirs for a runtime folder at import time; without
            # XDG_RUNTIME_DIR (services, containers) platformdirs warns and uses /tmp.
            warnings.simplefilter("ignore")
            import pgserver
            from pgserver._commands import POSTGRES_BIN_PATH
            from pgserver.postgres_server import PostgresServer

        data_dir = data_dir.resolve()
        if os.geteuid() == 0:
            # Before creating anything, and on real paths: pgserver opens the real parents.
            refuse_to_open_home_directories([data_dir, POSTGRES_BIN_PATH.resolve()])
            with PostgresServer._lock:  # pgserver's lock across processes: one adds the user
                ensure_system_user(SERVER_USER)
        data_dir.parent.mkdir(parents=True, exist_ok=True)
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        with PostgresServer._lock:
            forget_exited_processes(data_dir / PID_LIST)
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        return cls(data_dir=data_dir, url=server.get_uri(), _server=server)

    def stop(self) -> bool:
        """Give up our handle; stops the server unless another live process still uses it.
        Returns whether the server was stopped."""
        from pgserver.postgres_server import PostgresServer

        with PostgresServer._lock:
            forget_exited_processes(self.data_dir / PID_LIST)
            users = [pid for pid in _read_pids(self.data_dir / PID_LIST) if pid != os.getpid()]
        self._server.cleanup()
        if users:
            log.info("embedded PostgreSQL left running for processes %s", users)
        return not users


def ensure_system_user(name: str) -> None:
    """Add the system user `name`, as pgserver would (`useradd -s /bin/bash`), unless it exists;
    useradd is looked for on PATH, then in the system folders."""
    try:
        pwd.getpwnam(name)
        return
    except KeyError:
        pass
    folders = [folder for folder in os.environ.get("PATH", "").split(os.pathsep) if folder] + list(SYSTEM_FOLDERS)
    useradd = shutil.which("useradd", path=os.pathsep.join(folders))
    if useradd is None:
        raise EmbeddedDatabaseError(f"run as root, the embedded PostgreSQL runs as a {name!r} user, and there is "
                                    "no useradd to add it: add the user, or set DATABASE_URL")
    added = subprocess.run([useradd, "-s", "/bin/bash", name], capture_output=True, text=True)
    if added.returncode != 0:
        raise EmbeddedDatabaseError(f"run as root, the embedded PostgreSQL runs as a {name!r} user, and useradd "
                                    f"could not add it: {added.stderr.strip()}")


def forget_exited_processes(pid_list: Path) -> list[int]:
    """Remove from pgserver's PID list the processes that no longer run; returns them."""
    pids = _read_pids(pid_list)
    exited = [pid for pid in pids if not _is_running(pid)]
    if exited:
        log.warning("embedded PostgreSQL: forgetting processes that exited without stopping it: %s", exited)
        pid_list.write_text(json.dumps([pid for pid in pids if pid not in exited]))
    return exited


def _read_pids(pid_list: Path) -> list[int]:
    return json.loads(pid_list.read_text() or "[]") if pid_list.exists() else []


def _is_running(pid: int) -> bool:
    """Killed processes stay zombies until reaped; they count as exited."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def refuse_to_open_home_directories(paths: list[Path]) -> None:
    homes = {Path(entry.pw_dir) for entry in pwd.getpwall()} - {Path("/")}
    exposed = sorted(
        {
            parent
            for path in paths
            for parent in path.parents
            if parent in homes and parent.exists() and parent.stat().st_mode & _TRAVERSABLE_BY_OTHERS != _TRAVERSABLE_BY_OTHERS
        }
    )
    if exposed:
        raise EmbeddedDatabaseError(
            "running as root, the embedded PostgreSQL would make these home directories readable by everyone: "
            + ", ".join(map(str, exposed))
            + ". Put the project (and its .venv) and EMBEDDED_PG_DIR outside home directories, "
            "or configure DATABASE_URL."
        )
