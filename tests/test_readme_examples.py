"""The README's curl examples, run in the order they appear on a fresh database, give exactly
the answers it shows.

The README has two sessions: the service as the quick start leaves it (`localhost:3000`, its
sections Quick start, API and How merging works), and the customers session (`$B`, on an
empty database of its own, with the keys `$READ` and `$ADMIN`). Each runs on a fresh
database. The curl under "Importing history" shows what an import made; the import itself
is tested by tests/test_import_command.py, so that block is not replayed here. Times in
answers differ from run to run and are compared as `<time>`."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

import pytest

from .conftest import create_key
from .service_process import PROJECT_ROOT

CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
SECTION = re.compile(r"^## (.+)$", re.MULTILINE)
NOT_REPLAYED_SECTIONS = {"Importing history"}
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00")
CUSTOMERS_SESSION_BASE = "$B"


@dataclass
class Example:
    command: str
    shown: list[str] = field(default_factory=list)


def curl_examples(readme: str) -> list[Example]:
    """Every `$ curl …` line of the README's console blocks that are replayed, with the lines
    shown under it."""
    examples: list[Example] = []
    for match in CONSOLE_BLOCK.finditer(readme):
        sections = SECTION.findall(readme, 0, match.start())
        if sections and sections[-1] in NOT_REPLAYED_SECTIONS:
            continue
        block = match[1]
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = Example(line[2:]) if line.startswith("$ curl ") else None
                if current:
                    examples.append(current)
            elif current:
                current.shown.append(line)
    return examples


async def run_curl(client, command: str, secrets: dict[str, str]) -> list[str]:
    """What `curl -s [-i] [-X METHOD] [-w '\\n'] [-H …] [-d …] localhost:3000/PATH` (or `$B/PATH`)
    prints, from the test app; `$READ` and `$ADMIN` are the keys' secrets."""
    for name, secret in secrets.items():
        command = command.replace(f"${name}", secret)
    words = shlex.split(command.replace(CUSTOMERS_SESSION_BASE + "/", "localhost:3000/"))[1:]
    headers, body, include_headers, write_out, path, method = {}, None, False, "", None, None
    while words:
        word = words.pop(0)
        if word == "-H":
            name, value = words.pop(0).split(": ", 1)
            headers[name] = value
        elif word == "-d":
            body = words.pop(0)
        elif word == "-w":
            write_out = words.pop(0).replace("\\n", "\n")
        elif word == "-i":
            include_headers = True
        elif word == "-X":
            method = words.pop(0)
        elif word.startswith("localhost:3000/"):
            path = word.removeprefix("localhost:3000")
        else:
            assert word == "-s", f"the test does not know curl's {word}"
    method = method or ("POST" if body is not None else "GET")
    response = await client.request(method, path, data=body, headers=headers)
    printed = (await response.read()).decode() + write_out
    if include_headers:
        head = [f"HTTP/1.1 {response.status} {response.reason}",
                *(f"{name}: {value}" for name, value in response.headers.items()), ""]
        printed = "\n".join(head) + "\n" + printed
    return TIME.sub("<time>", printed).splitlines()


def test_readme_shows_curl_examples():
    assert len(curl_examples((PROJECT_ROOT / "README.md").read_text())) >= 8


@pytest.mark.parametrize("session", ["localhost:3000", CUSTOMERS_SESSION_BASE])
async def test_readme_curl_examples_in_order_give_the_answers_shown(client, pool, session):
    secrets = {"READ": await create_key(pool, "support", "read"),
               "ADMIN": await create_key(pool, "privacy-officer", "admin")}
    examples = [example for example in curl_examples((PROJECT_ROOT / "README.md").read_text())
                if session in example.command]
    assert examples
    for example in examples:
        printed = await run_curl(client, example.command, secrets)
        shown = [TIME.sub("<time>", line) for line in example.shown]

        if "-i" in shlex.split(example.command):
            # The README shows the status line, the headers that matter, and the body.
            assert printed[0] == shown[0], example.command
            assert set(shown[1:-2]) <= set(printed[1:-2]), example.command
            assert printed[-2:] == shown[-2:], example.command
        else:
            assert printed == shown, example.command
