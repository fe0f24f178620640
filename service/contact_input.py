"""The body of POST /identify: parsed, validated and normalized, or rejected with the reason."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import orjson

from .phone_numbers import InvalidPhoneNumber, to_e164

MAX_EMAIL_LENGTH = 254
MAX_PHONE_DIGITS = 20

_PHONE_SEPARATORS = re.compile(r"[ \-.()]")
_PHONE = re.compile(r"\+?[0-9]+")
_WHITESPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# JSON may escape half of a surrogate pair (\ud800); such a string cannot be encoded for PostgreSQL.
_UNPAIRED_SURROGATE = re.compile(r"[\ud800-\udfff]")
# What almost every email and phone number is, each accepted by one match; anything else
# goes through the checks one by one, which say what is wrong. Each accepts exactly what
# those checks accept: no whitespace, control character or surrogate, one @ between a
# non-empty local part and a domain; digits only, at most MAX_PHONE_DIGITS, one leading +.
_PLAIN_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+@[^@\s\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_PLAIN_PHONE = re.compile(r"\+?[0-9]{1,%d}" % MAX_PHONE_DIGITS)
KNOWN_FIELDS = ("email", "phoneNumber")


class InvalidInput(ValueError):
    """The body cannot be used. `kind` names the problem type, `field` the field at fault."""

    def __init__(self, kind: str, detail: str, field: str | None = None):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.field = field


@dataclass(frozen=True)
class ContactDetails:
    """Normalized identifiers of one checkout; at least one is given.

    With a phone region, `phone_number` is the E.164 form and `phone_number_as_typed` the form
    without a region (digits, optional leading +): a blocked phone matches either, so that
    `0000000000` is ignored rather than refused as no number of the region. When the phone is
    not a valid number of the region, `phone_number` is None and `phone_number_problem` says
    why: the request is refused with it unless the phone is blocked (the database decides,
    in the same call)."""

    email: str | None
    phone_number: str | None
    phone_number_as_typed: str | None = None
    phone_number_problem: str | None = None

    def __post_init__(self) -> None:
        if self.phone_number_as_typed is None and self.phone_number_problem is None:
            object.__setattr__(self, "phone_number_as_typed", self.phone_number)


def parse_identify_body(body: bytes, phone_region: str = "") -> ContactDetails:
    document = _parse_json(body)
    if not isinstance(document, dict):
        raise InvalidInput(
            "invalid-body",
            f'The request body must be a JSON object like {{"email": ..., "phoneNumber": ...}}, not {_describe(document)}.',
        )
    _reject_nul_characters(document)
    email = normalize_email(document.get("email"))
    phone_number = normalize_phone_number(document.get("phoneNumber"))
    if email is None and phone_number is None:
        raise InvalidInput("missing-identifier", "Give an email, a phoneNumber, or both; neither was given.")
    return contact_details(email, phone_number, phone_region)


def contact_details(email: str | None, phone_number: str | None, phone_region: str) -> ContactDetails:
    """The details of a checkout whose values passed the rules without a region (normalize_email,
    normalize_phone_number), with the phone read as a number of `phone_region` when one is set.
    POST /identify and `run.py import` both build their details here."""
    if not phone_region or phone_number is None:
        return ContactDetails(email=email, phone_number=phone_number)
    try:
        return ContactDetails(email=email, phone_number=to_e164(phone_number, phone_region),
                              phone_number_as_typed=phone_number)
    except InvalidPhoneNumber as invalid:
        return ContactDetails(email=email, phone_number=None, phone_number_as_typed=phone_number,
                              phone_number_problem=str(invalid))


def _parse_json(body: bytes) -> object:
    """orjson first: it is several times cheaper, and it takes exactly RFC 8259 JSON in UTF-8.
    What it refuses, the standard library reads again, so that a body orjson cannot hold
    (an integer beyond 64 bits, an escaped unpaired surrogate) still gets its precise
    answer from the field rules, and broken JSON its invalid-json."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        # UTF-8 only (RFC 8259 8.1): json.loads(bytes) would also guess UTF-16 or UTF-32, skip a BOM
        # and let UTF-8-encoded surrogates through.
        return json.loads(body.decode("utf-8"), parse_constant=_reject_non_json_number)
    except (ValueError, RecursionError):
        raise InvalidInput("invalid-json", "The request body is not valid JSON.") from None


