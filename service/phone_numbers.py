"""Phone numbers in E.164 when DEFAULT_PHONE_REGION is set: `+1 (415) 555-0100`,
`415-555-0100` and `4155550100` with region US are all `+14155550100`.

The input has already passed the rule without a region (digits, an optional leading +, the
separators space - . ( )); here Google's libphonenumber (the `phonenumbers` package) reads it
as a number of the region, or of the country its leading + names, and says whether a number
of that length and prefix can exist.
"""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

_WHY_NOT_POSSIBLE = {
    ValidationResult.INVALID_COUNTRY_CODE: "its country code is not one in use",
    ValidationResult.TOO_SHORT: "it has too few digits",
    ValidationResult.INVALID_LENGTH: "it has a number of digits no number there has",
    ValidationResult.TOO_LONG: "it has too many digits",
}


class InvalidPhoneNumber(ValueError):
    """The number cannot be a valid one for its region; the message says why."""


def is_known_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS


def to_e164(number: str, region: str) -> str:
    """`number` (digits with an optional leading +) as E.164, read as a number of `region`."""
    try:
        parsed = phonenumbers.parse(number, region)
    except NumberParseException:
        raise InvalidPhoneNumber(f"phoneNumber does not read as a phone number of region {region} "
                                 "or of the country its leading + names.") from None
    # A valid number is a possible one (its length is one its region's numbers have), so the
    # reason a number is not possible is asked for only once it is known to be invalid.
    if phonenumbers.is_valid_number(parsed):
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    possible = phonenumbers.is_possible_number_with_reason(parsed)
    if possible in _WHY_NOT_POSSIBLE:
        raise InvalidPhoneNumber(f"phoneNumber cannot be a number of region {_region_of(parsed, region)}: "
                                 f"{_WHY_NOT_POSSIBLE[possible]}.")
    raise InvalidPhoneNumber(f"phoneNumber is not a valid number of region {_region_of(parsed, region)}: "
                             "no number there is assigned with this prefix.")


def _region_of(parsed: phonenumbers.PhoneNumber, default_region: str) -> str:
    return phonenumbers.region_code_for_country_code(parsed.country_code) if parsed.country_code else default_region
