"""The /customers statements probe indexes only, whatever the table's size and statistics, as
tests/test_plans.py checks for /identify: reads, a removal and an erasure run on a new
connection with the service's session settings, auto_explain reporting every plan (those
inside the functions too), in the table states that most tempt a planner into a scan.

The giant customer of those states has 2,000 contacts here, not 10,000: a change locks every
email and phone of its customer in one transaction, and the 15,000 values of the larger one
do not fit PostgreSQL's default lock table (tests/test_customer_changes.py checks the answer then)."""

from __future__ import annotations

import pytest

from service.contact_input import ContactDetails
from service.customers import customers_of, erase, events_page, remove_identifier

from .test_plans import (  # noqa: F401 (fixtures)
    assert_probes_indexes_only, auto_explain_available, bring_to_state, plans_of, table_in_state,
)

CHANGEABLE_GIANT_CUSTOMER_SIZE = 2_000
STATES = ["empty, never analyzed", "grown to 50k contacts, never analyzed",
          "a 10,000-contact customer alone, analyzed", "200k contacts and a 10,000-contact customer, analyzed"]


async def every_customer_operation(connection, statements) -> None:
    try:
        for contact_id in (1, 3, 10_001):
            customers = await customers_of(connection, statements, contact_ids=[contact_id])
            members = customers[0] if customers else [{"id": contact_id}]
            await events_page(connection, statements, members, after_id=0, page_size=100)
        await customers_of(connection, statements, email="p3@plan.test", phone_number="23")
        await remove_identifier(connection, statements, 3, ContactDetails(None, "23"), request_id="plans",
                                max_attempts=1)
        await remove_identifier(connection, statements, 2, ContactDetails(None, "no-such-phone"),
                                request_id="plans", max_attempts=1)
        await erase(connection, statements, 4, request_id="plans", max_attempts=1, suppression_key=b"plans")
    except LookupError:
        pass  # the empty table has no contacts to change; its reads were planned all the same


@pytest.mark.parametrize("state", STATES)
async def test_every_plan_of_every_customer_operation_probes_indexes_only(table_in_state, state):
    await bring_to_state(table_in_state, state, giant_customer_size=CHANGEABLE_GIANT_CUSTOMER_SIZE)

    assert_probes_indexes_only(await plans_of(table_in_state, every_customer_operation))
