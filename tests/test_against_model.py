"""Hundreds of random requests over small pools of identifiers, answer by answer against the model."""

from __future__ import annotations

import random

import pytest

from .model import IdentityModel

EMAILS = ["doc@hillvalley.edu", "marty@hillvalley.edu", "biff@hillvalley.edu", "lorraine@hillvalley.edu",
          "george@hillvalley.edu"]
PHONES = ["111", "222", "333", "444", "555"]


def random_request(rng: random.Random) -> tuple[dict, str | None, str | None]:
    """A request body as a client might send it, and its normalized email and phone."""
    email = rng.choice(EMAILS + [None])
    phone = rng.choice(PHONES + [None]) if email else rng.choice(PHONES)
    body_email = email
    if email and rng.random() < 0.3:
        body_email = f"  {email.upper()} "
    body_phone: object = phone
    if phone and rng.random() < 0.3:
        body_phone = int(phone) if rng.random() < 0.5 else f"{phone[0]}-{phone[1:]}"
    body = {"email": body_email, "phoneNumber": body_phone}
    if rng.random() < 0.2:
        body = {key: value for key, value in body.items() if value is not None}
    return body, email, phone


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
async def test_random_requests_answer_exactly_as_the_model(identify, pool, seed):
    rng = random.Random(seed)
    model = IdentityModel()

    for step in range(150):
        body, email, phone = random_request(rng)
        status, answer = await identify(body)
        assert status == 200, (step, body, answer)
        assert answer == model.identify(email, phone), (step, body)

    rows = await pool.fetch("SELECT id, email, phone_number, linked_id FROM contact ORDER BY id")
    assert [tuple(row) for row in rows] == [
        (contact.id, contact.email, contact.phone_number, contact.linked_id) for contact in model.contacts
    ]
