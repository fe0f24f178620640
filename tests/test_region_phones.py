"""An import under DEFAULT_PHONE_REGION reads each distinct number of a block of orders once, in
worker processes, and every order still gets its own number's reading (service/region_phones.py)."""

from __future__ import annotations

import io
import random
from concurrent.futures import ProcessPoolExecutor

from service import order_file as order_file_module
from service import region_phones as region_phones_module
from service.order_file import read_orders
from service.region_phones import FEWEST_FOR_WORKERS, RegionPhones, fields_in_region, region_phones

from .test_import import IMPORTED_AT


def us_numbers(seed: int, count: int) -> list[str]:
    """Numbers as a US shop's orders hold them: valid ones with separators, numbers of no US
    prefix, too short or too long, and other countries' with their +."""
    rng = random.Random(seed)
    shapes = [lambda: f"({rng.choice([212, 415, 617])}) {rng.randint(234, 999)}-{rng.randint(0, 9999):04d}",
              lambda: f"555-{rng.randint(0, 9999):04d}",
              lambda: f"{rng.randint(100, 99999)}",
              lambda: f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
              lambda: "1" * rng.randint(11, 16)]
    return [rng.choice(shapes)() for _ in range(count)]


def order_file(numbers: list[str], seed: int) -> str:
    """An order per number, each number twice or more, in shuffled order."""
    repeated = numbers * 2 + numbers[: len(numbers) // 3]
    random.Random(seed).shuffle(repeated)
    return "email,phoneNumber\n" + "".join(f"o{line}@shop.test,{number}\n" for line, number in enumerate(repeated))


def read_phones(text: str, **phones) -> list[tuple]:
    return [order[2:5] for order in read_orders(io.StringIO(text, newline=""), IMPORTED_AT, "US", **phones)]


def phones_as_typed(text: str) -> list[str]:
    """Each order's phone as read without a region: digits, an optional leading +."""
    return [order[3] for order in read_orders(io.StringIO(text, newline=""), IMPORTED_AT, "")]


def read_one_by_one(text: str) -> list[tuple]:
    """What each order's number reads as, read on its own."""
    return [fields_in_region("US", [phone])[0] for phone in phones_as_typed(text)]


def test_numbers_read_by_the_workers_read_as_each_on_its_own():
    text = order_file(us_numbers(1, 3 * FEWEST_FOR_WORKERS), seed=2)

    with region_phones("US") as phones:
        read = read_phones(text, phones=phones)

    assert read == read_one_by_one(text)
    assert {fields[2] is None for fields in read} == {True, False}  # valid numbers and rejected ones


class CountingWorkers(ProcessPoolExecutor):
    """Real worker processes that note the size of every share of numbers they are given."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.shares: list[int] = []

    def map(self, function, *iterables, **options):
        region, chunks = iterables
        chunks = list(chunks)
        self.shares += [len(chunk) for chunk in chunks]
        return super().map(function, region, chunks, **options)


def test_the_unknown_numbers_of_a_block_go_to_the_workers_in_even_shares():
    numbers = list(dict.fromkeys(us_numbers(3, 4 * FEWEST_FOR_WORKERS)))
    text = order_file(numbers, seed=4)

    with CountingWorkers() as workers:
        read = read_phones(text, phones=RegionPhones("US", workers, worker_count=2))

    digits = set(phones_as_typed(text))
    assert read == read_one_by_one(text)
    assert sum(workers.shares) == len(digits)  # each distinct number read once
    assert len(workers.shares) == 2 and abs(workers.shares[0] - workers.shares[1]) <= 1


def test_a_memo_emptied_when_full_still_reads_every_order(monkeypatch):
    # Blocks of 50 orders against a memo of 40 numbers: it is emptied in the middle of the
    # file, while the next block holds numbers it knew.
    monkeypatch.setattr(region_phones_module, "MEMO_SIZE", 40)
    monkeypatch.setattr(order_file_module, "BLOCK_ORDERS", 50)
    text = order_file(us_numbers(5, 300), seed=6)

    assert read_phones(text) == read_one_by_one(text)
