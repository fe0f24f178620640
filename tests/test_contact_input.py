"""The one-match fast paths of email and phone normalization accept exactly what the rules,
checked one at a time, accept, and give the same value (service/contact_input.py)."""

from __future__ import annotations

import random

import pytest

from service.contact_input import (
    MAX_EMAIL_LENGTH,
    MAX_PHONE_DIGITS,
    InvalidInput,
    _checked_email,
    _checked_phone_number,
    normalize_email,
    normalize_phone_number,
)

# Characters on either side of every rule: the @, ASCII and Unicode whitespace (NBSP, line
# separator), C0 and C1 controls and their neighbours, a surrogate, letters that lower-case,
# non-ASCII digits, the phone's + and separators.
ALPHABET = ["a", "Q", "é", "@", "@", " ", "\t", "\xa0", "\u2028", "\x00", "\x1f", "\x7f", "\x85", "\x9f", "\xa1",
            "\ud800", "1", "9", "0", "\u0661", "+", "-", ".", "(", ")"]


def outcome(normalize, value):
    try:
        return ("accepted", normalize(value))
    except InvalidInput as invalid:
        return ("rejected", invalid.detail)


def random_strings(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, 7))) for _ in range(count)]


def emails_around_the_length_limit() -> list[str]:
    return ["a" * (MAX_EMAIL_LENGTH - len("@b.c") + extra) + "@b.c" for extra in (-1, 0, 1)]


def phones_around_the_digit_limit() -> list[str]:
    return [prefix + "1" * (MAX_PHONE_DIGITS + extra) for prefix in ("", "+") for extra in (-1, 0, 1)]


@pytest.mark.parametrize("seed", range(5))
def test_email_fast_path_agrees_with_the_rules_one_at_a_time(seed):
    values = random_strings(seed, 20_000) + emails_around_the_length_limit()

    disagreements = [value for value in values
                     if outcome(normalize_email, value) != outcome(_checked_email, value.strip().lower())]

    assert disagreements == []


@pytest.mark.parametrize("seed", range(5))
def test_phone_fast_path_agrees_with_the_rules_one_at_a_time(seed):
    values = random_strings(seed, 20_000) + phones_around_the_digit_limit()

    disagreements = [value for value in values
                     if outcome(normalize_phone_number, value) != outcome(_checked_phone_number, value.strip())]

    assert disagreements == []


def test_the_random_strings_reach_both_paths_and_every_outcome():
    """Otherwise the two tests above could pass without comparing anything that matters."""
    values = random_strings(0, 20_000)

    emails = {outcome(normalize_email, value)[0] for value in values}
    phones = {outcome(normalize_phone_number, value)[0] for value in values}
    plain_emails = sum(1 for value in values if outcome(normalize_email, value)[0] == "accepted"
                       and "@" in value)

    assert emails == {"accepted", "rejected"} and phones == {"accepted", "rejected"}
    assert plain_emails > 100
