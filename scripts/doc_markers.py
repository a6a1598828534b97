"""Generated sections of Markdown files, kept between `<!-- <name>:begin -->` and
`<!-- <name>:end -->` markers, so the prose around them stays hand-written."""

import re
from pathlib import Path

from plumbing.config import PROJECT_ROOT


def fill(text: str, name: str, content: str) -> str:
    """`text` with what lies between the `name` markers replaced by `content`."""
    pattern = re.compile(rf"(<!-- {name}:begin -->\n).*?(<!-- {name}:end -->)", re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no <!-- {name}:begin --> ... <!-- {name}:end --> markers")
    return pattern.sub(lambda match: match[1] + content.rstrip("\n") + "\n" + match[2], text, count=1)


def update(files: tuple[str, ...], name: str, content: str, *, check: bool) -> list[str]:
    """Fill the `name` markers of each file (paths from the project root) with `content`; with
    `check`, write nothing. Returns the files that were (or, with `check`, would be) changed."""
    stale = []
    for relative in files:
        path = Path(PROJECT_ROOT / relative)
        text = path.read_text()
        filled = fill(text, name, content)
        if filled != text:
            stale.append(relative)
            if not check:
                path.write_text(filled)
    return stale


def main(files: tuple[str, ...], name: str, content: str, argv: list[str], command: str) -> int:
    """The command line of a generator: write the sections, or with --check say which are stale."""
    check = "--check" in argv
    stale = update(files, name, content, check=check)
    if check and stale:
        print(f"out of date: {', '.join(stale)}; run `python -m {command}`")
        return 1
    for relative in [] if check else stale:
        print(f"updated {relative}")
    return 0
