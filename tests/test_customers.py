"""The read-only /customers endpoints: a customer by contact, by identifiers, its audit trail,
why two of its contacts are linked. They write nothing."""

from __future__ import annotations

import pytest

from .assertions import assert_problem


@pytest.fixture
async def get(client, read_headers):
    async def get(path):
        response = await client.get(path, headers=read_headers)
        return response, await response.json(content_type=None)

    return get


@pytest.fixture
async def lorraine(identify):
    await identify({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"})
    await identify({"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"})


async def test_customer_of_a_contact_is_the_identify_answer_plus_every_member(get, lorraine):
    response, body = await get("/customers/2")

    assert response.status == 200
    assert body["contact"] == {"primaryContactId": 1, "emails": ["lorraine@hillvalley.edu", "mcfly@hillvalley.edu"],
                               "phoneNumbers": ["123456"], "secondaryContactIds": [2]}
    assert [{key: member[key] for key in ("id", "email", "phoneNumber", "linkPrecedence", "linkedId")}
            for member in body["contacts"]] == [
        {"id": 1, "email": "lorraine@hillvalley.edu", "phoneNumber": "123456", "linkPrecedence": "primary",
         "linkedId": None},
        {"id": 2, "email": "mcfly@hillvalley.edu", "phoneNumber": "123456", "linkPrecedence": "secondary",
         "linkedId": 1},
    ]
    assert all(member["createdAt"] and member["updatedAt"] for member in body["contacts"])


async def test_unknown_contact_is_404(get, lorraine):
    response, body = await get("/customers/99")

    assert_problem(response.status, response.headers, body, status=404, kind="contact-not-found")


@pytest.mark.parametrize("contact_id", ["abc", "0", "-1", "99999999999999999999", "１"])
async def test_contact_id_that_is_not_a_positive_whole_number_is_400(get, contact_id):
    response, body = await get(f"/customers/{contact_id}")

    assert_problem(response.status, response.headers, body, status=400, kind="invalid-parameter")


async def test_customers_by_email_are_found_with_the_identify_normalization(get, lorraine):
    response, body = await get("/customers?email=%20McFly@HillValley.EDU%20")

    assert response.status == 200
    assert [customer["contact"]["primaryContactId"] for customer in body["customers"]] == [1]


async def test_customers_by_email_and_phone_of_two_customers_are_both_listed(get, identify, lorraine):
    await identify({"email": "biff@hillvalley.edu", "phoneNumber": "717171"})

    response, body = await get("/customers?email=biff@hillvalley.edu&phoneNumber=123-456")

    assert response.status == 200
    assert [customer["contact"]["primaryContactId"] for customer in body["customers"]] == [1, 3]


async def test_customers_of_an_unknown_identifier_is_404(get, lorraine):
    response, body = await get("/customers?phoneNumber=999")

    assert_problem(response.status, response.headers, body, status=404, kind="contact-not-found")


@pytest.mark.parametrize(("query", "kind"), [
    ("", "missing-identifier"), ("?email=", "missing-identifier"), ("?email=not-an-email", "invalid-field"),
    ("?phoneNumber=12a", "invalid-field"),
])
async def test_customers_with_bad_identifiers_is_400_as_identify(get, query, kind):
    response, body = await get(f"/customers{query}")

    assert_problem(response.status, response.headers, body, status=400, kind=kind)


async def test_reads_write_nothing(get, lorraine, pool):
    before = await pool.fetch("SELECT t::text FROM contact AS t UNION ALL SELECT t::text FROM identity_event AS t")

    for path in ("/customers/1", "/customers?email=mcfly@hillvalley.edu", "/customers/1/events",
                 "/customers/1/explain?to=2"):
        assert (await get(path))[0].status == 200, path

    after = await pool.fetch("SELECT t::text FROM contact AS t UNION ALL SELECT t::text FROM identity_event AS t")
    assert after == before


async def test_events_of_a_customer_include_those_of_its_own_changes(get, client, admin_headers, identify):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "lorraine@hillvalley.edu", "phoneNumber": "919191"})
    await client.post("/customers/1/remove-identifier", json={"phoneNumber": "919191"}, headers=admin_headers)

    response, body = await get("/customers/1/events")

    assert response.status == 200
    assert [(event["kind"], event["contactIds"], event["customerId"]) for event in body["events"]] == [
        ("created_primary", [1], 1), ("created_secondary", [2], 1),
        # 2 kept its email and left: its relinking names 1, its old primary.
        ("identifier_removed", [1], 1), ("relinked", [2, 1], 2),
    ]
    assert body["next"] is None


