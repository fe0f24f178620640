"""The embedded server's safety checks, without starting PostgreSQL."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from service.embedded import (
    EmbeddedDatabaseError, ensure_system_user, forget_exited_processes, refuse_to_open_home_directories)


def test_pids_of_exited_and_zombie_processes_are_forgotten_and_live_ones_kept(tmp_path):
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    while Path(f"/proc/{zombie.pid}/stat").read_text().split()[2] != "Z":
        time.sleep(0.01)  # not reaped on purpose: a killed run's PID can linger as a zombie
    pid_list = tmp_path / ".handle_pids.json"
    pid_list.write_text(json.dumps([zombie.pid, os.getpid(), exited.pid]))

    forgotten = forget_exited_processes(pid_list)

    assert sorted(forgotten) == sorted([zombie.pid, exited.pid])
    assert json.loads(pid_list.read_text()) == [os.getpid()]
    zombie.wait()


def test_data_directory_inside_a_closed_home_directory_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "home" / "someone"
    home.mkdir(parents=True)
    home.chmod(0o700)
    monkeypatch.setattr("service.embedded.pwd.getpwall", lambda: [type("Entry", (), {"pw_dir": str(home)})()])

    with pytest.raises(EmbeddedDatabaseError, match=str(home)):
        refuse_to_open_home_directories([home / "project" / ".data" / "postgres"])


def test_data_directory_outside_home_directories_is_accepted(tmp_path, monkeypatch):
    home = tmp_path / "home" / "someone"
    home.mkdir(parents=True)
    home.chmod(0o700)
    monkeypatch.setattr("service.embedded.pwd.getpwall", lambda: [type("Entry", (), {"pw_dir": str(home)})()])

    refuse_to_open_home_directories([tmp_path / "srv" / "postgres"])


@pytest.mark.skipif(os.geteuid() != 0, reason="adding a system user needs root")
def test_the_server_user_is_added_even_when_path_does_not_reach_useradd(monkeypatch):
    # cron's PATH: useradd, in /usr/sbin, is out of its reach (pgserver's own call failed there).
    name = f"idtest{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    try:
        ensure_system_user(name)

        assert pwd.getpwnam(name).pw_shell == "/bin/bash"
    finally:
        subprocess.run(["/usr/sbin/userdel", name], capture_output=True)


def test_an_existing_server_user_is_left_as_it_is(monkeypatch):
    monkeypatch.setattr("service.embedded.subprocess.run", lambda *args, **kwargs: pytest.fail("useradd ran"))

    ensure_system_user(pwd.getpwuid(os.getuid()).pw_name)


def test_a_server_user_useradd_cannot_add_refuses_to_start_saying_why(monkeypatch):
    failed = subprocess.CompletedProcess(["useradd"], 1, "", "useradd: cannot lock /etc/passwd; try again later.\n")
    monkeypatch.setattr("service.embedded.subprocess.run", lambda *args, **kwargs: failed)

    with pytest.raises(EmbeddedDatabaseError, match="cannot lock /etc/passwd"):
        ensure_system_user(f"idtest{uuid.uuid4().hex[:8]}")
