"""Every plan of every statement the service runs is made of index probes, whatever the table's
size and statistics.

A service connection prepares each statement once and keeps the generic plan it made then
(`plan_cache_mode = force_generic_plan`, service/db.py): the state of the table at that
moment must not be able to pick a scan. So the table is taken through the states a
deployment passes through (empty and never analyzed, grown without ANALYZE, analyzed at
several sizes, one giant customer); in each, a new connection with the service's session
settings sends every kind of request through the service's own use case, with auto_explain
reporting each plan it runs (the statements inside functions included) as a notice; the same
for `identity-service renormalize`, which runs beside a serving service. No plan
may hold a Seq Scan of `contact`, a Merge Join, or an index scan of `contact` without an
index condition (a walk over the whole index).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import asyncpg
import pytest

from service.contact_input import ContactDetails
from service.db import SERVING_SETTINGS
from service.guardrails import Guardrails
from service.identify import EveryIdentifierBlocked, identify
from service.migrations import apply_migrations
from service.sql import Statements

from .conftest import scratch_database

AUTO_EXPLAIN_SETTINGS = {
    "auto_explain.log_min_duration": "0",
    "auto_explain.log_nested_statements": "on",
    "auto_explain.log_format": "json",
    "auto_explain.log_level": "notice",
}
GIANT_CUSTOMER_SIZE = 10_000
BOUNDED_SCANS = {"Index Scan", "Index Only Scan", "Bitmap Index Scan"}

# Customers of the grown tables: customer n has a primary (email p<n>@plan.test, phone
# 1<n>) and every third customer a secondary with a second phone (2<n>).
GROW_CUSTOMERS = """
WITH primaries AS (
    INSERT INTO contact (email, phone_number, created_at, updated_at)
    SELECT 'p' || n || '@plan.test', '1' || n,
           timestamptz '2020-01-01' + n * interval '1 second',
           timestamptz '2020-01-01' + n * interval '1 second'
    FROM generate_series($1::int, $2::int - 1) AS n
    ORDER BY n
    RETURNING id, phone_number, created_at
)
INSERT INTO contact (email, phone_number, linked_id, created_at, updated_at)
SELECT NULL, '2' || substr(phone_number, 2), id, created_at, created_at
FROM primaries
WHERE id % 3 = 0
"""
# One customer of GIANT_CUSTOMER_SIZE contacts chained by shared values, as requests build it:
# contact k shares its email with k-1 and brings a new phone.
GROW_GIANT_CUSTOMER = """
WITH giant_primary AS (
    INSERT INTO contact (email, phone_number, created_at, updated_at)
    VALUES ('giant0@plan.test', '30', timestamptz '2019-01-01', timestamptz '2019-01-01')
    RETURNING id
)
INSERT INTO contact (email, phone_number, linked_id, created_at, updated_at)
SELECT 'giant' || k / 2 || '@plan.test', '3' || k, giant_primary.id,
       timestamptz '2019-01-01' + k * interval '1 millisecond',
       timestamptz '2019-01-01' + k * interval '1 millisecond'
