"""`python -m bench.import_bench [--orders N ...]`: `run.py import` of N orders (1,000,000 by
default; several sizes, one after the other), into an empty table, then the same file again
into the table it filled (which creates nothing), the same orders with US numbers under
DEFAULT_PHONE_REGION=US into an empty table, a file into a table seeded with N contacts,
and then a file of N/100 orders (returning customers and new ones) into the table that left.

The order file is deterministic (seeded random): about N/2.5 customers of one to a few
orders each, most with an email and a phone, some with only one, a few customers with a
second email or phone; createdAt spread over 2015-2019, so before every seeded contact.
For the seeded table, one order in five belongs to a seeded customer (its email or
phone), so that the import matches, merges and re-dates existing customers too, and one
customer of the file in a thousand has had its email erased since (the suppression list is
not empty, so the import hashes the file's values and skips those customers' orders).
The import runs as a user would run it: `python run.py import FILE`, a process of its
own; the time is the one it reports in its summary. Databases are created and dropped
on DATABASE_URL's server, or on an embedded PostgreSQL (see bench/postgres.py).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

from service.suppression import identifier_hmacs, key_check

from . import postgres, seed

PROJECT_DIR = Path(__file__).resolve().parent.parent
FIRST_MOMENT = datetime(2015, 1, 1, tzinfo=timezone.utc)
SPREAD_SECONDS = 5 * 365 * 24 * 3600
SEEDED_SHARE = 0.2
# The 1M-table run also has erasures on record, so that the import hashes the file's values
# and matches them against the suppression list, as it does wherever anyone was ever erased:
# the first email of every ERASED_EVERY-th customer of the file, erased after all its orders.
ERASED_EVERY = 1000
BENCH_SUPPRESSION_KEY = "bench-suppression-key"
# The last run imports a file of orders / LATER_FILE_SHARE orders into the table the
# seeded run left.
LATER_FILE_SHARE = 100
# The fields of /proc/stat's cpu line: user nice system idle iowait irq softirq steal ...
STEAL_FIELD = 7
US_AREA_CODES = (212, 312, 415, 617, 646, 702, 718, 805, 917, 303)


@dataclass(frozen=True)
class ImportRun:
    table: str
    orders: int
    contacts_created: int
    seconds: float
    # The share of the machine's CPU time (all cores, idle time included) that its hypervisor
    # gave to others while the import ran (steal in /proc/stat), None where it cannot be
    # read: on a shared virtual machine the same import took from 20 to 35 s within an hour,
    # and this helps tell a slow run from a slow change.
    stolen: float | None

    @property
    def orders_per_second(self) -> float:
        return self.orders / self.seconds


def write_orders(path: Path, orders: int, *, seeded_customers: int = 0, seed_value: int = 13,
                 us_phones: bool = False) -> None:
    """N orders as CSV. With seeded_customers, a share of them use identifiers of customers
    1..seeded_customers of bench/seed_contacts.sql (its contact 0 and 1 of each customer).
    With us_phones, phones are written as US numbers with separators, "(212) 234-0012", for
    an import under DEFAULT_PHONE_REGION=US; otherwise as bare digits."""
    rng = random.Random(seed_value)
    customers = max(1, int(orders / 2.5))
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["email", "phoneNumber", "createdAt"])
        for _ in range(orders):
            if seeded_customers and rng.random() < SEEDED_SHARE:
                email, phone = _seeded_identifiers(rng, rng.randint(1, seeded_customers))
            else:
                customer = rng.randrange(customers)
                email = f"shopper{customer}.{rng.random() < 0.05:d}@history.test"
                second_phone = rng.random() < 0.05
                phone = _us_phone(customer, second_phone) if us_phones else f"9{customer:09d}{second_phone:d}"
            shape = rng.random()
            if shape < 0.1:
                email = ""
            elif shape < 0.2:
                phone = ""
            moment = FIRST_MOMENT + timedelta(seconds=rng.randrange(SPREAD_SECONDS))
            writer.writerow([email, phone, moment.isoformat()])


def _us_phone(customer: int, second: bool) -> str:
    """A valid US number of its own for each customer (and for its second phone), up to 25M customers."""
    area = US_AREA_CODES[customer % len(US_AREA_CODES)]
    exchange = 234 + customer // len(US_AREA_CODES) % 500
    line = customer // (len(US_AREA_CODES) * 500) * 2 + second
    return f"({area}) {exchange}-{line:04d}"


def _seeded_identifiers(rng: random.Random, customer: int) -> tuple[str, str]:
    """A seeded customer's contact-0 email with its own phone, or with a new phone."""
    email = f"c{customer}.0@bench.test"
    phone = f"1{customer:09d}00000" if rng.random() < 0.5 else f"8{customer:09d}"
    return email, phone


