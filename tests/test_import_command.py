"""`python run.py import` and `export` as a user runs them: summary, rejects file, exit statuses, Ctrl-C,
the settings the import applies."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys

import asyncpg
import psutil

from service.importer import IDLE_IN_TRANSACTION_SECONDS, IMPORT_SERVER_SETTINGS

from .conftest import TEST_SUPPRESSION_KEY
from .polling import until
from .service_process import PROJECT_ROOT, is_alive
from .test_import_protection import record_an_erasure

ORDERS = ("email,phoneNumber,createdAt\n"
          "doc@hillvalley.edu,5550123,1955-11-05T06:00:00-08:00\n"
          "mcfly@hillvalley.edu,5550123,1985-10-26T01:24:00-07:00\n"
          "einstein,,\n")


def run_py(database_url: str, *arguments: str, stdin: str | None = None, cwd=PROJECT_ROOT, **settings: str):
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **settings}
    return subprocess.run([sys.executable, str(PROJECT_ROOT / "run.py"), *arguments], cwd=cwd, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)


async def test_import_from_standard_input_prints_the_summary_and_writes_the_rejects(pool, database_url, tmp_path):
    result = await asyncio.to_thread(run_py, database_url, "import", "-", stdin=ORDERS, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "orders read        3\nrejected           1 (1 invalid)\ncontacts created   2\ncustomers created  1\n" in result.stdout
    assert (tmp_path / "import-rejects.csv").read_text().splitlines() == [
        "line,reason", "4,email must be one @ between a non-empty local part and a domain."]
    assert await pool.fetchval("SELECT count(*) FROM contact WHERE linked_id = 1") == 1


async def test_the_summary_counts_the_rejected_lines_by_why(pool, database_url, tmp_path):
    orders = ("email,phoneNumber,createdAt\n"
              "doc@hillvalley.edu,(415) 555-0100,\n"
              "test@test.com,,\n"
              "marty@hillvalley.edu,555-0100,\n"
              "einstein,,\n")

    result = await asyncio.to_thread(run_py, database_url, "import", "-", stdin=orders, cwd=tmp_path,
                                     DEFAULT_PHONE_REGION="US")

    assert result.returncode == 0, result.stderr
    assert "rejected           3 (2 invalid, 1 blocked)\n" in result.stdout
    assert await pool.fetchval("SELECT phone_number FROM contact") == "+14155550100"


async def test_an_import_without_the_suppression_key_is_refused_when_values_were_erased(
        pool, database_url, tmp_path):
    await pool.execute("INSERT INTO erased_identifier (identifier_hmac, erased_at) VALUES (sha256('x'), now())")

    result = await asyncio.to_thread(run_py, database_url, "import", "-", stdin=ORDERS, cwd=tmp_path,
                                     SUPPRESSION_KEY="", SUPPRESSION_KEY_FILE=str(tmp_path / "no-key"))

    assert result.returncode == 2
    assert "the suppression list holds erased values" in result.stderr
    assert "nothing imported" in result.stderr
    assert not (tmp_path / "no-key").exists()
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def test_an_import_whose_key_file_cannot_be_read_says_why_when_values_were_erased(
        pool, database_url, tmp_path):
    await pool.execute("INSERT INTO erased_identifier (identifier_hmac, erased_at) VALUES (sha256('x'), now())")
    (tmp_path / "key-folder").mkdir()

    result = await asyncio.to_thread(run_py, database_url, "import", "-", stdin=ORDERS, cwd=tmp_path,
                                     SUPPRESSION_KEY="", SUPPRESSION_KEY_FILE=str(tmp_path / "key-folder"))

    assert result.returncode == 2
    assert f"cannot read {tmp_path / 'key-folder'}: Is a directory" in result.stderr
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def test_dry_run_from_the_command_line_writes_nothing(pool, database_url, tmp_path):
    (tmp_path / "orders.csv").write_text(ORDERS)

    result = await asyncio.to_thread(run_py, database_url, "import", "--dry-run", str(tmp_path / "orders.csv"))

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("dry run: nothing was written\n")
    assert "contacts created   2\n" in result.stdout
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def test_missing_file_is_refused_with_status_2(pool, database_url, tmp_path):
    result = await asyncio.to_thread(run_py, database_url, "import", str(tmp_path / "nowhere.csv"))

    assert result.returncode == 2
    assert "cannot open" in result.stderr


async def test_csv_header_without_the_fields_is_refused_with_status_2(pool, database_url, tmp_path):
    (tmp_path / "orders.csv").write_text("name,address\nMarty,Hill Valley\n")

    result = await asyncio.to_thread(run_py, database_url, "import", str(tmp_path / "orders.csv"))

    assert result.returncode == 2
    assert "the header names neither email nor phoneNumber; nothing imported" in result.stderr


async def import_under_way(pool) -> None:
    """Wait (boundedly) until the import's session stages the first lines; its session, in this
    test's database: other imports may run on the same server."""
    for _ in range(200):
        if await pool.fetchval("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'identity-import'"
                               " AND state = 'active' AND datname = current_database()"):
            return
        await asyncio.sleep(0.05)


