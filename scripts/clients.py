"""`make clients`: the typed clients in clients/, generated from the OpenAPI document the
gateway serves (written without a server, scripts/openapi_document.py):

- clients/openapi.json, the document itself;
- clients/python/, a package (`oms_client`) from openapi-python-client (requirements-clients.txt);
- clients/typescript/src/schema.d.ts, types for openapi-fetch from openapi-typescript
  (clients/typescript/package-lock.json, installed in clients/typescript/node_modules).

Everything is generated into a temp dir first and then replaces what is in clients/, so the
output does not depend on where it was generated: tests/clients/ generate the same way and
compare."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from plumbing.config import PROJECT_ROOT
from scripts.openapi_document import openapi_document

CLIENTS = PROJECT_ROOT / "clients"
DOCUMENT = Path("openapi.json")
PYTHON_PACKAGE = Path("python")
TYPESCRIPT_TYPES = Path("typescript/src/schema.d.ts")
GENERATED = (DOCUMENT, PYTHON_PACKAGE, TYPESCRIPT_TYPES)
PYTHON_GENERATOR_CONFIG = CLIENTS / "openapi-python-client.yaml"
NODE_BIN = CLIENTS / "typescript/node_modules/.bin"
VENV_BIN = Path(sys.executable).parent


def generate(into: Path) -> None:
    """Write the document, the Python package and the TypeScript types under `into`, laid out
    as in clients/ (GENERATED)."""
    document = into / DOCUMENT
    document.write_text(json.dumps(openapi_document(), indent=2, sort_keys=True) + "\n")
    # The generator's post hooks call `ruff`: the venv's, whichever shell runs this.
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(
        [VENV_BIN / "openapi-python-client", "generate", "--path", document, "--output-path", into / PYTHON_PACKAGE,
         "--config", PYTHON_GENERATOR_CONFIG, "--meta", "uv", "--fail-on-warning", "--overwrite"],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )
    (into / TYPESCRIPT_TYPES).parent.mkdir(parents=True)
    subprocess.run(
        [NODE_BIN / "openapi-typescript", document, "--output", into / TYPESCRIPT_TYPES, "--silent"], check=True
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as temp:
        generate(Path(temp))
        for path in GENERATED:
            target = CLIENTS / path
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(Path(temp) / path, target)
            print(f"wrote {target.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
