"""The suppression key: from SUPPRESSION_KEY, else from its file, created on the first start; the
keyed hashes PostgreSQL computes from it for the import."""

from __future__ import annotations

import multiprocessing
import secrets
import stat

import pytest

from service import file_hashes
from service.config import Settings
from service.file_hashes import HashingEnded, file_identifier_hasher
from service.suppression import existing_suppression_key, hmac_pads, identifier_hmacs, suppression_key


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


KEYS = pytest.mark.parametrize("key", [b"test-suppression-key", secrets.token_hex(32).encode(), b"k" * 100],
                               ids=["short", "as created", "longer than a block"])


@KEYS
async def test_the_padded_key_gives_postgresql_the_same_hmac_as_python(pool, key):
    values = ["email:doc@hillvalley.edu", "email:élodie@hillvalley.edu", "phone:+14155550100"]
    inner_pad, outer_pad = hmac_pads(key)

    computed = await pool.fetch("SELECT sha256($2 || sha256($1 || convert_to(value, 'UTF8'))) AS identifier_hmac"
                                " FROM unnest($3::text[]) WITH ORDINALITY AS given (value, ordinality)"
                                " ORDER BY ordinality", inner_pad, outer_pad, values)

    assert [row["identifier_hmac"] for row in computed] == identifier_hmacs(
        key, ["doc@hillvalley.edu", "élodie@hillvalley.edu"], ["+14155550100"])


@KEYS
async def test_a_file_s_values_are_hashed_once_each_as_the_suppression_list_holds_them(key, pool, statements,
                                                                                      monkeypatch):
    monkeypatch.setattr(file_hashes, "BLOCK_VALUES", 3)  # the repeated values come in later blocks
    with file_identifier_hasher() as hasher:
        hasher.start(key)
        hasher.add("doc@hillvalley.edu", "+14155550100", "4155550100")
        hasher.add("élodie@hillvalley.edu", None, None)
        hasher.add("doc@hillvalley.edu", None, "+14155550100")
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute(statements.import_create_identifier_hmac.text)
            await connection.copy_to_table("import_identifier_hmac", source=hasher.copy_data(), format="binary")
            entries = await connection.fetch("SELECT identifier, identifier_hmac FROM import_identifier_hmac")

    assert sorted(map(tuple, entries)) == sorted(zip(
        ["email:doc@hillvalley.edu", "email:élodie@hillvalley.edu", "phone:+14155550100", "phone:4155550100"],
        identifier_hmacs(key, ["doc@hillvalley.edu", "élodie@hillvalley.edu"], ["+14155550100", "4155550100"])))


async def test_a_hashing_process_that_ended_before_it_was_started_fails_the_import_instead_of_hanging_it():
    with file_identifier_hasher() as hasher:
        [hashing] = multiprocessing.active_children()
        hashing.kill()
        hashing.join()

        with pytest.raises(HashingEnded, match="exit code -9"):
            hasher.start(b"test-suppression-key")


async def test_a_hashing_process_that_fails_while_hashing_fails_the_import_instead_of_hanging_it():
    with file_identifier_hasher() as hasher:
        hasher.start(b"test-suppression-key")
        hasher.add("doc@hillvalley.edu", None, None)
        hasher.add("\udcff@hillvalley.edu", None, None)  # no UTF-8 for it: the hashing process raises

        with pytest.raises(HashingEnded, match="exit code 1"):
            async for _ in hasher.copy_data():
                pass


def test_the_import_reads_the_key_but_never_creates_one(tmp_path):
    settings = Settings.from_environ({"SUPPRESSION_KEY_FILE": str(tmp_path / "suppression-key")})

    assert existing_suppression_key(settings) is None
    assert not (tmp_path / "suppression-key").exists()
    created = suppression_key(settings)
    assert existing_suppression_key(settings) == created
