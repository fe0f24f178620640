"""Assertions shared by the tests of error answers."""

from __future__ import annotations

from service.errors import TYPE_PREFIX


async def contact_count(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM contact")


def assert_problem(response_status, response_headers, body, *, status, kind):
    assert response_status == status
    assert response_headers["Content-Type"] == "application/problem+json"
    assert body["type"] == TYPE_PREFIX + kind
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
