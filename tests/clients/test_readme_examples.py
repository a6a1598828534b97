"""The README's client excerpts are lines of the examples that make test type-checks and runs, so
they can't drift from working code."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def excerpt(language: str) -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Typed clients", 1)[1].split("\n## ", 1)[0]
    block = re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)
    return [line.strip() for line in block.splitlines() if line.strip()]


@pytest.mark.parametrize(("language", "example"), [("python", "place_order.py"), ("ts", "place_order.ts")])
def test_every_line_of_the_readme_excerpt_is_in_the_example(language, example):
    lines = excerpt(language)
    source = {line.strip() for line in (ROOT / "clients/examples" / example).read_text().splitlines()}
    assert len(lines) > 5
    assert [line for line in lines if line not in source] == []
