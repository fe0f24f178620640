"""Statements and round trips per request kind, counted in the service's own code path.

Each kind runs through service.identify on a connection from a pool made by
service.db.create_pool (so with the pool's reset on release), with asyncpg's query logger
attached: every logged query is one network round trip once the statements are prepared.
A first request of each kind goes uncounted so that preparation (one more round trip per
statement, once per connection) does not blur the steady state.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from service.config import Settings
from service.contact_input import parse_identify_body
from service.db import create_pool, pooled_connection
from service.guardrails import Guardrails
from service.identify import identify
from service.sql import Statements


@dataclass(frozen=True)
class RequestCost:
    kind: str
    service_statements: int  # find/lock/merge plus BEGIN and COMMIT
    pool_reset_statements: int  # what the pool runs when the connection comes back
    round_trips: int
    outcome: str


def _body(email: str, phone: str) -> bytes:
    return json.dumps({"email": email, "phoneNumber": phone}).encode()


def _examples(customer: int, tag: int) -> dict[str, bytes]:
    """Per kind, a request on customers no load has touched (counted twice: warm-up, then measured)."""

    def known(n: int) -> tuple[str, str]:
        return f"c{n}.0@bench.test", f"1{n:09d}00000"

    return {
        "repeat customer": _body(*known(customer)),
        "new customer": _body(f"rt{tag}.{customer}@new.bench.test", f"7{tag:09d}{customer:06d}"),
        "new information": _body(known(customer + 1)[0], f"7{tag:09d}{customer + 1:06d}"),
        "bridge two customers": _body(known(customer + 2)[0], known(customer + 3)[1]),
    }


async def count_round_trips(database_url: str, *, first_customer: int, tag: int) -> list[RequestCost]:
    # One connection, so the measured request finds its statements already prepared.
    settings = Settings.from_environ({"DATABASE_URL": database_url, "DB_POOL_MIN_SIZE": "1", "DB_POOL_MAX_SIZE": "1"})
    statements = Statements.load()
    pool = await create_pool(database_url, settings)
    costs = []
    try:
        for offset, measured in ((0, False), (4, True)):
            for kind, body in _examples(first_customer + offset, tag).items():
                logged: list[str] = []

                def log_query(record, logged=logged) -> None:
                    logged.append(record.query)

                async with pooled_connection(pool, timeout=5) as connection:
                    # The pool's proxy goes stale on release; the reset runs on the connection itself.
                    raw_connection = connection._con
                    raw_connection.add_query_logger(log_query)
                    identity = await identify(connection, statements, parse_identify_body(body),
                                              request_id="bench:round-trips", max_attempts=8,
                                              guardrails=Guardrails.from_settings(settings))
                    await asyncio.sleep(0)  # loggers are called soon after the query, not during it
                    service_statements = len(logged)
                await asyncio.sleep(0.01)
                raw_connection.remove_query_logger(log_query)
                if measured:
                    costs.append(RequestCost(
                        kind, service_statements, len(logged) - service_statements, len(logged),
                        identity.outcome.value,
                    ))
    finally:
        await pool.close()
    return costs