FROM giant_primary, generate_series(1, $1::int - 1) AS k
"""


async def grow(connection: asyncpg.Connection, customers: int) -> None:
    first = await connection.fetchval("SELECT count(*) FROM contact WHERE linked_id IS NULL") + 1
    await connection.execute(GROW_CUSTOMERS, first, first + customers)


# name: (customers grown through the table, a giant customer, ANALYZE afterwards)
TABLE_STATES = {
    "empty, never analyzed": (0, False, False),
    "grown to 50k contacts, never analyzed": (37_500, False, False),
    "1k contacts, analyzed": (750, False, True),
    "50k contacts, analyzed": (37_500, False, True),
    "200k contacts, analyzed": (150_000, False, True),
    "a 10,000-contact customer alone, analyzed": (0, True, True),
    "200k contacts and a 10,000-contact customer, analyzed": (150_000, True, True),
}


def requests() -> dict[str, ContactDetails]:
    """One request of every kind the service handles, on the customers the states create."""
    return {
        "new customer": ContactDetails("new@plan.test", "9000"),
        "new customer, email only": ContactDetails("alone@plan.test", None),
        "repeat customer": ContactDetails("p3@plan.test", "13"),
        "repeat customer, phone only": ContactDetails(None, "23"),
        "new information": ContactDetails("p4@plan.test", "9001"),
        "bridge two customers": ContactDetails("p5@plan.test", "16"),
        "giant customer": ContactDetails("giant0@plan.test", "30"),
        "giant customer, new information": ContactDetails("giant1@plan.test", "9002"),
    }


# Caps no customer of the states reaches, and caps that refuse every merge or new email.
PLAN_GUARDRAILS = Guardrails(max_emails=1_000_000, max_phones=1_000_000, max_contacts=1_000_000, auto_block_after=3)
TIGHT_GUARDRAILS = Guardrails(max_emails=1, max_phones=2, max_contacts=2, auto_block_after=2)


def capped_requests() -> dict[str, ContactDetails]:
    """Requests refused by TIGHT_GUARDRAILS (on the customers the states create), and blocked values."""
    return {
        "bridge two customers over a cap": ContactDetails("p6@plan.test", "17"),
        "giant customer over a cap": ContactDetails("giant2@plan.test", "9003"),
        "giant customer over a cap again (auto-quarantine)": ContactDetails("giant3@plan.test", "30"),
        "a blocked phone and a new email": ContactDetails("blocked@plan.test", "0000000000"),
        "blocked values only": ContactDetails("test@test.com", "1111111111"),
    }


@pytest.fixture(scope="module")
def auto_explain_available(server_url) -> None:
    """auto_explain ships with PostgreSQL's contrib modules (the machine's server has them;
    the embedded one of pgserver does not)."""
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as connection:
        try:
            connection.execute("LOAD 'auto_explain'")
        except psycopg.Error as error:
            pytest.skip(f"auto_explain cannot be loaded on this server: {error}")


@pytest.fixture
def table_in_state(server_url, auto_explain_available, request) -> Iterator[str]:
    with scratch_database(server_url, "identity_plans") as url:
        apply_migrations(url, Statements.load())
        yield url


def plan_nodes(node: dict) -> Iterator[dict]:
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)


def unbounded_steps(plan: dict) -> list[str]:
    """What in one plan reads more of `contact` than its keys lead to."""
    found = []
    for node in plan_nodes(plan["Plan"]):
        kind = node["Node Type"]
        if kind == "Merge Join":
            found.append("Merge Join")
        if node.get("Relation Name") == "contact" or node.get("Index Name", "").startswith("contact_"):
            if kind == "Seq Scan":
                found.append("Seq Scan on contact")
            elif kind in BOUNDED_SCANS and "Index Cond" not in node:
                found.append(f"{kind} on {node['Index Name']} without an index condition")
    return found


async def plans_of(url: str, work, session_settings: dict[str, str] = SERVING_SETTINGS) -> list[dict]:
    """The plans a new connection runs for `work(connection, statements)`, as auto_explain saw them;
    by default one with the service's session settings."""
    connection = await asyncpg.connect(url, server_settings=session_settings)
    notices: list[str] = []
    connection.add_log_listener(lambda _, message: notices.append(message.message))
    try:
        await connection.execute("LOAD 'auto_explain'")
        for name, value in AUTO_EXPLAIN_SETTINGS.items():
            await connection.execute("SELECT set_config($1, $2, false)", name, value)
        notices.clear()  # the plans of the work only, not of the set-up above
        await work(connection, Statements.load())
    finally:
        await connection.close()
    return [json.loads(notice.split("plan:", 1)[1]) for notice in notices if "plan:" in notice]


def assert_probes_indexes_only(plans: list[dict]) -> None:
    assert plans, "auto_explain reported no plan"
    assert unbounded_plans(plans) == {}


def unbounded_plans(plans: list[dict]) -> dict[str, list[str]]:
    """The first line of each statement whose plan reads more of `contact` than its keys lead to."""
    return {
        plan["Query Text"].strip().splitlines()[0][:80]: steps
        for plan in plans
        if (steps := unbounded_steps(plan))
    }


async def plans_of_every_request(url: str, session_settings: dict[str, str] = SERVING_SETTINGS) -> list[dict]:
    """The plans a new connection runs for each kind of request, by default a service connection's."""

    async def every_request(connection, statements):
        for details in requests().values():
            await identify(connection, statements, details, request_id="test:plans", max_attempts=1,
                           guardrails=PLAN_GUARDRAILS)
        for details in capped_requests().values():
            with contextlib.suppress(EveryIdentifierBlocked):
                await identify(connection, statements, details, request_id="test:plans", max_attempts=1,
                               guardrails=TIGHT_GUARDRAILS)

    return await plans_of(url, every_request, session_settings)


