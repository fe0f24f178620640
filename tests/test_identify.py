"""POST /identify: the merge rules, one behaviour per test, the canonical examples verbatim."""

from __future__ import annotations


async def contacts(pool) -> list[dict]:
    rows = await pool.fetch(
        "SELECT id, email, phone_number, linked_id, link_precedence FROM contact ORDER BY id"
    )
    return [dict(row) for row in rows]


async def test_first_request_creates_a_primary_contact(identify, pool):
    status, body = await identify({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"})

    assert status == 200
    assert body == {
        "contact": {
            "primaryContactId": 1,
            "emails": ["lorraine@hillvalley.edu"],
            "phoneNumbers": ["123456"],
            "secondaryContactIds": [],
        }
    }
    assert await contacts(pool) == [
        {"id": 1, "email": "lorraine@hillvalley.edu", "phone_number": "123456", "linked_id": None,
         "link_precedence": "primary"},
    ]


async def test_canonical_example_new_email_with_known_phone_creates_a_secondary(identify, pool):
    await identify({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"})

    status, body = await identify({"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"})

    assert status == 200
    assert body == {
        "contact": {
            "primaryContactId": 1,
            "emails": ["lorraine@hillvalley.edu", "mcfly@hillvalley.edu"],
            "phoneNumbers": ["123456"],
            "secondaryContactIds": [2],
        }
    }
    assert (await contacts(pool))[1] == {
        "id": 2, "email": "mcfly@hillvalley.edu", "phone_number": "123456", "linked_id": 1,
        "link_precedence": "secondary",
    }


async def test_canonical_example_any_single_identifier_of_the_customer_answers_the_same(identify, pool):
    await identify({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"})
    await identify({"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"})
    expected = {
        "contact": {
            "primaryContactId": 1,
            "emails": ["lorraine@hillvalley.edu", "mcfly@hillvalley.edu"],
            "phoneNumbers": ["123456"],
            "secondaryContactIds": [2],
        }
    }

    for request in (
        {"email": None, "phoneNumber": "123456"},
        {"email": "lorraine@hillvalley.edu", "phoneNumber": None},
        {"email": "mcfly@hillvalley.edu", "phoneNumber": None},
    ):
        assert await identify(request) == (200, expected)
    assert len(await contacts(pool)) == 2


async def test_canonical_example_request_bridging_two_customers_demotes_the_newer_primary(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    assert [row["link_precedence"] for row in await contacts(pool)] == ["primary", "primary"]

    status, body = await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})

    assert status == 200
    assert body == {
        "contact": {
            "primaryContactId": 1,
            "emails": ["george@hillvalley.edu", "biffsucks@hillvalley.edu"],
            "phoneNumbers": ["919191", "717171"],
            "secondaryContactIds": [2],
        }
    }
    assert await contacts(pool) == [
        {"id": 1, "email": "george@hillvalley.edu", "phone_number": "919191", "linked_id": None,
         "link_precedence": "primary"},
        {"id": 2, "email": "biffsucks@hillvalley.edu", "phone_number": "717171", "linked_id": 1,
         "link_precedence": "secondary"},
    ]


async def test_merge_relinks_the_losing_customers_secondaries_to_the_winner(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    await identify({"email": "biff@hillvalley.edu", "phoneNumber": "717171"})  # secondary 3 of primary 2

    status, body = await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})

    assert body["contact"]["primaryContactId"] == 1
    assert body["contact"]["secondaryContactIds"] == [2, 3]
    assert [(row["id"], row["linked_id"]) for row in await contacts(pool)] == [(1, None), (2, 1), (3, 1)]


async def test_merge_keeps_the_older_primary_whichever_identifier_the_bridge_names_first(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})

    status, body = await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "919191"})

    assert body["contact"]["primaryContactId"] == 1
    assert body["contact"]["emails"] == ["george@hillvalley.edu", "biffsucks@hillvalley.edu"]


async def test_merge_of_three_customers_in_one_request(identify, pool):
    await identify({"email": "a@x.io", "phoneNumber": "1"})
    await identify({"email": "b@x.io", "phoneNumber": "2"})
    await identify({"email": "c@x.io", "phoneNumber": "3"})
    await identify({"email": "c@x.io", "phoneNumber": "2"})  # merges 2 and 3 under 2

    status, body = await identify({"email": "a@x.io", "phoneNumber": "3"})

    assert body == {
        "contact": {
            "primaryContactId": 1,
            "emails": ["a@x.io", "b@x.io", "c@x.io"],
            "phoneNumbers": ["1", "2", "3"],
            "secondaryContactIds": [2, 3],
        }
    }
    assert [(row["id"], row["linked_id"]) for row in await contacts(pool)] == [(1, None), (2, 1), (3, 1)]


async def test_request_bridging_two_customers_creates_no_contact(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})

    await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})

    assert len(await contacts(pool)) == 2


async def test_repeating_a_known_request_creates_nothing(identify, pool):
    first = await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})

    again = await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})

    assert again == first
    assert len(await contacts(pool)) == 1


async def test_request_with_only_a_new_phone_creates_a_secondary_without_email(identify, pool):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})

    status, body = await identify({"email": "doc@hillvalley.edu", "phoneNumber": "99"})

    assert body["contact"] == {
        "primaryContactId": 1,
        "emails": ["doc@hillvalley.edu"],
        "phoneNumbers": ["88", "99"],
        "secondaryContactIds": [2],
    }
    assert (await contacts(pool))[1]["email"] == "doc@hillvalley.edu"


