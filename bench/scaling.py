"""Identify latency one request at a time: by cluster size, and the helpers the sweep uses.

Requests go over one kept-alive HTTP connection, each waiting for the one before, so the
numbers are the service's latency with nothing queued in front of it.
"""

from __future__ import annotations

import http.client
import json
import statistics
import time
from dataclasses import dataclass

from service.errors import TYPE_PREFIX

from .seed import SCALE_CUSTOMER_BASE


@dataclass(frozen=True)
class Latency:
    label: str
    requests: int
    p50_ms: float
    p99_ms: float
    contacts_answered: int


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def known_pair(customer: int) -> tuple[str, str]:
    return f"c{customer}.0@bench.test", f"1{customer:09d}00000"


BLOCKED_IDENTIFIER = TYPE_PREFIX + "blocked-identifier"


def measure(port: int, label: str, bodies: list[dict], *, blocked_customers: bool = False) -> Latency:
    """The latencies of `bodies` sent one at a time; any answer but 200 stops the bench.
    With blocked_customers, so does 422 blocked-identifier only if every answer is one: a
    repeat customer of the mix may get it, since the mix's bridges join the customers of a
    small table into ones over the caps, and after AUTO_BLOCK_AFTER refusals of a value
    /identify blocks it; a customer whose email and phone were both blocked so is answered
    422, which is what its requests then meet."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    samples = []
    contacts = 0
    blocked = 0
    try:
        for body in bodies:
            payload = json.dumps(body)
            started = time.perf_counter()
            connection.request("POST", "/identify", payload, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            samples.append((time.perf_counter() - started) * 1000)
            if blocked_customers and response.status == 422 and BLOCKED_IDENTIFIER.encode() in answer:
                blocked += 1
                continue
            if response.status != 200:
                raise RuntimeError(f"{label}: HTTP {response.status}: {answer[:300]!r}")
            contacts = 1 + len(json.loads(answer)["contact"]["secondaryContactIds"])
    finally:
        connection.close()
    if samples and blocked == len(samples):
        raise RuntimeError(f"{label}: every answer was 422 blocked-identifier")
    return Latency(label, len(samples), round(statistics.median(samples), 2), round(_percentile(samples, 0.99), 2),
                   contacts)


def by_cluster_size(port: int, sizes: tuple[int, ...], requests: int) -> list[Latency]:
    results = []
    for size in sizes:
        email, phone = known_pair(SCALE_CUSTOMER_BASE + size)
        measure(port, "warm-up", [{"email": email, "phoneNumber": phone}] * 3)
        results.append(measure(port, f"{size:,} contact" + ("s" if size != 1 else ""), [{"email": email, "phoneNumber": phone}] * requests))
    return results