def start_import(database_url: str, source: str, cwd, settings: dict[str, str] | None = None,
                 **pipes) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **(settings or {})}
    return subprocess.Popen([sys.executable, str(PROJECT_ROOT / "run.py"), "import", source], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **pipes)


async def interrupt_when_under_way(pool, process: subprocess.Popen, *, then=lambda: None) -> str:
    """Ctrl-C to the import once it is under way, then `then()`; its standard error once it ended."""
    try:
        await import_under_way(pool)
        process.send_signal(signal.SIGINT)
        then()
        await asyncio.to_thread(process.wait, timeout=60)
        return process.stderr.read()
    finally:
        process.kill()


async def test_ctrl_c_during_an_import_leaves_the_table_as_it_was(pool, database_url, tmp_path):
    await pool.execute("INSERT INTO contact (email, phone_number) VALUES ('doc@hillvalley.edu', '5550123')")
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")
    process = start_import(database_url, "-", tmp_path, stdin=subprocess.PIPE)
    process.stdin.write(ORDERS)
    process.stdin.flush()

    # As in a shell pipeline, Ctrl-C also ends the producer: standard input reaches its end.
    stderr = await interrupt_when_under_way(pool, process, then=process.stdin.close)

    assert process.returncode == 130, stderr
    assert "interrupted; nothing imported" in stderr
    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before


async def test_ctrl_c_while_orders_are_read_stops_the_reading(pool, database_url, tmp_path):
    # Ctrl-C while the import waits for more than its first 5,000 orders; then 300,000 more
    # and an invalid last line arrive. An import that went on reading to the end after Ctrl-C
    # would name that line in its rejects file.
    process = start_import(database_url, "-", tmp_path, stdin=subprocess.PIPE)
    process.stdin.write(orders_text(range(5_000)))
    process.stdin.flush()

    def rest_of_the_orders():
        # The import may end before reading it all.
        with contextlib.suppress(BrokenPipeError):
            process.stdin.write(orders_text(range(5_000, 305_000), header=False) + "not-an-email,\n")
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()

    stderr = await interrupt_when_under_way(pool, process, then=rest_of_the_orders)

    assert process.returncode == 130, stderr
    assert "interrupted; nothing imported" in stderr
    assert (tmp_path / "import-rejects.csv").read_text().splitlines() == ["line,reason"]
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def start_import_hashing_its_values(pool, database_url: str, cwd) -> tuple[subprocess.Popen, psutil.Process]:
    """An import reading standard input, with an erasure on record so that it hashes the file's
    values in a process of its own; it and that process, once the import is under way."""
    await record_an_erasure(pool, ["biff@hillvalley.edu"], [])
    process = start_import(database_url, "-", cwd, settings={"SUPPRESSION_KEY": TEST_SUPPRESSION_KEY},
                           stdin=subprocess.PIPE)
    process.stdin.write(orders_text(range(5_000)))
    process.stdin.flush()
    await import_under_way(pool)

    async def forked() -> bool:
        return bool(psutil.Process(process.pid).children())

    await until(forked, "the import's hashing process")
    [hashing] = psutil.Process(process.pid).children()
    return process, hashing


async def test_ctrl_c_during_an_import_that_hashes_its_values_also_ends_its_hashing_process(
        pool, database_url, tmp_path):
    process, hashing = await start_import_hashing_its_values(pool, database_url, tmp_path)

    stderr = await interrupt_when_under_way(pool, process, then=process.stdin.close)

    assert process.returncode == 130, stderr
    assert "interrupted; nothing imported" in stderr
    assert not is_alive(hashing)
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def test_an_import_killed_while_it_hashes_its_values_takes_its_hashing_process_with_it(
        pool, database_url, tmp_path):
    process, hashing = await start_import_hashing_its_values(pool, database_url, tmp_path)

    process.kill()
    process.wait()

    async def hashing_ended() -> bool:
        return not is_alive(hashing)

    try:
        await until(hashing_ended, "the hashing process end")
    finally:
        with contextlib.suppress(psutil.Error):
            hashing.kill()


async def test_an_import_whose_hashing_process_was_killed_fails_saying_so_and_imports_nothing(
        pool, database_url, tmp_path):
    process, hashing = await start_import_hashing_its_values(pool, database_url, tmp_path)

    hashing.kill()
    process.stdin.close()
    await asyncio.to_thread(process.wait, timeout=60)

    stderr = process.stderr.read()
    assert process.returncode == 1, stderr
    assert "the process hashing the file's values ended (exit code -9); nothing imported: run it again" in stderr
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


