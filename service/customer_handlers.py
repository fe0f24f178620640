"""HTTP handlers of /customers: read the request, call the use case in service/customers.py,
write the answer. No SQL here. The API key and its scope are checked before any of these
runs (service/auth.py)."""

from __future__ import annotations

import orjson
from aiohttp import web

from .contact_input import InvalidInput, normalize_email, normalize_phone_number
from .customers import (
    ContactNotLive, CustomerTooLargeToLock, customer_json, customers_of, erase, events_page, remove_identifier,
    shortest_chain,
)
from .errors import Problem, contention_problem, suppression_key_mismatch_problem, too_large_to_lock_problem
from .handlers import read_contact_details
from .identify import TooMuchContention
from .keys import REQUEST_ID, SETTINGS, STATEMENTS
from .request_database import request_connection
from .suppression import SuppressionKeyMismatch, suppression_key

MAX_CONTACT_ID = 2**63 - 1
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def _json(document: dict) -> web.Response:
    return web.Response(body=orjson.dumps(document), content_type="application/json")


def _whole_number(text: str, name: str, *, minimum: int, maximum: int = MAX_CONTACT_ID) -> int:
    if not text.isascii() or not text.isdigit() or not minimum <= int(text) <= maximum:
        raise Problem("invalid-parameter", f"{name} must be a whole number from {minimum} to {maximum}.",
                      field=name)
    return int(text)


def _contact_id(request: web.Request) -> int:
    return _whole_number(request.match_info["contactId"], "contactId", minimum=1)


def _query_number(request: web.Request, name: str, *, default: int | None, minimum: int, maximum: int) -> int:
    if name not in request.query:
        if default is None:
            raise Problem("invalid-parameter", f"Give {name}, a whole number from {minimum} to {maximum}.",
                          field=name)
        return default
    return _whole_number(request.query[name], name, minimum=minimum, maximum=maximum)


async def _customer_of(request: web.Request, contact_id: int) -> list:
    async with request_connection(request) as connection:
        customers = await customers_of(connection, request.app[STATEMENTS], contact_ids=[contact_id])
    if not customers:
        raise Problem("contact-not-found", f"No live contact has the id {contact_id}.")
    return customers[0]


async def get_customer(request: web.Request) -> web.Response:
    return _json(customer_json(await _customer_of(request, _contact_id(request))))


async def get_customers(request: web.Request) -> web.Response:
    try:
        email = normalize_email(request.query.get("email"))
        phone_number = normalize_phone_number(request.query.get("phoneNumber"),
                                              request.app[SETTINGS].default_phone_region)
    except InvalidInput as invalid:
        raise Problem(invalid.kind, invalid.detail, field=invalid.field) from None
    if email is None and phone_number is None:
        raise Problem("missing-identifier", "Give an email, a phoneNumber, or both; neither was given.")
    async with request_connection(request) as connection:
        customers = await customers_of(connection, request.app[STATEMENTS], email=email, phone_number=phone_number)
    if not customers:
        raise Problem("contact-not-found", "No live contact has this email or phone number.")
    return _json({"customers": [customer_json(members) for members in customers]})


async def get_customer_events(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    after_id = _query_number(request, "after", default=0, minimum=0, maximum=MAX_CONTACT_ID)
    page_size = _query_number(request, "limit", default=DEFAULT_PAGE_SIZE, minimum=1, maximum=MAX_PAGE_SIZE)
    members = await _customer_of(request, contact_id)
    async with request_connection(request) as connection:
        events = await events_page(connection, request.app[STATEMENTS], members, after_id=after_id,
                                   page_size=page_size)
    return _json({"events": events, "next": events[-1]["id"] if len(events) == page_size else None})


async def get_customer_explain(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    to_id = _query_number(request, "to", default=None, minimum=1, maximum=MAX_CONTACT_ID)
    members = await _customer_of(request, contact_id)
    if to_id not in {member["id"] for member in members}:
        raise Problem("contacts-not-linked", f"Contact {to_id} is not live or belongs to another customer.")
    chain = shortest_chain(members, contact_id, to_id)
    if chain is None:
        raise Problem("contacts-not-linked",
                      f"Contacts {contact_id} and {to_id} belong to one customer, but no chain of shared "
                      "identifiers joins them: a request carrying an identifier of each merged them (see the events).")
    return _json({"from": contact_id, "to": to_id, "primaryContactId": members[0]["id"],
                  "chain": [link.as_json() for link in chain]})


async def post_remove_identifier(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    identifier = await read_contact_details(request)
    if identifier.phone_number_problem:
        raise Problem("invalid-field", identifier.phone_number_problem, field="phoneNumber")
    if identifier.email is not None and identifier.phone_number is not None:
        raise Problem("invalid-body", 'Give one identifier to remove: {"email": ...} or {"phoneNumber": ...}, not both.')
    settings = request.app[SETTINGS]
    try:
        async with request_connection(request) as connection:
            customers = await remove_identifier(connection, request.app[STATEMENTS], contact_id, identifier,
                                                request_id=request[REQUEST_ID],
                                                max_attempts=settings.identify_max_attempts)
    except ContactNotLive:
        raise _not_live(contact_id) from None
    except TooMuchContention:
        raise contention_problem() from None
    except CustomerTooLargeToLock:
        raise too_large_to_lock_problem() from None
    return _json({"customers": [customer_json(members) for members in customers]})


async def delete_customer(request: web.Request) -> web.Response:
    contact_id = _contact_id(request)
    settings = request.app[SETTINGS]
    try:
        async with request_connection(request) as connection:
            primary_id, contact_ids = await erase(
                connection, request.app[STATEMENTS], contact_id, request_id=request[REQUEST_ID],
                max_attempts=settings.identify_max_attempts, suppression_key=suppression_key(settings))
    except ContactNotLive:
        raise _not_live(contact_id) from None
    except TooMuchContention:
        raise contention_problem() from None
    except CustomerTooLargeToLock:
        raise too_large_to_lock_problem() from None
    except SuppressionKeyMismatch:
        raise suppression_key_mismatch_problem() from None
    return _json({"erased": {"primaryContactId": primary_id, "contactIds": contact_ids}})


def _not_live(contact_id: int) -> Problem:
    return Problem("contact-not-live",
                   f"No live contact has the id {contact_id} (it may have been erased or removed); nothing was changed.")
