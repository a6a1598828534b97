"""The typed clients in clients/ are what `make clients` makes of the current routes, and their
examples type-check: the Python one under `mypy --strict` (with the generated package, which is
checked with it), the TypeScript one under `tsc --noEmit --strict`. The tools come from
`make client-tools` (part of `make test`)."""

import os
import subprocess
from pathlib import Path

import pytest

from scripts.clients import CLIENTS, GENERATED, NODE_BIN, VENV_BIN, generate

MAKE_CLIENTS = "clients/ differs from what `make clients` generates now: run it and commit the result"


def _files(root: Path) -> dict[str, bytes]:
    """Every file under `root` by relative path (no bytecode: importing the package leaves some)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    into = tmp_path_factory.mktemp("clients")
    generate(into)
    return into


@pytest.mark.parametrize("generated", [str(path) for path in GENERATED])
def test_committed_clients_are_what_the_routes_generate(regenerated, generated):
    fresh, committed = regenerated / generated, CLIENTS / generated
    if fresh.is_dir():
        fresh_files, committed_files = _files(fresh), _files(committed)
        differing = sorted(
            name for name in fresh_files.keys() | committed_files.keys()
            if fresh_files.get(name) != committed_files.get(name)
        )
        assert not differing, f"{MAKE_CLIENTS}: {differing}"
    else:
        assert committed.read_bytes() == fresh.read_bytes(), f"{MAKE_CLIENTS}: {generated}"


def test_python_example_passes_mypy_strict(tmp_path):
    checked = _run(
        [VENV_BIN / "mypy", "--strict", "--cache-dir", tmp_path, CLIENTS / "examples/place_order.py"],
        env={**os.environ, "MYPYPATH": str(CLIENTS / "python")},
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_typescript_example_passes_tsc_strict():
    checked = _run([NODE_BIN / "tsc", "--noEmit", "--strict", "--project", CLIENTS / "typescript"])
    assert checked.returncode == 0, checked.stdout + checked.stderr
