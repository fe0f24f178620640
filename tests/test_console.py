"""The support console (GET /console) in a real headless Chromium, against the real service on a
real PostgreSQL, with keys created in the real key table.

Debian's Chromium is driven by Playwright (`executable_path`; Playwright's own browser download
is never used); `.ci/browser-tools` installs it when missing. Each test saves a screenshot of
the state it checks under its temporary folder (`console-*.png`).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, async_playwright, expect

from service.app import create_app

from .conftest import PROJECT_ROOT, create_key

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1100, "height": 1400}
PHONE = {"width": 375, "height": 812}

# Marty and Jennifer share a phone; Marty came back with a second phone (the README's session).
MARTY_AND_JENNIFER = [
    {"email": "marty@hillvalley.edu", "phoneNumber": "5551234"},
    {"email": "jennifer@hillvalley.edu", "phoneNumber": "5551234"},
    {"email": "marty@hillvalley.edu", "phoneNumber": "5559876"},
]


@pytest.fixture(scope="session")
def chromium() -> str:
    subprocess.run([PROJECT_ROOT / ".ci" / "browser-tools"], check=True)
    return CHROMIUM


@dataclass
class Console:
    page: Page
    url: str
    screenshots: Path
    read_key: str
    admin_key: str
    errors: list[str] = field(default_factory=list)

    async def identify(self, *bodies: dict) -> None:
        async with aiohttp.ClientSession() as session:
            for body in bodies:
                async with session.post(f"{self.url}/identify", json=body) as response:
                    assert response.status == 200

    async def sign_in(self, secret: str) -> None:
        await self.page.goto(f"{self.url}/console")
        await self.page.get_by_label("API key").fill(secret)
        await self.page.get_by_role("button", name="Sign in").click()

    async def search(self, kind: str, value: str) -> None:
        await self.page.get_by_label("Search by").select_option(label=kind)
        await self.page.get_by_label("Email, phone number or contact id").fill(value)
        await self.page.get_by_role("button", name="Search", exact=True).click()

    async def screenshot(self, name: str) -> None:
        await self.page.screenshot(path=self.screenshots / f"console-{name}.png", full_page=True)


async def _console(aiohttp_server, settings, pool, tmp_path, chromium, viewport):
    server = await aiohttp_server(create_app(settings, pool=pool))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport=viewport)
        console = Console(page, str(server.make_url("")).rstrip("/"), tmp_path,
                          await create_key(pool, "support", "read"), await create_key(pool, "privacy-officer", "admin"))
        # A script error or a Content-Security-Policy violation shows up as a console error; the
        # API's 4xx answers (the scope probe's 403, say) are logged too, and are not errors of the page.
        page.on("console", lambda message: message.type == "error"
                and not message.text.startswith("Failed to load resource")
                and console.errors.append(message.text))
        page.on("pageerror", lambda error: console.errors.append(str(error)))
        yield console
        await browser.close()


@pytest.fixture
async def console(aiohttp_server, settings, pool, tmp_path, chromium):
    async for console in _console(aiohttp_server, settings, pool, tmp_path, chromium, DESKTOP):
        yield console


@pytest.fixture
async def phone_console(aiohttp_server, settings, pool, tmp_path, chromium):
    async for console in _console(aiohttp_server, settings, pool, tmp_path, chromium, PHONE):
        yield console


def _customer(console: Console, primary_id: int):
    return console.page.get_by_role("article", name=f"Customer {primary_id}")


# ---- signing in ----

async def test_a_read_key_signs_in_and_the_page_says_it_can_only_look_up(console):
    await console.sign_in(console.read_key)

    await expect(console.page.locator("#key-status")).to_have_text(
        "Signed in with a read key: you can look customers up, but not change them.")
    await console.screenshot("signed-in-read")
    assert console.errors == []


async def test_an_admin_key_signs_in_and_the_page_says_it_may_act(console):
    await console.sign_in(console.admin_key)

    await expect(console.page.locator("#key-status")).to_contain_text("Signed in with an admin key")
    await expect(console.page.locator("#key-status")).to_contain_text("remove identifiers and erase customers")


async def test_a_wrong_key_is_refused_with_the_services_message(console):
    await console.sign_in("idk_not-a-key-anyone-has")

    await expect(console.page.get_by_role("alert")).to_have_text("Unknown API key: No API key has this secret.")
    await expect(console.page.get_by_role("heading", name="Find a customer")).to_be_hidden()
    assert await console.page.evaluate("sessionStorage.length") == 0
    await console.screenshot("wrong-key")


async def test_the_key_is_sent_as_a_bearer_header_and_never_in_a_url(console):
    await console.identify(*MARTY_AND_JENNIFER)
    requests = []
    console.page.on("request", lambda request: requests.append(request))

    await console.sign_in(console.read_key)
    await console.search("email", "marty@hillvalley.edu")
    await expect(_customer(console, 1)).to_be_visible()

    api_requests = [request for request in requests if "/customers" in request.url]
    assert api_requests
    assert all(request.headers["authorization"] == f"Bearer {console.read_key}" for request in api_requests)
    assert not [request.url for request in requests if console.read_key in request.url]


async def test_the_key_is_kept_for_the_tab_only_and_forgotten_on_sign_out(console):
    await console.sign_in(console.read_key)
    await expect(console.page.locator("#key-status")).to_contain_text("read key")

    assert await console.page.evaluate("Object.values(sessionStorage)") == [console.read_key]
    assert await console.page.evaluate("localStorage.length") == 0
    await console.page.reload()
    await expect(console.page.locator("#key-status")).to_contain_text("read key")
    await console.page.get_by_role("button", name="Sign out").click()
    assert await console.page.evaluate("sessionStorage.length") == 0


# ---- finding a customer ----

async def test_search_by_email_shows_the_primary_every_contact_and_the_graph(console):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.read_key)

    await console.search("email", "Jennifer@HillValley.edu")

    customer = _customer(console, 1)
    await expect(customer.locator("dl")).to_contain_text("Primary contact#1")
    rows = customer.get_by_role("table").locator("tbody tr")
    await expect(rows).to_have_count(3)
    await expect(rows.nth(0)).to_contain_text("#1marty@hillvalley.edu5551234")
    await expect(rows.nth(0)).to_contain_text("primary")
    await expect(rows.nth(1)).to_contain_text("#2jennifer@hillvalley.edu5551234")
    await expect(rows.nth(2)).to_contain_text("secondary of #1")
    graph = customer.locator("svg")
    await expect(graph.locator(".node")).to_have_count(3)
    await expect(graph.locator(".node.primary")).to_have_attribute("data-contact", "1")
    # 1 and 2 share the phone, 1 and 3 the email; 2 and 3 share nothing.
    await expect(graph.locator(".edge")).to_have_count(2)
    await expect(graph.locator(".edge-label")).to_have_text(["5551234", "marty@hillvalley.edu"])
    await console.screenshot("customer")
    assert console.errors == []


async def test_search_by_phone_number_or_contact_id_finds_the_same_customer(console):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.read_key)

    await console.search("phone number", "555 9876")
    await expect(_customer(console, 1).locator("tbody tr")).to_have_count(3)
    await console.search("contact id", "2")
    await expect(_customer(console, 1).locator("tbody tr")).to_have_count(3)


async def test_the_history_is_a_timeline_paged_twenty_events_at_a_time(console):
    # One person with 25 phones: 25 contacts, 25 creation events.
    await console.identify(*({"email": "doc@hillvalley.edu", "phoneNumber": f"555{n:04}"} for n in range(25)))
    await console.sign_in(console.read_key)
    await console.search("email", "doc@hillvalley.edu")

    history = console.page.get_by_role("region", name="History of customer 1")
    events = history.locator(".timeline li")
    await expect(events).to_have_count(20)
    await expect(events.nth(0)).to_contain_text("created (primary)")
    await expect(events.nth(1)).to_contain_text("created (secondary)")
    await history.get_by_role("button", name="Show more events").click()
    await expect(events).to_have_count(25)
    await expect(events.nth(24)).to_contain_text("contacts #25; customer #1")
    await expect(history.get_by_role("button", name="Show more events")).to_be_hidden()
    await console.screenshot("history")


async def test_why_are_these_linked_shows_the_chain_and_highlights_it_in_the_graph(console):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.read_key)
    await console.search("email", "jennifer@hillvalley.edu")
    customer = _customer(console, 1)

    await customer.get_by_label("From contact").select_option("2")
    await customer.get_by_label("to contact").select_option("3")
    await customer.get_by_role("button", name="Why are these linked?").click()

    await expect(customer.locator(".chain li")).to_have_text([
        "#2 and #1 share the phone number 5551234",
        "#1 and #3 share the email marty@hillvalley.edu",
    ])
    graph = customer.locator("svg")
    await expect(graph.locator(".edge.in-chain")).to_have_count(2)
    await expect(graph.locator(".node.in-chain")).to_have_count(3)
    await console.screenshot("explain")


# ---- errors ----

@pytest.mark.parametrize(("email", "message"), [
    ("biff@hillvalley.edu", "Contact not found: No live contact has this email or phone number."),
    ("not-an-email", "Invalid field: email must be one @ between a non-empty local part and a domain."),
], ids=["unknown", "invalid"])
async def test_a_search_the_api_refuses_shows_its_problem_title_and_detail(console, email, message):
    await console.sign_in(console.read_key)

    await console.search("email", email)

    await expect(console.page.get_by_role("alert")).to_have_text(message)
    await console.screenshot(f"refused-{email}")


async def test_a_service_that_cannot_be_reached_is_reported(console):
    await console.sign_in(console.read_key)
    await expect(console.page.locator("#key-status")).to_contain_text("read key")
    await console.page.route("**/customers?*", lambda route: route.abort("connectionrefused"))

    await console.search("email", "marty@hillvalley.edu")

    await expect(console.page.get_by_role("alert")).to_contain_text("The service could not be reached")


async def test_a_key_revoked_while_signed_in_is_reported_and_the_page_asks_for_another(console, pool):
    await console.sign_in(console.read_key)
    await expect(console.page.locator("#key-status")).to_contain_text("read key")
    await pool.execute("UPDATE api_key SET revoked_at = now() WHERE name = 'support'")

    await console.search("email", "marty@hillvalley.edu")

    await expect(console.page.get_by_role("alert")).to_have_text("API key revoked: The API key support was revoked.")
    await expect(console.page.get_by_label("API key")).to_be_visible()


# ---- admin actions ----

async def test_a_read_key_is_offered_no_changes(console):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.read_key)
    await console.search("email", "marty@hillvalley.edu")

    await expect(_customer(console, 1).locator("tbody tr")).to_have_count(3)
    await expect(console.page.get_by_role("button", name="Remove identifier…")).to_have_count(0)
    await expect(console.page.get_by_role("button", name="Erase customer 1…")).to_have_count(0)


async def test_removing_an_identifier_names_what_will_happen_then_shows_the_two_customers(console):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.admin_key)
    await console.search("email", "marty@hillvalley.edu")
    customer = _customer(console, 1)

    await customer.get_by_label("Identifier").select_option(label="phone number 5551234")
    await customer.get_by_role("button", name="Remove identifier…").click()
    dialog = console.page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Remove the phone number 5551234 from customer 1: contacts #1, #2 lose it.")
    await console.screenshot("remove-confirm")
    await dialog.get_by_role("button", name="Remove it").click()

    await expect(console.page.locator("#outcome")).to_have_text(
        "Removed the phone number 5551234. The contacts now form 2 customers:")
    await expect(_customer(console, 1).locator("tbody tr")).to_have_count(2)
    await expect(_customer(console, 2).locator("tbody tr")).to_have_count(1)
    await expect(_customer(console, 2).locator("tbody tr")).to_contain_text("jennifer@hillvalley.edu")
    await console.screenshot("removed")
    assert console.errors == []


async def test_cancelling_a_removal_changes_nothing(console, pool):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.admin_key)
    await console.search("email", "marty@hillvalley.edu")
    customer = _customer(console, 1)

    await customer.get_by_role("button", name="Remove identifier…").click()
    await console.page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(console.page.get_by_role("dialog")).to_be_hidden()
    await customer.get_by_role("button", name="Remove identifier…").click()
    await expect(console.page.get_by_role("dialog")).to_be_visible()
    await console.page.keyboard.press("Escape")

    await expect(console.page.get_by_role("dialog")).to_be_hidden()
    await expect(customer.locator("tbody tr")).to_have_count(3)
    assert await pool.fetchval("SELECT count(*) FROM identity_event WHERE kind = 'identifier_removed'") == 0


async def test_erasing_names_what_will_happen_then_shows_that_nothing_is_left(console, pool):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.sign_in(console.admin_key)
    await console.search("email", "marty@hillvalley.edu")

    await _customer(console, 1).get_by_role("button", name="Erase customer 1…").click()
    dialog = console.page.get_by_role("dialog")
    await expect(dialog).to_contain_text("Erase customer 1 for good: contacts #1, #2, #3")
    await expect(dialog).to_contain_text("This cannot be undone.")
    await dialog.get_by_role("button", name="Erase customer 1").click()

    await expect(console.page.locator(".nothing-left")).to_have_text(
        'Nothing is left: looking up contact #1 now answers "Contact not found: No live contact has the id 1."')
    await expect(console.page.get_by_role("article")).to_have_count(0)
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0
    await console.screenshot("erased")


# ---- usable by anyone ----

async def test_every_input_has_a_label_and_the_page_works_from_the_keyboard(console):
    await console.identify(*MARTY_AND_JENNIFER)
    await console.page.goto(f"{console.url}/console")

    # The key field has the focus first; the browser applies autofocus in a later rendering step than the load event.
    await expect(console.page.locator("#api-key")).to_be_focused()
    await console.page.keyboard.type(console.read_key)
    await console.page.keyboard.press("Enter")
    await expect(console.page.locator("#key-status")).to_contain_text("read key")
    await expect(console.page.locator("#search-value")).to_be_focused()  # then the search field
    await console.page.keyboard.type("marty@hillvalley.edu")
    await console.page.keyboard.press("Enter")

    await expect(_customer(console, 1).locator("tbody tr")).to_have_count(3)
    unlabelled = await console.page.evaluate(
        "[...document.querySelectorAll('input, select')].filter((field) => field.labels.length === 0).length")
    assert unlabelled == 0


async def test_at_a_phones_width_nothing_runs_off_the_side_of_the_page(phone_console):
    await phone_console.identify(*MARTY_AND_JENNIFER)
    await phone_console.sign_in(phone_console.admin_key)
    await phone_console.search("email", "marty@hillvalley.edu")
    await expect(_customer(phone_console, 1).locator("tbody tr")).to_have_count(3)

    page_width = await phone_console.page.evaluate("document.documentElement.scrollWidth")
    graph_width = await _customer(phone_console, 1).locator("svg").evaluate("svg => svg.getBoundingClientRect().width")
    assert page_width <= PHONE["width"]
    assert graph_width > PHONE["width"] / 2
    await phone_console.screenshot("phone")


# ---- the page itself ----

async def test_the_console_is_served_without_a_key_with_a_policy_allowing_only_its_own_files(client):
    response = await client.get("/console")

    assert response.status == 200
    assert response.content_type == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


async def test_the_console_serves_its_script_and_style_and_nothing_else(client):
    script = await client.get("/console/console.js")
    style = await client.get("/console/console.css")
    other = await client.get("/console/..%2Fopenapi.json")

    assert (script.status, script.content_type) == (200, "text/javascript")
    assert (style.status, style.content_type) == (200, "text/css")
    assert other.status == 404
    assert other.content_type == "application/problem+json"
