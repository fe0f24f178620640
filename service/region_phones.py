"""The phone numbers of a whole order file read under DEFAULT_PHONE_REGION: each distinct
number of a block of orders once, on every core.

libphonenumber takes 25 to 65 µs to read a number (by machine; service/phone_numbers.py),
which made reading the longest step of an import with a region: the 1M-order bench file
with US numbers read in 50 s in one process, remembering 200,000 numbers (4 s without a
region). A shop's history repeats its customers' numbers, so a file is read in blocks of
orders, and the numbers of a block that are not known yet are read together: in worker
processes when the import has them (one per core, an even share each; `region_phones`),
and remembered, up to MEMO_SIZE numbers (about 110 MB; the memo is emptied when full).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from itertools import chain, repeat

from .contact_input import contact_details

# The fields of one phone, as the staging table takes them: (phone_number in E.164 or None,
# phone_number_as_typed, phone_number_problem); see contact_input.ContactDetails.
PhoneFields = tuple[str | None, str | None, str | None]

MEMO_SIZE = 500_000
# prctl's option that has the kernel signal a process when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1
# Fewer unknown numbers than this are read in this process: sending them to the workers
# would cost about as much as reading them.
FEWEST_FOR_WORKERS = 500


class RegionPhones:
    """The phone fields of numbers (digits, an optional leading +, as normalize_phone_number
    gives them without a region) read as numbers of `region`."""

    def __init__(self, region: str, workers: Executor | None = None, worker_count: int = 1):
        self._region = region
        self._workers = workers
        self._worker_count = worker_count
        self._known: dict[str, PhoneFields] = {}

    def read(self, numbers: Iterable[str]) -> None:
        """Read those of `numbers` not known yet, so that `fields` knows them all."""
        numbers = list(dict.fromkeys(numbers))
        unknown = [number for number in numbers if number not in self._known]
        if len(self._known) + len(unknown) > MEMO_SIZE:
            self._known.clear()
            unknown = numbers
        if self._workers is None or len(unknown) < FEWEST_FOR_WORKERS:
            readings = fields_in_region(self._region, unknown)
        else:  # one even share per worker, so that none waits for another
            share = -(-len(unknown) // self._worker_count)
            chunks = [unknown[start:start + share] for start in range(0, len(unknown), share)]
            readings = chain.from_iterable(self._workers.map(fields_in_region, repeat(self._region), chunks))
        self._known.update(zip(unknown, readings))

    def fields(self, number: str) -> PhoneFields:
        return self._known[number]


def fields_in_region(region: str, numbers: list[str]) -> list[PhoneFields]:
    """Each number's phone fields, as POST /identify reads a number under `region` (a worker's task)."""
    fields = []
    for number in numbers:
        details = contact_details(None, number, region)
        fields.append((details.phone_number, details.phone_number_as_typed, details.phone_number_problem))
    return fields


@contextlib.contextmanager
def region_phones(region: str) -> Iterator[RegionPhones]:
    """A RegionPhones with worker processes, one per core this process may use, for the length
    of an import. Forked: a worker runs nothing of the command line again (a spawned one would
    import the entry point, which may be a .pyz). They are started here, before the import
    connects, so that none holds a copy of its connection; they ignore Ctrl-C (the import's
    to handle) and end with the import, or with this process if it is killed."""
    worker_count = len(os.sched_getaffinity(0))
    with ProcessPoolExecutor(max_workers=worker_count, mp_context=multiprocessing.get_context("fork"),
                             initializer=set_up_worker_signals) as workers:
        workers.submit(int).result()  # forks every worker now
        yield RegionPhones(region, workers, worker_count)


def set_up_worker_signals() -> None:
    """In a process forked to work for the import: Ctrl-C is the import's to handle, and the
    process ends when the import process does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Linux: the kernel sends SIGTERM when the import process dies, however it dies.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
