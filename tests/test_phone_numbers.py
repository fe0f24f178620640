"""Phone numbers in E.164 when DEFAULT_PHONE_REGION is set; the rule without a region otherwise."""

from __future__ import annotations

import pytest

from service.contact_input import InvalidInput, normalize_phone_number


@pytest.mark.parametrize(("region", "spellings", "e164"), [
    ("US", ["+1 (415) 555-0100", "415-555-0100", "4155550100", "1 415 555 0100", 4155550100], "+14155550100"),
    ("IN", ["98765 43210", "098765-43210", "+91 98765 43210"], "+919876543210"),
    ("GB", ["020 7946 0958", "+44 20 7946 0958"], "+442079460958"),
])
def test_spellings_of_one_number_are_one_e164_number_in_their_region(region, spellings, e164):
    assert {normalize_phone_number(spelling, region) for spelling in spellings} == {e164}


@pytest.mark.parametrize(("region", "number", "why"), [
    ("US", "12345", "too few digits"),
    ("US", "0000000001", "not a valid number of region US"),
    ("IN", "12345678901234", "too many digits"),
    ("US", "+999 123", "does not read as a phone number"),
])
def test_a_number_that_cannot_be_valid_in_its_region_is_refused_saying_why(region, number, why):
    with pytest.raises(InvalidInput) as refused:
        normalize_phone_number(number, region)

    assert (refused.value.kind, refused.value.field) == ("invalid-field", "phoneNumber")
    assert why in refused.value.detail


def test_without_a_region_the_digits_are_kept_as_typed():
    assert normalize_phone_number("+1 (415) 555-0100") == "+14155550100"
    assert normalize_phone_number("415-555-0100") == "4155550100"


async def test_two_spellings_of_one_number_make_one_customer(service):
    post = await service(DEFAULT_PHONE_REGION="US")

    _, _, first = await post({"email": "doc@hillvalley.edu", "phoneNumber": "+1 (415) 555-0100"})
    _, _, second = await post({"email": "marty@hillvalley.edu", "phoneNumber": "4155550100"})

    assert second["contact"]["primaryContactId"] == first["contact"]["primaryContactId"]
    assert second["contact"]["phoneNumbers"] == ["+14155550100"]


async def test_an_invalid_number_for_the_region_is_a_400_naming_phone_number(service, pool):
    post = await service(DEFAULT_PHONE_REGION="US")

    status, _, problem = await post({"email": "doc@hillvalley.edu", "phoneNumber": "123-45"})

    assert (status, problem["type"], problem["field"]) == (400, "urn:identity-service:problem:invalid-field",
                                                           "phoneNumber")
    assert "too few digits" in problem["detail"]
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def test_a_blocked_number_that_is_no_number_of_the_region_is_ignored_not_refused(service):
    post = await service(DEFAULT_PHONE_REGION="US")

    status, headers, answer = await post({"email": "doc@hillvalley.edu", "phoneNumber": "(000) 000-0000"})

    assert (status, headers["Identity-Ignored"]) == (200, "phoneNumber")
    assert answer["contact"]["phoneNumbers"] == []


async def test_a_blocked_number_matches_its_e164_form_too(service, pool):
    await pool.execute("INSERT INTO blocked_identifier (kind, value, reason, source)"
                       " VALUES ('phone', '+14155550100', 'the store''s own phone', 'admin')")
    post = await service(DEFAULT_PHONE_REGION="US")

    status, headers, _ = await post({"email": "doc@hillvalley.edu", "phoneNumber": "415 555 0100"})

    assert (status, headers["Identity-Ignored"]) == (200, "phoneNumber")