async def bring_to_state(url: str, state: str, giant_customer_size: int = GIANT_CUSTOMER_SIZE) -> None:
    customers, giant_customer, analyze = TABLE_STATES[state]
    connection = await asyncpg.connect(url)
    try:
        # Only the states named ANALYZE have statistics: autovacuum must not add any.
        await connection.execute("ALTER TABLE contact SET (autovacuum_enabled = false)")
        if giant_customer:
            await connection.execute(GROW_GIANT_CUSTOMER, giant_customer_size)
        if customers:
            await grow(connection, customers)
        if analyze:
            await connection.execute("ANALYZE contact")
    finally:
        await connection.close()


@pytest.mark.parametrize("state", TABLE_STATES, ids=list(TABLE_STATES))
async def test_every_plan_of_every_request_probes_indexes_only(table_in_state, state):
    await bring_to_state(table_in_state, state)

    assert_probes_indexes_only(await plans_of_every_request(table_in_state))


async def test_sql_helper_functions_are_planned_with_their_callers_not_on_every_call(table_in_state):
    """A LANGUAGE sql function that PostgreSQL does not inline is planned again at every call;
    auto_explain then reports its body as a statement of its own."""
    await bring_to_state(table_in_state, "1k contacts, analyzed")
    connection = await asyncpg.connect(table_in_state)
    try:
        bodies = {
            row["name"]: row["body"].strip()
            for row in await connection.fetch(
                "SELECT proname AS name, prosrc AS body FROM pg_proc"
                " WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'sql')"
                " AND pronamespace = 'public'::regnamespace"
            )
        }
    finally:
        await connection.close()

    plans = await plans_of_every_request(table_in_state)

    assert set(bodies) >= {"customer_roots", "customer_members"}
    statements_run = {plan["Query Text"].strip() for plan in plans}
    assert [name for name, body in bodies.items() if body in statements_run] == []


async def test_statements_inside_the_functions_never_jit_compile_whatever_the_caller_session_says(table_in_state):
    """A walk's row estimate is a guess that grows with the table, so on a large table the
    gather statement's cost passes jit_above_cost; in a session with JIT on (psql, pgbench, any
    client but the service's pool) compiling it cost 25-35 ms per call of a 0.2 ms statement.
    jit_above_cost = 0 here makes every plan of such a session JIT-compiled, unless the function
    turns JIT off for its own statements."""
    await bring_to_state(table_in_state, "1k contacts, analyzed")

    plans = await plans_of_every_request(table_in_state, {"jit": "on", "jit_above_cost": "0"})

    # What the client sends itself: the service's statement, and asyncpg's check of the jit
    # setting before it looks a type up.
    sent_by_the_client = ("FROM identify_contact(", "current_setting('jit')")
    inside_functions = [plan for plan in plans if not any(text in plan["Query Text"] for text in sent_by_the_client)]
    the_call = [plan for plan in plans if "FROM identify_contact(" in plan["Query Text"]]
    if not any("JIT" in plan for plan in the_call):
        pytest.skip("this server cannot JIT-compile (no llvmjit): nothing to turn off")
    assert inside_functions, "auto_explain reported no statement inside identify_contact"
    assert [plan["Query Text"].strip().splitlines()[0][:80] for plan in inside_functions if "JIT" in plan] == []


async def plans_of_renormalize(url: str) -> list[dict]:
    """The plans a new service connection runs when `identity-service renormalize` rewrites a
    number: one that joins two customers, and one inside the giant customer."""

    async def rewrite_numbers(connection, statements):
        caps = PLAN_GUARDRAILS
        for stored, current in (("13", "16"), ("31", "30")):
            await connection.fetchrow(statements.renormalize_phone_number.text, [stored], current, "test:plans",
                                      caps.max_emails, caps.max_phones, caps.max_contacts)

    return await plans_of(url, rewrite_numbers)


@pytest.mark.parametrize("state", TABLE_STATES, ids=list(TABLE_STATES))
async def test_every_plan_of_renormalize_probes_indexes_only(table_in_state, state):
    await bring_to_state(table_in_state, state)

    assert_probes_indexes_only(await plans_of_renormalize(table_in_state))


async def test_every_plpgsql_function_of_the_schema_turns_jit_off(table_in_state):
    connection = await asyncpg.connect(table_in_state)
    try:
        without = await connection.fetch(
            "SELECT proname FROM pg_proc"
            " WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')"
            " AND pronamespace = 'public'::regnamespace"
            " AND NOT coalesce('jit=off' = ANY (proconfig), false)"
            " ORDER BY proname")
        plpgsql_functions = await connection.fetchval(
            "SELECT count(*) FROM pg_proc WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'plpgsql')"
            " AND pronamespace = 'public'::regnamespace")
    finally:
        await connection.close()

    assert plpgsql_functions >= 6
    assert [row["proname"] for row in without] == []
