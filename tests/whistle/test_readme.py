"""The README's "Using it" block works as written on a fresh installation: every command in it
runs, in order, and the matter it registers ends closed."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.fixtures import ROOT, World

pytestmark = pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)


def using_it() -> list[str]:
    """The shell lines of the README's first code block under "## Using it", continuations
    joined."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Using it\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.replace("\\\n", " ").splitlines() if line.strip()]


def test_using_it_works_as_written(world: World) -> None:
    lines = using_it()
    captured = re.compile(r"^N=\$\(\$W (?P<args>.*) \| number\)$")
    number = ""
    ran = 0
    for line in lines:
        if line.startswith(("export ", "W=", "number()", "#")):
            continue
        match = captured.match(line)
        if match:
            result = world.cli(*shlex.split(match["args"]))
            assert result.code == 0, f"{line}: {result.err}"
            number = result.data["number"]
            ran += 1
            continue
        assert line.startswith("$W "), f"a README line this test cannot run: {line}"
        args = [a.replace("$N", number) for a in shlex.split(line.removeprefix("$W "))]
        result = world.cli(*args)
        assert result.code == 0, f"{line}: {result.err}"
        ran += 1
    assert number and ran >= 9
    doc = world.ok("show", number)
    assert (doc["status"], doc["category"], doc["area"]) == ("closed", "wage_arrears", "T02V01")
    assert doc["lead_department"] == "hrss"
