"""The README's curl examples, run in the order they appear on a fresh database, give exactly
the answers it shows."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from .service_process import PROJECT_ROOT

CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


@dataclass
class Example:
    command: str
    shown: list[str] = field(default_factory=list)


def curl_examples(readme: str) -> list[Example]:
    """Every `$ curl …` line of the README's console blocks, with the lines shown under it."""
    examples: list[Example] = []
    for block in CONSOLE_BLOCK.findall(readme):
        current = None
        for line in block.splitlines():
            if line.startswith("$ "):
                current = Example(line[2:]) if line.startswith("$ curl ") else None
                if current:
                    examples.append(current)
            elif current:
                current.shown.append(line)
    return examples


async def run_curl(client, command: str) -> list[str]:
    """What `curl -s [-i] [-w '\\n'] [-H …] [-d …] localhost:3000/PATH` prints, from the test app."""
    words = shlex.split(command)[1:]
    headers, body, include_headers, write_out, path = {}, None, False, "", None
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
        elif word.startswith("localhost:3000/"):
            path = word.removeprefix("localhost:3000")
        else:
            assert word == "-s", f"the test does not know curl's {word}"
    response = await client.request("POST" if body is not None else "GET", path, data=body, headers=headers)
    printed = (await response.read()).decode() + write_out
    if include_headers:
        head = [f"HTTP/1.1 {response.status} {response.reason}",
                *(f"{name}: {value}" for name, value in response.headers.items()), ""]
        printed = "\n".join(head) + "\n" + printed
    return printed.splitlines()


def test_readme_shows_curl_examples():
    assert len(curl_examples((PROJECT_ROOT / "README.md").read_text())) >= 8


async def test_readme_curl_examples_in_order_give_the_answers_shown(client):
    for example in curl_examples((PROJECT_ROOT / "README.md").read_text()):
        printed = await run_curl(client, example.command)

        if "-i" in shlex.split(example.command):
            # The README shows the status line, the headers that matter, and the body.
            assert printed[0] == example.shown[0], example.command
            assert set(example.shown[1:-2]) <= set(printed[1:-2]), example.command
            assert printed[-2:] == example.shown[-2:], example.command
        else:
            assert printed == example.shown, example.command
