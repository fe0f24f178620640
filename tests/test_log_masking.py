"""Masking emails and phone numbers in logs: complete, and linear in time whatever the text.

Masking runs on the event loop over text a client chose (a path, a request id), so a
pattern that backtracks would let one request stall every other: the old email pattern
took 1.8 s on 16 KB and would take hours on 1 MB. Each adversarial text below is masked
in a child process given a bounded wait; the time per KB is printed (`pytest -s`).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time

import pytest

from service.logs import LOGGED_PATH_CHARS, JsonFormatter, mask_identifiers

KB = 1024
# Linear masking does 1 MB in well under a second; a quadratic pattern needs hours.
BOUNDED_WAIT_SECONDS = 30

# Long runs of each character class the patterns use, and of the characters that end them.
ADVERSARIAL_UNITS = {
    "local-part characters, no @": "a",
    "domain characters with dots, no @": "a.",
    "@ only": "@",
    "@ between single characters": "a@",
    "emails back to back": "a@b ",
    "digits only": "1",
    "digits and phone separators": "1 (",
    "a digit, then separators": "1" + " " * 63,
    "plus signs and digits": "+1",
    "dotted digits": "1.",
}
SIZES = {"64 KB": 64 * KB, "1 MB": 1024 * KB}


def _time_masking(text: str, results) -> None:
    started = time.perf_counter()
    mask_identifiers(text)
    results.put(time.perf_counter() - started)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
@pytest.mark.parametrize("unit", ADVERSARIAL_UNITS.values(), ids=ADVERSARIAL_UNITS.keys())
def test_masking_an_adversarial_text_takes_linear_time(unit, size):
    text = (unit * (size // len(unit) + 1))[:size]
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_time_masking, args=(text, results))
    child.start()
    child.join(BOUNDED_WAIT_SECONDS)
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail(f"masking {size // KB} KB of {unit!r}… did not finish within {BOUNDED_WAIT_SECONDS} s")

    seconds = results.get(timeout=1)
    print(f"{size // KB} KB of {unit[:8]!r}: {seconds / (size / KB) * 1e6:.1f} µs per KB")


def access_line(path: str, status: int = 404, request_id: str = "0f9e8d7c6b5a49382716059483726150") -> dict:
    record = logging.LogRecord("service.access", logging.INFO, __file__, 1, "%s %s %s", ("GET", path, status), None)
    for name, value in {"request_id": request_id, "method": "GET", "path": path, "status": status,
                        "duration_ms": 0.5}.items():
        setattr(record, name, value)
    return json.loads(JsonFormatter().format(record))


def test_masking_a_phone_number_ending_a_path_keeps_the_status_intact():
    line = access_line("/x/5559876543", status=404)

    assert line["message"] == "GET /x/***43 404"
    assert line["path"] == "/x/***43"
    assert line["status"] == 404


def test_a_request_id_that_looks_like_a_phone_number_is_masked():
    assert access_line("/identify", request_id="5559876543")["request_id"] == "***43"


def test_the_services_own_random_request_ids_are_logged_whole():
    made_up = "12345678901234567890123456789012"

    assert access_line("/identify", request_id=made_up)["request_id"] == made_up


def test_a_long_path_is_cut_before_masking_and_says_so():
    path = "/" + "marty@hillvalley.edu/" * 400

    logged = access_line(path)["path"]

    assert logged.startswith("/m***@h***/")
    assert logged.endswith(f"(cut, {len(path)} characters)")
    assert len(logged) < LOGGED_PATH_CHARS + 40
    assert "hillvalley" not in logged