async def test_request_with_one_identifier_only_creates_a_contact_without_the_other(identify, pool):
    status, body = await identify({"phoneNumber": "5550001"})

    assert body["contact"] == {
        "primaryContactId": 1,
        "emails": [],
        "phoneNumbers": ["5550001"],
        "secondaryContactIds": [],
    }
    assert (await contacts(pool))[0]["email"] is None


async def test_absent_identifier_never_matches_contacts_missing_it(identify, pool):
    await identify({"phoneNumber": "111"})

    status, body = await identify({"phoneNumber": "222"})

    assert body["contact"]["primaryContactId"] == 2
    assert body["contact"]["secondaryContactIds"] == []


async def test_new_information_for_a_merged_customer_links_to_the_winner(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})

    status, body = await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "555"})

    assert body["contact"]["primaryContactId"] == 1
    assert body["contact"]["secondaryContactIds"] == [2, 3]
    assert (await contacts(pool))[2]["linked_id"] == 1


async def test_answer_lists_the_primary_email_first_then_others_in_creation_order(identify, pool):
    await identify({"phoneNumber": "42"})
    await identify({"email": "zed@x.io", "phoneNumber": "42"})
    await identify({"email": "amy@x.io", "phoneNumber": "42"})

    status, body = await identify({"phoneNumber": "42"})

    assert body["contact"]["emails"] == ["zed@x.io", "amy@x.io"]
    assert body["contact"]["phoneNumbers"] == ["42"]


async def test_email_is_matched_case_and_space_insensitively(identify, pool):
    await identify({"email": "Marty@HillValley.edu", "phoneNumber": "1985"})

    status, body = await identify({"email": "  marty@hillvalley.EDU ", "phoneNumber": None})

    assert body["contact"]["emails"] == ["marty@hillvalley.edu"]
    assert len(await contacts(pool)) == 1


async def test_phone_number_separators_are_ignored_and_integers_accepted(identify, pool):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "(555) 123-45.67"})

    status, body = await identify({"phoneNumber": 5551234567})

    assert body["contact"]["phoneNumbers"] == ["5551234567"]
    assert len(await contacts(pool)) == 1


async def test_phone_number_keeps_one_leading_plus(identify, pool):
    status, body = await identify({"phoneNumber": " +44 20 7946 0958 "})

    assert body["contact"]["phoneNumbers"] == ["+442079460958"]


async def test_blank_value_counts_as_absent(identify, pool):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})

    status, body = await identify({"email": "doc@hillvalley.edu", "phoneNumber": "   "})

    assert status == 200
    assert len(await contacts(pool)) == 1


async def test_unknown_fields_are_ignored(identify, pool):
    status, body = await identify({"email": "doc@hillvalley.edu", "orderId": 7, "phoneNumber": None})

    assert status == 200
    assert body["contact"]["emails"] == ["doc@hillvalley.edu"]


async def test_updated_at_changes_on_every_relinked_contact(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    before = {row["id"]: row["updated_at"] for row in await pool.fetch("SELECT id, updated_at FROM contact")}

    await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})

    after = {row["id"]: row["updated_at"] for row in await pool.fetch("SELECT id, updated_at FROM contact")}
    assert after[1] == before[1]
    assert after[2] > before[2]


async def test_deleted_contacts_are_invisible(identify, pool):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})
    await pool.execute("UPDATE contact SET deleted_at = now() WHERE id = 1")

    status, body = await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})

    assert body["contact"]["primaryContactId"] == 2
    assert body["contact"]["secondaryContactIds"] == []


async def test_secondary_of_a_deleted_primary_becomes_the_primary_when_touched(identify, pool):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})
    await identify({"email": "emmett@hillvalley.edu", "phoneNumber": "88"})
    await pool.execute("UPDATE contact SET deleted_at = now() WHERE id = 1")

    status, body = await identify({"email": "emmett@hillvalley.edu", "phoneNumber": "99"})

    assert body["contact"] == {
        "primaryContactId": 2,
        "emails": ["emmett@hillvalley.edu"],
        "phoneNumbers": ["88", "99"],
        "secondaryContactIds": [3],
    }
    assert [(row["id"], row["linked_id"]) for row in await contacts(pool)][1:] == [(2, None), (3, 2)]


async def test_deeper_chains_are_gathered_whole_and_flattened_by_the_next_request(identify, pool):
    await pool.execute(
        """
        INSERT INTO contact (email, phone_number, linked_id, created_at) VALUES
            ('a@x.io', '1', NULL, '2024-01-01'),
            ('b@x.io', '2', 1, '2024-01-02'),
            ('c@x.io', '3', 2, '2024-01-03'),
            ('d@x.io', '4', 3, '2024-01-04')
        """
    )

    status, body = await identify({"email": "d@x.io"})

    assert body["contact"]["primaryContactId"] == 1
    assert body["contact"]["secondaryContactIds"] == [2, 3, 4]
    assert [(row["id"], row["linked_id"]) for row in await contacts(pool)] == [(1, None), (2, 1), (3, 1), (4, 1)]


async def test_secondary_of_a_deleted_primary_is_made_primary_even_by_a_request_bringing_nothing_new(
    identify, pool
):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "88"})
    await identify({"email": "emmett@hillvalley.edu", "phoneNumber": "88"})
    await pool.execute("UPDATE contact SET deleted_at = now() WHERE id = 1")

    status, body = await identify({"email": "emmett@hillvalley.edu"})

    assert body["contact"]["primaryContactId"] == 2
    assert await pool.fetchval("SELECT link_precedence FROM contact WHERE id = 2") == "primary"