async def test_events_are_paged_oldest_first_with_a_next_cursor(get, client, admin_headers, identify):
    for number in range(3):
        await identify({"email": f"alias{number}@hillvalley.edu", "phoneNumber": "555"})
    for number in range(3):
        await client.post("/customers/1/remove-identifier", json={"email": f"none{number}@x.y"},
                          headers=admin_headers)
    await client.post("/customers/1/remove-identifier", json={"email": "alias2@hillvalley.edu"},
                      headers=admin_headers)
    await client.post("/customers/1/remove-identifier", json={"email": "alias1@hillvalley.edu"},
                      headers=admin_headers)

    _, first = await get("/customers/1/events?limit=1")
    _, second = await get(f"/customers/1/events?limit=1&after={first['next']}")
    _, rest = await get(f"/customers/1/events?after={second['next']}")
    _, everything = await get("/customers/1/events")

    ids = [event["id"] for page in (first, second, rest) for event in page["events"]]
    assert ids == [event["id"] for event in everything["events"]] == sorted(ids)
    assert len(ids) == 5  # created_primary, two created_secondary, two identifier_removed
    assert rest["next"] is None


@pytest.mark.parametrize("query", ["?limit=0", "?limit=501", "?after=-1", "?limit=ten"])
async def test_events_with_a_bad_cursor_or_limit_is_400(get, lorraine, query):
    response, body = await get(f"/customers/1/events{query}")

    assert_problem(response.status, response.headers, body, status=400, kind="invalid-parameter")


async def test_events_of_an_unknown_contact_is_404(get):
    response, body = await get("/customers/5/events")

    assert_problem(response.status, response.headers, body, status=404, kind="contact-not-found")


async def test_explain_gives_the_shortest_chain_of_shared_identifiers(get, identify):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "222"})
    await identify({"email": "emmett@hillvalley.edu", "phoneNumber": "222"})
    await identify({"email": "emmett@hillvalley.edu", "phoneNumber": "333"})

    response, body = await get("/customers/1/explain?to=4")

    assert response.status == 200
    assert body == {"from": 1, "to": 4, "primaryContactId": 1, "chain": [
        {"from": 1, "to": 2, "via": "email", "value": "doc@hillvalley.edu"},
        {"from": 2, "to": 3, "via": "phoneNumber", "value": "222"},
        {"from": 3, "to": 4, "via": "email", "value": "emmett@hillvalley.edu"},
    ]}


async def test_explain_of_contacts_of_two_customers_is_404(get, identify):
    await identify({"email": "doc@hillvalley.edu"})
    await identify({"email": "biff@hillvalley.edu"})

    response, body = await get("/customers/1/explain?to=2")

    assert_problem(response.status, response.headers, body, status=404, kind="contacts-not-linked")


async def test_explain_of_contacts_merged_by_a_bridging_request_is_404_with_the_reason(get, identify):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})

    response, body = await get("/customers/1/explain?to=2")

    assert_problem(response.status, response.headers, body, status=404, kind="contacts-not-linked")
    assert "merged" in body["detail"]


@pytest.mark.parametrize("query", ["", "?to=x", "?to=0"])
async def test_explain_without_a_valid_to_is_400(get, lorraine, query):
    response, body = await get(f"/customers/1/explain{query}")

    assert_problem(response.status, response.headers, body, status=400, kind="invalid-parameter")
