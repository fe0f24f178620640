"""The suppression key: from SUPPRESSION_KEY, else from its file, created on the first start."""

from __future__ import annotations

import stat

from service.config import Settings
from service.suppression import suppression_key


def test_first_start_creates_a_key_file_only_its_owner_can_read(tmp_path):
    settings = Settings.from_environ({"SUPPRESSION_KEY_FILE": str(tmp_path / "keys" / "suppression-key")})

    key = suppression_key(settings)

    path = tmp_path / "keys" / "suppression-key"
    assert len(key) == 64
    assert path.read_bytes().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_later_starts_read_the_same_key(tmp_path):
    settings = Settings.from_environ({"SUPPRESSION_KEY_FILE": str(tmp_path / "suppression-key")})

    assert suppression_key(settings) == suppression_key(settings)


def test_the_setting_wins_and_no_file_is_created(tmp_path):
    settings = Settings.from_environ({"SUPPRESSION_KEY": "from-the-vault",
                                      "SUPPRESSION_KEY_FILE": str(tmp_path / "suppression-key")})

    assert suppression_key(settings) == b"from-the-vault"
    assert not (tmp_path / "suppression-key").exists()