def normalize_email(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput("invalid-field", f"email must be a string or null, not {_describe(value)}.", "email")
    email = value.strip().lower()
    if len(email) <= MAX_EMAIL_LENGTH and _PLAIN_EMAIL.fullmatch(email):
        return email
    return _checked_email(email)


def _checked_email(email: str) -> str | None:
    """normalize_email's rules one at a time, for what _PLAIN_EMAIL does not accept at once:
    None for the empty email, or the first rule broken."""
    if not email:
        return None
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidInput("invalid-field", f"email must be at most {MAX_EMAIL_LENGTH} characters long.", "email")
    if _WHITESPACE_OR_CONTROL.search(email):
        raise InvalidInput("invalid-field", "email must not contain whitespace or control characters.", "email")
    if _UNPAIRED_SURROGATE.search(email):
        raise InvalidInput("invalid-field", "email must not contain an unpaired surrogate (\\ud800 to \\udfff).", "email")
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain:
        raise InvalidInput(
            "invalid-field", "email must be one @ between a non-empty local part and a domain.", "email"
        )
    return email


def normalize_phone_number(value: object, region: str = "") -> str | None:
    """The phone as digits with an optional leading +; in E.164 when `region` is given."""
    phone_number = _phone_digits(value)
    if not region or phone_number is None:
        return phone_number
    try:
        return to_e164(phone_number, region)
    except InvalidPhoneNumber as invalid:
        raise InvalidInput("invalid-field", str(invalid), "phoneNumber") from None


def _phone_digits(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidInput(
            "invalid-field",
            f"phoneNumber must be a string, a whole number or null, not {_describe(value)}.",
            "phoneNumber",
        )
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput("invalid-field", "phoneNumber must not be a negative number.", "phoneNumber")
        if value >= 10**MAX_PHONE_DIGITS:
            raise InvalidInput(
                "invalid-field", f"phoneNumber must have at most {MAX_PHONE_DIGITS} digits.", "phoneNumber"
            )
        return str(value)
    phone_number = value.strip()
    if _PLAIN_PHONE.fullmatch(phone_number):
        return phone_number
    return _checked_phone_number(phone_number)


def _checked_phone_number(phone_number: str) -> str | None:
    """_phone_digits' rules for a string one at a time, for what _PLAIN_PHONE does not accept at
    once: None for the empty phone, the digits without separators, or the first rule broken."""
    if not phone_number:
        return None
    phone_number = _PHONE_SEPARATORS.sub("", phone_number)
    if not _PHONE.fullmatch(phone_number):
        raise InvalidInput(
            "invalid-field",
            "phoneNumber must be digits, optionally with one leading + and the separators space - . ( ).",
            "phoneNumber",
        )
    if len(phone_number.removeprefix("+")) > MAX_PHONE_DIGITS:
        raise InvalidInput("invalid-field", f"phoneNumber must have at most {MAX_PHONE_DIGITS} digits.", "phoneNumber")
    return phone_number


def _reject_nul_characters(document: dict) -> None:
    for key, value in document.items():
        if _holds_nul(key) or _holds_nul(value):
            # Only the two known fields are named: a client's own key is never echoed back.
            field = key if key in KNOWN_FIELDS else None
            raise InvalidInput("invalid-field", "The request body must not contain NUL characters.", field)


def _holds_nul(item: object) -> bool:
    pending = [item]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def _reject_non_json_number(constant: str) -> float:
    raise ValueError(f"{constant} is not a JSON number")


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