IMPORT_SESSION_STATE = "SELECT state FROM pg_stat_activity WHERE pid = $1"
IMPORT_SESSION = ("SELECT pid FROM pg_stat_activity"
                  " WHERE application_name = 'identity-import' AND datname = current_database()")
HOLDS_THE_LOCK = ("SELECT granted FROM pg_locks WHERE pid = $1 AND locktype = 'relation'"
                  " AND relation = 'contact'::regclass AND mode = 'ExclusiveLock'")


def start_import_idle_for_at_most(seconds: int, database_url: str, source: str) -> subprocess.Popen:
    """`run.py import SOURCE`, its session's idle_in_transaction_session_timeout `seconds` instead
    of the import's own."""
    code = ("import sys\n"
            "from service import importer\n"
            f"importer.IMPORT_SERVER_SETTINGS['idle_in_transaction_session_timeout'] = '{seconds}s'\n"
            "from service.cli import main\n"
            "sys.exit(main(['import', sys.argv[1]]))\n")
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "PYTHONPATH": str(PROJECT_ROOT)}
    return subprocess.Popen([sys.executable, "-c", code, source], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_an_import_stopped_while_it_holds_its_lock_is_ended_by_the_server_which_frees_the_writes(
        pool, database_url, tmp_path):
    # The import waits for a write in flight, is stopped (Ctrl-Z) and gets its lock, idle in its
    # transaction: the server ends its session, and writes go through. 1 s here, not 30 s.
    assert IMPORT_SERVER_SETTINGS["idle_in_transaction_session_timeout"] == f"{IDLE_IN_TRANSACTION_SECONDS}s"
    await pool.execute("INSERT INTO contact (email, phone_number) VALUES ('doc@hillvalley.edu', '5550123')")
    (tmp_path / "orders.csv").write_text(ORDERS)
    writing = await pool.acquire()
    transaction = writing.transaction()
    await transaction.start()
    await writing.execute("INSERT INTO contact (email) VALUES ('marty@hillvalley.edu')")
    process = start_import_idle_for_at_most(1, database_url, str(tmp_path / "orders.csv"))
    try:
        pid = None

        async def waiting_for_the_lock():
            nonlocal pid
            pid = await pool.fetchval(IMPORT_SESSION)
            return pid is not None and await pool.fetchval(HOLDS_THE_LOCK, pid) is False

        await until(waiting_for_the_lock, "the import waiting for its lock")
        process.send_signal(signal.SIGSTOP)
        await transaction.commit()

        async def idle_holding_the_lock():
            return (await pool.fetchval(IMPORT_SESSION_STATE, pid) == "idle in transaction"
                    and await pool.fetchval(HOLDS_THE_LOCK, pid))

        async def gone():
            return await pool.fetchval(IMPORT_SESSION_STATE, pid) is None

        await until(idle_holding_the_lock, "the stopped import holding its lock")
        await until(gone, "the stopped import's session ended")
        # Bounded: were the lock still held, this write would wait for as long as the import is stopped.
        later = await asyncpg.connect(database_url, server_settings={"statement_timeout": "10s"})
        try:
            await later.execute("INSERT INTO contact (email) VALUES ('biff@hillvalley.edu')")
        finally:
            await later.close()
        process.send_signal(signal.SIGCONT)
        await asyncio.to_thread(process.wait, timeout=60)
        stderr = process.stderr.read()
    finally:
        process.kill()
        process.wait()
        await pool.release(writing)

    assert process.returncode == 1, stderr
    assert "the connection to the database was lost (" in stderr and "nothing imported: run it again" in stderr
    assert await pool.fetchval("SELECT array_agg(email ORDER BY id) FROM contact") == [
        "doc@hillvalley.edu", "marty@hillvalley.edu", "biff@hillvalley.edu"]


def orders_text(customers: range, *, header: bool = True) -> str:
    return ("email,phoneNumber\n" if header else "") + "".join(f"o{n}@shop.test,{n}\n" for n in customers)


async def test_export_writes_the_csv_file(pool, database_url, tmp_path):
    await pool.execute("INSERT INTO contact (email, phone_number, created_at)"
                       " VALUES ('doc@hillvalley.edu', '5550123', '1955-11-05T14:00:00Z')")

    result = await asyncio.to_thread(run_py, database_url, "export", str(tmp_path / "contacts.csv"))

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "contacts.csv").read_text().splitlines() == [
        "id,email,phoneNumber,linkedId,linkPrecedence,createdAt",
        "1,doc@hillvalley.edu,5550123,,primary,1955-11-05T14:00:00.000000Z"]
