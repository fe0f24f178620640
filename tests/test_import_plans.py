"""The import's plans never compare every row of one side with every row of the other.

The import's statements join temporary tables the planner knows little about: how many
orders sight a value first, say, is past estimating, and a guess far too small once made
`import_plan_contacts` compare each new contact with every node of the file (over two
minutes, where it now takes 1.5 s, for a million orders already imported and 20,000 new
ones). Checked with auto_explain counting the rows of real imports: a first file into an
empty table, and a second one in the state that made the slow plan (mostly orders already
imported, a few new customers), with an erasure on record, so that it also hashes the
file's values and skips the erased customer's orders. No Nested Loop may have compared more
pairs of rows by its join filter alone than the file has orders; one whose inner side probes
an index keyed by the outer row is a probe, whatever its filter then leaves out.
"""

from __future__ import annotations

import asyncpg

from service.importer import IMPORT_SERVER_SETTINGS
from service.migrations import apply_migrations
from service.sql import Statements

from .conftest import scratch_database
from .test_import import run_import
from .test_import_protection import record_an_erasure
from .test_plans import auto_explain_available, plan_nodes, plans_of  # noqa: F401 (fixtures)

# The import's session, with auto_explain counting each plan's rows (not timing them).
COUNTING_SESSION = {**IMPORT_SERVER_SETTINGS, "auto_explain.log_analyze": "on", "auto_explain.log_timing": "off"}
FIRST_FILE_CUSTOMERS = 4_000
NEW_CUSTOMERS = 40


def orders_of(customers: range) -> str:
    """Two orders per customer: its email with its first phone, then with a second phone."""
    lines = ["email,phoneNumber,createdAt"]
    for n in customers:
        lines.append(f"c{n}@plans.test,1{n},2020-01-01T00:00:00+00:00")
        lines.append(f"c{n}@plans.test,2{n},2020-02-01T00:00:00+00:00")
    return "\n".join(lines) + "\n"


async def record_erasure_of(database_url: str, email: str) -> None:
    """The email on the suppression list, erased now: a new customer of the second file, whose
    orders (dated before) the import skips."""
    connection = await asyncpg.connect(database_url)
    try:
        await record_an_erasure(connection, [email], [])
    finally:
        await connection.close()


def pair_by_pair_joins(plan: dict, orders: int) -> list[str]:
    """The Nested Loops that matched rows by a join filter alone, with no index probe keyed by the
    outer row, and compared more pairs than the file has orders (a join filter over an empty or
    one-row side compares next to nothing)."""
    return [f"Nested Loop filtering on {node['Join Filter']}: {node['Rows Removed by Join Filter']:,} pairs"
            for node in plan_nodes(plan["Plan"])
            if node["Node Type"] == "Nested Loop" and node.get("Rows Removed by Join Filter", 0) > orders
            and not any("Index Cond" in inner for inner in plan_nodes(node["Plans"][1]))]


def pair_by_pair_plans(plans: list[dict], orders: int) -> dict[str, list[str]]:
    """The first line of each statement whose plan joined rows pair by pair."""
    return {plan["Query Text"].strip().splitlines()[0][:80]: joins for plan in plans
            if (joins := pair_by_pair_joins(plan, orders))}


async def test_a_first_file_and_a_second_one_into_the_table_it_filled_join_no_rows_pair_by_pair(
        server_url, auto_explain_available):
    with scratch_database(server_url, "identity_import_plans") as url:
        apply_migrations(url, Statements.load())
        first_file = orders_of(range(FIRST_FILE_CUSTOMERS))
        first_plans = await plans_of(
            url, lambda connection, statements: run_import(connection, statements, first_file),
            COUNTING_SESSION)
        second_file = orders_of(range(FIRST_FILE_CUSTOMERS + NEW_CUSTOMERS))
        await record_erasure_of(url, f"c{FIRST_FILE_CUSTOMERS}@plans.test")
        second_plans = await plans_of(
            url, lambda connection, statements: run_import(connection, statements, second_file),
            COUNTING_SESSION)

    assert first_plans and second_plans, "auto_explain reported no plan"
    skipping_erased = Statements.load().import_skip_erased_orders.text.strip().splitlines()[0]
    assert any(plan["Query Text"].strip().startswith(skipping_erased) for plan in second_plans), \
        "the second import did not look for orders of erased customers"
    assert pair_by_pair_plans(first_plans, orders=2 * FIRST_FILE_CUSTOMERS) == {}
    assert pair_by_pair_plans(second_plans, orders=2 * (FIRST_FILE_CUSTOMERS + NEW_CUSTOMERS)) == {}