async def record_erasures(database_url: str, orders: int) -> int:
    """Put the first email of every ERASED_EVERY-th customer of the order file on the suppression
    list, as erased now (under BENCH_SUPPRESSION_KEY); how many values."""
    emails = [f"shopper{customer}.0@history.test" for customer in range(0, max(1, int(orders / 2.5)), ERASED_EVERY)]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "INSERT INTO erased_identifier (identifier_hmac, erased_at) SELECT hmac, now() FROM unnest($1::bytea[]) AS hmac",
            identifier_hmacs(BENCH_SUPPRESSION_KEY.encode(), emails, []))
        await connection.execute("INSERT INTO suppression_key_check (key_check) VALUES ($1)",
                                 key_check(BENCH_SUPPRESSION_KEY.encode()))
    finally:
        await connection.close()
    return len(emails)


def run_import(database_url: str, path: Path, table: str, orders: int, phone_region: str = "") -> ImportRun:
    """`run.py import FILE`, measured from its summary."""
    env = {**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "WARNING",
           "SUPPRESSION_KEY": BENCH_SUPPRESSION_KEY, "DEFAULT_PHONE_REGION": phone_region}
    cpu_before = cpu_times()
    result = subprocess.run([sys.executable, "run.py", "import", str(path)], cwd=PROJECT_DIR, env=env,
                            capture_output=True, text=True, check=True)
    cpu_after = cpu_times()
    created = int(re.search(r"contacts created\s+([\d,]+)", result.stdout).group(1).replace(",", ""))
    # The summary's rate, from the unrounded time: its seconds have one decimal only.
    rate = int(re.search(r"seconds\s+[\d.,]+ \(([\d,]+) orders/s\)", result.stdout).group(1).replace(",", ""))
    seconds = orders / rate
    stolen = None
    if cpu_before and cpu_after:
        spent = [after - before for before, after in zip(cpu_before, cpu_after)]
        total = sum(spent)
        stolen = spent[STEAL_FIELD] / total if total else 0.0
    return ImportRun(table, orders, created, seconds, stolen)


def cpu_times() -> list[int] | None:
    """The machine's CPU time by kind since boot (/proc/stat's cpu line, up to steal), or None
    where there is no such file."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = stat.readline().split()
    except OSError:
        return None
    return [int(value) for value in fields[1:STEAL_FIELD + 2]]


def bench(orders: int) -> list[ImportRun]:
    runs = []
    with postgres.postgres_server(PROJECT_DIR) as server_url, tempfile.TemporaryDirectory() as folder:
        url = postgres.database_url(server_url, postgres.WORK_DATABASE)
        try:
            empty_file = Path(folder) / "orders.csv"
            write_orders(empty_file, orders)
            asyncio.run(postgres.recreate_database(server_url, postgres.WORK_DATABASE))
            seed.migrate(PROJECT_DIR, url)
            runs.append(run_import(url, empty_file, "empty table", orders))
            runs.append(run_import(url, empty_file, "the table that file filled, the same file again", orders))

            us_file = Path(folder) / "orders-us.csv"
            write_orders(us_file, orders, us_phones=True)
            asyncio.run(postgres.recreate_database(server_url, postgres.WORK_DATABASE))
            seed.migrate(PROJECT_DIR, url)
            runs.append(run_import(url, us_file, "empty table, US numbers under DEFAULT_PHONE_REGION=US", orders,
                                   phone_region="US"))

            asyncio.run(postgres.recreate_database(server_url, postgres.WORK_DATABASE))
            seed.migrate(PROJECT_DIR, url)
            seeded = asyncio.run(seed.seed(url, orders, ()))
            seeded_file = Path(folder) / "orders-seeded.csv"
            write_orders(seeded_file, orders, seeded_customers=seeded.mix_customers)
            erased = asyncio.run(record_erasures(url, orders))
            runs.append(run_import(url, seeded_file,
                                   f"{seeded.contacts:,}-contact table, {erased:,} erased emails on record", orders))
            # A later, small import into the table that is now large: a month of a shop's orders.
            later_orders = max(1, orders // LATER_FILE_SHARE)
            later_file = Path(folder) / "orders-later.csv"
            write_orders(later_file, later_orders, seeded_customers=seeded.mix_customers, seed_value=14)
            contacts = seeded.contacts + runs[-1].contacts_created
            runs.append(run_import(url, later_file, f"that {contacts:,}-contact table, a later file", later_orders))
        finally:
            asyncio.run(postgres.drop_bench_databases(server_url))
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, nargs="+", default=[1_000_000],
                        help="orders in the file (default: 1,000,000); several sizes run one after the other")
    args = parser.parse_args(argv)
    # A SIGTERM must still drop the database and stop an embedded PostgreSQL: make it an
    # exception so that every `finally` runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print("| into | orders | contacts created | seconds | orders/s | CPU stolen |")
    print("|---|---|---|---|---|---|")
    for run in (run for orders in args.orders for run in bench(orders)):
        stolen = "–" if run.stolen is None else f"{run.stolen:.0%}"
        decimals = 1 if run.seconds >= 10 else 2
        print(f"| {run.table} | {run.orders:,} | {run.contacts_created:,} | {run.seconds:.{decimals}f} "
              f"| {run.orders_per_second:,.0f} | {stolen} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
